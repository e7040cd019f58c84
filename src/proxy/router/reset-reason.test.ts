import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  connectErrorToFailure,
  connectTimeoutFailure,
  connectionClosedResetReason,
  formatAddress,
  resetReasonToResponseFlag,
  resetReasonToString,
  strerror,
  streamResetReasons,
  upstreamResetReply,
  type StreamResetReason,
} from './reset-reason.js';

test('resetReasonToString prints the text of Envoy Http::Utility::resetReasonToString', () => {
  const table: Array<[StreamResetReason, string]> = [
    ['LocalConnectionFailure', 'local connection failure'],
    ['RemoteConnectionFailure', 'remote connection failure'],
    ['ConnectionTimeout', 'connection timeout'],
    ['ConnectionTermination', 'connection termination'],
    ['LocalReset', 'local reset'],
    ['LocalRefusedStreamReset', 'local refused stream reset'],
    ['Overflow', 'overflow'],
    ['RemoteReset', 'remote reset'],
    ['RemoteRefusedStreamReset', 'remote refused stream reset'],
    ['ConnectError', 'remote error with CONNECT request'],
    ['ProtocolError', 'protocol error'],
    ['OverloadManager', 'overload manager reset'],
    ['Http1PrematureUpstreamHalfClose', 'HTTP/1 premature upstream half close'],
  ];
  assert.equal(table.length, streamResetReasons.length);
  for (const [reason, text] of table) assert.equal(resetReasonToString(reason), text);
});

test('resetReasonToResponseFlag matches the spec 1.9 reset reason -> flag table', () => {
  const table: Array<[StreamResetReason, string]> = [
    ['LocalConnectionFailure', 'UF'],
    ['RemoteConnectionFailure', 'UF'],
    ['ConnectionTimeout', 'UF'],
    ['ConnectionTermination', 'UC'],
    ['LocalReset', 'LR'],
    ['LocalRefusedStreamReset', 'LR'],
    ['Http1PrematureUpstreamHalfClose', 'LR'],
    ['Overflow', 'UO'],
    ['RemoteReset', 'UR'],
    ['RemoteRefusedStreamReset', 'UR'],
    ['ConnectError', 'UR'],
    ['ProtocolError', 'UPE'],
    ['OverloadManager', 'OM'],
  ];
  assert.equal(table.length, streamResetReasons.length);
  for (const [reason, flag] of table) assert.equal(resetReasonToResponseFlag(reason), flag, reason);
});

test('a refused connect on the first attempt gives the exact spec 0.8 body and details', () => {
  const failure = connectErrorToFailure({ code: 'ECONNREFUSED', errno: -111 }, '10.0.0.7', 8080);
  assert.deepEqual(failure, {
    reason: 'RemoteConnectionFailure',
    transportFailureReason: 'delayed connect error: Connection refused',
  });
  const reply = upstreamResetReply(failure.reason, failure.transportFailureReason, false);
  assert.equal(reply.status, 503);
  assert.equal(
    reply.body,
    'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused',
  );
  assert.equal(
    reply.details,
    'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
  );
  assert.equal(reply.flag, 'UF');
  assert.equal(reply.isDropped, false);
});

test('a refused connect after retries says "retried and the latest reset reason"', () => {
  const reply = upstreamResetReply(
    'RemoteConnectionFailure',
    'delayed connect error: Connection refused',
    true,
  );
  assert.equal(
    reply.body,
    'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused',
  );
  // The details do not mention the retry.
  assert.equal(
    reply.details,
    'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
  );
});

test('upstream reset replies without a transport failure reason, by reason', () => {
  const table: Array<[StreamResetReason, boolean, number, string, string]> = [
    [
      'ConnectionTermination',
      false,
      503,
      'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
      'upstream_reset_before_response_started{connection_termination}',
    ],
    [
      'ConnectionTimeout',
      true,
      503,
      'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection timeout',
      'upstream_reset_before_response_started{connection_timeout}',
    ],
    [
      'ProtocolError',
      false,
      502,
      'upstream connect error or disconnect/reset before headers. reset reason: protocol error',
      'upstream_reset_before_response_started{protocol_error}',
    ],
    [
      'Overflow',
      false,
      503,
      'upstream connect error or disconnect/reset before headers. reset reason: overflow',
      'upstream_reset_before_response_started{overflow}',
    ],
    [
      'ConnectError',
      false,
      503,
      'upstream connect error or disconnect/reset before headers. reset reason: remote error with CONNECT request',
      'upstream_reset_before_response_started{remote_error_with_CONNECT_request}',
    ],
  ];
  for (const [reason, isRetry, status, body, details] of table) {
    const reply = upstreamResetReply(reason, '', isRetry);
    assert.equal(reply.status, status, reason);
    assert.equal(reply.body, body, reason);
    assert.equal(reply.details, details, reason);
    assert.equal(reply.isDropped, reason === 'Overflow', reason);
  }
});

test('a reset after the downstream response started is detailed as upstream_reset_after_response_started', () => {
  const reply = upstreamResetReply('RemoteReset', '', false, true);
  assert.equal(reply.details, 'upstream_reset_after_response_started{remote_reset}');
  assert.equal(reply.flag, 'UR');
});

test('connectErrorToFailure maps Node socket errors to reset reason and transport failure reason', () => {
  const table: Array<[string, StreamResetReason, string]> = [
    ['ECONNREFUSED', 'RemoteConnectionFailure', 'delayed connect error: Connection refused'],
    ['ECONNRESET', 'RemoteConnectionFailure', 'delayed connect error: Connection reset by peer'],
    ['ETIMEDOUT', 'RemoteConnectionFailure', 'delayed connect error: Connection timed out'],
    ['EHOSTUNREACH', 'RemoteConnectionFailure', 'delayed connect error: No route to host'],
    ['EPIPE', 'RemoteConnectionFailure', 'delayed connect error: Broken pipe'],
    [
      'ENETUNREACH',
      'RemoteConnectionFailure',
      'immediate connect error: Network is unreachable|remote address:10.0.0.7:8080',
    ],
    [
      'EADDRNOTAVAIL',
      'RemoteConnectionFailure',
      'immediate connect error: Cannot assign requested address|remote address:10.0.0.7:8080',
    ],
    ['EMFILE', 'LocalConnectionFailure', 'socket creation failure'],
    ['ENFILE', 'LocalConnectionFailure', 'socket creation failure'],
  ];
  for (const [code, reason, tfr] of table) {
    assert.deepEqual(
      connectErrorToFailure({ code }, '10.0.0.7', 8080),
      { reason, transportFailureReason: tfr },
      code,
    );
  }
  assert.equal(
    connectErrorToFailure({ code: 'ENETUNREACH' }, 'fd00::7', 80).transportFailureReason,
    'immediate connect error: Network is unreachable|remote address:[fd00::7]:80',
  );
});

test('unknown socket errors fall back to glibc "Unknown error N" or the code', () => {
  assert.equal(strerror({ code: 'EWEIRD', errno: -4242 }), 'Unknown error 4242');
  assert.equal(strerror({ code: 'ENOTFOUND' }), 'ENOTFOUND');
  assert.deepEqual(connectErrorToFailure({ code: 'EWEIRD', errno: -4242 }, '1.2.3.4', 1), {
    reason: 'RemoteConnectionFailure',
    transportFailureReason: 'delayed connect error: Unknown error 4242',
  });
});

test('a pool connect timeout has no transport failure reason and yields UF with "connection timeout"', () => {
  const failure = connectTimeoutFailure();
  const reply = upstreamResetReply(failure.reason, failure.transportFailureReason, false);
  assert.equal(
    reply.body,
    'upstream connect error or disconnect/reset before headers. reset reason: connection timeout',
  );
  assert.equal(reply.flag, 'UF');
});

test('a connected upstream closing mid-request is connection termination, or a protocol error', () => {
  assert.equal(connectionClosedResetReason(false), 'ConnectionTermination');
  assert.equal(connectionClosedResetReason(true), 'ProtocolError');
});

test('formatAddress brackets IPv6 like Envoy asString', () => {
  assert.equal(formatAddress('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(formatAddress('::1', 80), '[::1]:80');
});
