import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LocalReplyBody,
  ResponseCodeDetails,
  buildLocalReply,
  percentEncodeGrpcMessage,
  upstreamTimeoutReply,
} from './local-reply.js';
import { upstreamResetReply } from './reset-reason.js';

const entries = (headers: Map<string, string>): Array<[string, string]> => [...headers.entries()];

test('an HTTP local reply carries text/plain and the byte length of its body', () => {
  const reply = buildLocalReply({
    status: 503,
    body: LocalReplyBody.NoHealthyUpstream,
    isGrpc: false,
    isHeadRequest: false,
    details: ResponseCodeDetails.NoHealthyUpstream,
  });
  assert.equal(reply.status, 503);
  assert.equal(reply.body, 'no healthy upstream');
  assert.deepEqual(entries(reply.headers), [
    ['content-length', '19'],
    ['content-type', 'text/plain'],
  ]);
  assert.equal(reply.details, 'no_healthy_upstream');
  assert.equal(reply.isHeadersOnly, false);
});

test('the refused-connect reply is 503 with a content-length of its exact body', () => {
  const reset = upstreamResetReply(
    'RemoteConnectionFailure',
    'delayed connect error: Connection refused',
    true,
  );
  const reply = buildLocalReply({
    status: reset.status,
    body: reset.body,
    isGrpc: false,
    isHeadRequest: false,
    details: reset.details,
  });
  assert.equal(reply.headers.get('content-length'), String(reset.body.length));
  assert.equal(reply.headers.get('content-length'), '190');
  assert.equal(reply.body, reset.body);
});

test('content-length counts UTF-8 bytes, not UTF-16 code units', () => {
  const reply = buildLocalReply({
    status: 500,
    body: 'é€',
    isGrpc: false,
    isHeadRequest: false,
    details: '',
  });
  assert.equal(reply.headers.get('content-length'), '5');
});

test('an empty body has neither content-length nor content-type, and ends the stream with the headers', () => {
  const reply = buildLocalReply({
    status: 404,
    body: '',
    isGrpc: false,
    isHeadRequest: false,
    details: ResponseCodeDetails.RouteNotFound,
    headers: [['content-type', 'text/html']],
  });
  assert.deepEqual(entries(reply.headers), []);
  assert.equal(reply.isHeadersOnly, true);
});

test('a HEAD local reply keeps the content-length of the body it does not send', () => {
  const reply = buildLocalReply({
    status: 504,
    body: LocalReplyBody.UpstreamRequestTimeout,
    isGrpc: false,
    isHeadRequest: true,
    details: ResponseCodeDetails.ResponseTimeout,
  });
  assert.equal(reply.headers.get('content-length'), '24');
  assert.equal(reply.body, '');
  assert.equal(reply.isHeadersOnly, true);
});

test('caller headers come first and a caller content-type is kept', () => {
  const reply = buildLocalReply({
    status: 503,
    body: 'x',
    isGrpc: false,
    isHeadRequest: false,
    details: '',
    headers: [
      ['x-envoy-overloaded', 'true'],
      ['content-type', 'application/json'],
    ],
  });
  assert.deepEqual(entries(reply.headers), [
    ['x-envoy-overloaded', 'true'],
    ['content-type', 'application/json'],
    ['content-length', '1'],
  ]);
});

test('a gRPC local reply is a trailers-only 200 with grpc-status from httpToGrpcStatus', () => {
  const table: Array<[number, string]> = [
    [503, '14'],
    [504, '14'],
    [404, '12'],
    [500, '2'],
    [400, '13'],
    [429, '14'],
  ];
  for (const [status, grpcStatus] of table) {
    const reply = buildLocalReply({
      status,
      body: LocalReplyBody.NoHealthyUpstream,
      isGrpc: true,
      isHeadRequest: false,
      details: 'd',
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '');
    assert.equal(reply.isHeadersOnly, true);
    assert.deepEqual(
      entries(reply.headers),
      [
        ['content-type', 'application/grpc'],
        ['grpc-status', grpcStatus],
        ['grpc-message', 'no healthy upstream'],
      ],
      `status ${status}`,
    );
  }
});

test('a gRPC local reply percent-encodes grpc-message and honours a grpc-status override', () => {
  const reply = buildLocalReply({
    status: 503,
    body: '100% down~\nnow é',
    isGrpc: true,
    isHeadRequest: false,
    details: 'd',
    grpcStatus: 8,
    headers: [['content-length', '3']],
  });
  assert.equal(reply.headers.get('grpc-status'), '8');
  assert.equal(reply.headers.get('grpc-message'), '100%25 down%7E%0Anow %C3%A9');
  assert.equal(reply.headers.has('content-length'), false);
});

test('a gRPC local reply keeps a grpc-status the caller set and omits grpc-message for HEAD or no body', () => {
  const withStatus = buildLocalReply({
    status: 503,
    body: 'x',
    isGrpc: true,
    isHeadRequest: true,
    details: 'd',
    headers: [['grpc-status', '4']],
  });
  assert.equal(withStatus.headers.get('grpc-status'), '4');
  assert.equal(withStatus.headers.has('grpc-message'), false);
  const noBody = buildLocalReply({ status: 503, body: '', isGrpc: true, isHeadRequest: false, details: 'd' });
  assert.equal(noBody.headers.has('grpc-message'), false);
});

test('percentEncodeGrpcMessage keeps printable ASCII below ~ and encodes the rest', () => {
  const table: Array<[string, string]> = [
    ['upstream request timeout', 'upstream request timeout'],
    ['a%b', 'a%25b'],
    ['tab\there', 'tab%09here'],
    ['}~\x7f', '}%7E%7F'],
    ['', ''],
  ];
  for (const [input, output] of table) assert.equal(percentEncodeGrpcMessage(input), output);
});

test('upstreamTimeoutReply: 504 has the timeout body, a 204 alt-response has none', () => {
  assert.deepEqual(upstreamTimeoutReply(504, 'global'), {
    status: 504,
    body: 'upstream request timeout',
    details: 'response_timeout',
  });
  assert.deepEqual(upstreamTimeoutReply(204, 'perTry'), {
    status: 204,
    body: '',
    details: 'upstream_per_try_timeout',
  });
  assert.equal(upstreamTimeoutReply(504, 'perTryIdle').details, 'upstream_per_try_idle_timeout');
});
