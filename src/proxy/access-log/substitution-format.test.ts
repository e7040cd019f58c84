import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { ResponseFlag } from '../http/response-flags.js';
import type { StreamInfo } from '../http/stream-info.js';
import { parseSubstitutionFormat, renderSegments } from './substitution-format.js';
import { refusedAfterRetries, refusedBody, typicalRequest, upstreamHost } from './stream-info-fixture.js';

function render(template: string, info: StreamInfo): string {
  return renderSegments(parseSubstitutionFormat(template), info);
}

function withChanges(
  change: (info: StreamInfo) => void,
  base: () => StreamInfo = typicalRequest,
): StreamInfo {
  const info = base();
  change(info);
  return info;
}

describe('REQ / RESP / TRAILER operators', () => {
  const cases: Array<{ template: string; info?: StreamInfo; expected: string }> = [
    { template: '%REQ(:METHOD)%', expected: 'GET' },
    { template: '%REQ(User-Agent)%', expected: 'curl/8.5.0' },
    { template: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%', expected: '/reviews/1?page=2' },
    {
      template: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
      info: withChanges((i) => i.requestHeaders.set('x-envoy-original-path', '/before-rewrite')),
      expected: '/before-rewrite',
    },
    { template: '%REQ(X-MISSING?X-ALSO-MISSING)%', expected: '-' },
    { template: '%REQ(USER-AGENT):4%', expected: 'curl' },
    { template: '%REQ(X-MISSING?USER-AGENT):6%', expected: 'curl/8' },
    { template: '%REQ(USER-AGENT):100%', expected: 'curl/8.5.0' },
    { template: '%REQ(USER-AGENT):0%', expected: '' },
    {
      template: '[%REQ(X-EMPTY)%]',
      info: withChanges((i) => i.requestHeaders.set('x-empty', '')),
      expected: '[]',
    },
    {
      template: '%REQ(X-NAME):2%',
      info: withChanges((i) => i.requestHeaders.set('x-name', 'héllo')),
      expected: 'h',
    },
    {
      template: '%REQ(X-NAME):3%',
      info: withChanges((i) => i.requestHeaders.set('x-name', 'héllo')),
      expected: 'hé',
    },
    { template: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', expected: '12' },
    { template: '%RESP(CONTENT-TYPE):11%', expected: 'application' },
    { template: '%TRAILER(GRPC-STATUS)%', expected: '-' },
    {
      template: '%TRAILER(GRPC-MESSAGE?GRPC-STATUS)%',
      info: withChanges((i) => i.responseTrailers.set('grpc-status', '0')),
      expected: '0',
    },
  ];
  for (const c of cases) {
    it(`renders ${c.template} as "${c.expected}"`, () => {
      assert.equal(render(c.template, c.info ?? typicalRequest()), c.expected);
    });
  }
});

describe('stream info operators', () => {
  const noResponse = (): StreamInfo =>
    withChanges((i) => {
      i.responseCode = undefined;
      i.responseCodeDetails = '';
      i.endMonotonicMs = undefined;
      i.upstreamHost = undefined;
      i.upstreamClusterName = undefined;
      i.routeName = '';
    });
  const cases: Array<{ template: string; info: StreamInfo; expected: string }> = [
    { template: '%PROTOCOL%', info: refusedAfterRetries(), expected: 'HTTP/2' },
    { template: '%RESPONSE_CODE%', info: noResponse(), expected: '0' },
    { template: '%DURATION%', info: noResponse(), expected: '-' },
    { template: '%DURATION%', info: typicalRequest(), expected: '15' },
    { template: '%RESPONSE_DURATION%', info: typicalRequest(), expected: '13' },
    { template: '%RESPONSE_TX_DURATION%', info: typicalRequest(), expected: '2' },
    { template: '%RESPONSE_DURATION%', info: refusedAfterRetries(), expected: '-' },
    {
      template: '%REQUEST_DURATION% %REQUEST_TX_DURATION%',
      info: withChanges((i) => {
        i.lastDownstreamRxMonotonicMs = 1000.9;
        i.lastUpstreamTxMonotonicMs = 1002.5;
      }),
      expected: '0 2',
    },
    { template: '%REQUEST_DURATION%', info: typicalRequest(), expected: '-' },
    { template: '%RESPONSE_FLAGS%', info: typicalRequest(), expected: '-' },
    { template: '%RESPONSE_FLAGS%', info: refusedAfterRetries(), expected: 'UF,URX' },
    {
      template: '%RESPONSE_FLAGS_LONG%',
      info: refusedAfterRetries(),
      expected: 'UpstreamConnectionFailure,UpstreamRetryLimitExceeded',
    },
    {
      template: '%RESPONSE_FLAGS_LONG%',
      info: withChanges((i) => i.responseFlags.add(ResponseFlag.OverloadManager)),
      expected: 'OverloadManagerTerminated',
    },
    { template: '%RESPONSE_FLAGS_LONG%', info: typicalRequest(), expected: '-' },
    {
      template: '%RESPONSE_CODE_DETAILS%',
      info: refusedAfterRetries(),
      expected:
        'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
    },
    {
      template: '%RESPONSE_CODE_DETAILS%|%RESPONSE_CODE_DETAILS(ALLOW_WHITESPACES)%',
      info: withChanges((i) => (i.responseCodeDetails = 'ext_authz denied\tby policy')),
      expected: 'ext_authz_denied_by_policy|ext_authz denied\tby policy',
    },
    { template: '%RESPONSE_CODE_DETAILS%', info: noResponse(), expected: '-' },
    {
      template: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
      info: refusedAfterRetries(),
      expected: 'delayed_connect_error:_Connection_refused',
    },
    { template: '%UPSTREAM_TRANSPORT_FAILURE_REASON%', info: typicalRequest(), expected: '-' },
    { template: '%UPSTREAM_HOST%', info: noResponse(), expected: '-' },
    {
      template: '%UPSTREAM_HOST% %UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_REMOTE_PORT%',
      info: withChanges((i) => (i.upstreamHost = upstreamHost('fd00::7', 8080))),
      expected: '[fd00::7]:8080 fd00::7 8080',
    },
    { template: '%UPSTREAM_HOST_NAME%', info: typicalRequest(), expected: '10.1.2.3:8080' },
    {
      template: '%UPSTREAM_HOST_NAME% %UPSTREAM_HOST_NAME_WITHOUT_PORT%',
      info: withChanges((i) => {
        const host = upstreamHost();
        host.hostname = 'reviews-v1.default:9080';
        i.upstreamHost = host;
      }),
      expected: 'reviews-v1.default:9080 reviews-v1.default',
    },
    {
      template: '%UPSTREAM_CLUSTER% %UPSTREAM_CLUSTER_RAW%',
      info: typicalRequest(),
      expected:
        'outbound|8080||reviews.default.svc.cluster.local outbound|8080||reviews.default.svc.cluster.local',
    },
    {
      template: '%UPSTREAM_CLUSTER% %UPSTREAM_CLUSTER_RAW%',
      info: withChanges(
        (i) => (i.upstreamClusterAltStatName = 'outbound|8080||reviews.default.svc.cluster.local;'),
      ),
      expected:
        'outbound|8080||reviews.default.svc.cluster.local; outbound|8080||reviews.default.svc.cluster.local',
    },
    { template: '%UPSTREAM_CLUSTER%', info: noResponse(), expected: '-' },
    { template: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%', info: refusedAfterRetries(), expected: '3' },
    {
      template:
        '%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_PORT%',
      info: typicalRequest(),
      expected: '10.0.0.9:51234 10.0.0.9 51234',
    },
    {
      template:
        '%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_PORT% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS%',
      info: withChanges((i) => (i.downstreamRemoteAddress = '[::1]:40000')),
      expected: '10.0.0.2 15001 [::1]:40000',
    },
    {
      template: '%DOWNSTREAM_REMOTE_ADDRESS%',
      info: withChanges((i) => (i.downstreamRemoteAddress = '')),
      expected: '-',
    },
    { template: '%UPSTREAM_LOCAL_ADDRESS%', info: typicalRequest(), expected: '-' },
    {
      template: '%UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%:%UPSTREAM_LOCAL_PORT%',
      info: withChanges((i) => (i.upstreamLocalAddress = '10.0.0.2:40001')),
      expected: '10.0.0.2:40001',
    },
    { template: '%ROUTE_NAME%', info: typicalRequest(), expected: 'default' },
    { template: '%ROUTE_NAME%', info: noResponse(), expected: '-' },
    { template: '%VIRTUAL_CLUSTER_NAME%', info: typicalRequest(), expected: '-' },
    { template: '%STREAM_ID%', info: refusedAfterRetries(), expected: 'req-2' },
    { template: '%CONNECTION_ID%', info: typicalRequest(), expected: '0' },
    { template: '%CONNECTION_ID%', info: withChanges((i) => (i.connectionId = 17)), expected: '17' },
    {
      template: '%UPSTREAM_PROTOCOL%',
      info: withChanges((i) => (i.upstreamProtocol = 'HTTP/2')),
      expected: 'HTTP/2',
    },
    { template: '[%LOCAL_REPLY_BODY%]', info: typicalRequest(), expected: '[]' },
    { template: '%LOCAL_REPLY_BODY%', info: refusedAfterRetries(), expected: refusedBody },
    { template: '%CONNECTION_TERMINATION_DETAILS%', info: typicalRequest(), expected: '-' },
    { template: '%ACCESS_LOG_TYPE%', info: typicalRequest(), expected: 'DownstreamEnd' },
    // Name + value bytes of the 7 request headers, pseudo-headers included: 11+9+26+11+28+17+16.
    { template: '%REQUEST_HEADERS_BYTES%', info: refusedAfterRetries(), expected: '118' },
    { template: '%RESPONSE_TRAILERS_BYTES%', info: refusedAfterRetries(), expected: '0' },
    { template: '%DOWNSTREAM_TLS_VERSION% %REQUESTED_SERVER_NAME%', info: typicalRequest(), expected: '- -' },
    { template: '%HOSTNAME%', info: typicalRequest(), expected: hostname() },
    { template: '100%% %PROTOCOL%%%', info: typicalRequest(), expected: '100% HTTP/1.1%' },
    { template: '', info: typicalRequest(), expected: '' },
  ];
  for (const c of cases) {
    it(`renders ${c.template === '' ? 'an empty template' : c.template} as "${c.expected}"`, () => {
      assert.equal(render(c.template, c.info), c.expected);
    });
  }

  it('reads ENVIRONMENT once at configuration time, truncated, and prints - when unset', () => {
    process.env['SPILLWAY_TEST_ACCESS_LOG_ENV'] = 'cluster-east';
    try {
      const segments = parseSubstitutionFormat(
        '%ENVIRONMENT(SPILLWAY_TEST_ACCESS_LOG_ENV)% %ENVIRONMENT(SPILLWAY_TEST_ACCESS_LOG_ENV):7% %ENVIRONMENT(SPILLWAY_TEST_UNSET_VAR)%',
      );
      delete process.env['SPILLWAY_TEST_ACCESS_LOG_ENV'];
      assert.equal(renderSegments(segments, typicalRequest()), 'cluster-east cluster -');
    } finally {
      delete process.env['SPILLWAY_TEST_ACCESS_LOG_ENV'];
    }
  });
});

describe('GRPC_STATUS operators', () => {
  const grpc = (change: (i: StreamInfo) => void): StreamInfo =>
    withChanges((i) => {
      i.requestHeaders.set('content-type', 'application/grpc');
      change(i);
    });
  const cases: Array<{ name: string; info: StreamInfo; expected: string }> = [
    { name: 'not a gRPC request', info: typicalRequest(), expected: '- - - -' },
    {
      name: 'status in trailers wins over headers',
      info: grpc((i) => {
        i.responseTrailers.set('grpc-status', '3');
        i.responseHeaders.set('grpc-status', '0');
      }),
      expected: 'InvalidArgument INVALID_ARGUMENT 3 3',
    },
    {
      name: 'trailers-only response (status in headers)',
      info: grpc((i) => i.responseHeaders.set('grpc-status', '1')),
      expected: 'Canceled CANCELLED 1 1',
    },
    {
      name: 'no grpc-status: inferred from HTTP 503',
      info: grpc((i) => (i.responseCode = 503)),
      expected: 'Unavailable UNAVAILABLE 14 14',
    },
    {
      name: 'status 0',
      info: grpc((i) => i.responseTrailers.set('grpc-status', '0')),
      expected: 'OK OK 0 0',
    },
    {
      name: 'user-defined status above 16',
      info: grpc((i) => i.responseTrailers.set('grpc-status', '42')),
      expected: '42 42 42 42',
    },
    {
      name: 'unparsable status',
      info: grpc((i) => i.responseTrailers.set('grpc-status', 'oops')),
      expected: '-1 -1 -1 -1',
    },
    {
      name: 'application/grpc+proto request with no response',
      info: withChanges((i) => {
        i.requestHeaders.set('content-type', 'application/grpc+proto');
        i.responseCode = undefined;
      }),
      expected: '- - - -',
    },
    {
      name: 'grpc-web is not gRPC',
      info: withChanges((i) => i.requestHeaders.set('content-type', 'application/grpc-web')),
      expected: '- - - -',
    },
  ];
  for (const c of cases) {
    it(`renders CAMEL, SNAKE, NUMBER and GRPC_STATUS_NUMBER for ${c.name}`, () => {
      assert.equal(
        render(
          '%GRPC_STATUS% %GRPC_STATUS(SNAKE_STRING)% %GRPC_STATUS(NUMBER)% %GRPC_STATUS_NUMBER%',
          c.info,
        ),
        c.expected,
      );
    });
  }
});

describe('format errors', () => {
  const cases: Array<{ template: string; code: string; message: RegExp }> = [
    {
      template: '%NOT_AN_OPERATOR%',
      code: ErrorCode.configInvalid,
      message: /unknown access log operator %NOT_AN_OPERATOR%/,
    },
    {
      template: 'took 50% of the time',
      code: ErrorCode.configInvalid,
      message: /no valid command at position 7/,
    },
    { template: '%protocol%', code: ErrorCode.configInvalid, message: /no valid command at position 0/ },
    { template: 'trailing %', code: ErrorCode.configInvalid, message: /no valid command at position 9/ },
    { template: '%REQ(:PATH%', code: ErrorCode.configInvalid, message: /no valid command/ },
    {
      template: '%PROTOCOL(x)%',
      code: ErrorCode.configInvalid,
      message: /%PROTOCOL% does not take any parameters/,
    },
    {
      template: '%PROTOCOL:10%',
      code: ErrorCode.configInvalid,
      message: /%PROTOCOL% does not take any parameters/,
    },
    { template: '%REQ%', code: ErrorCode.configInvalid, message: /%REQ% requires parameters/ },
    {
      template: '%START_TIME:10%',
      code: ErrorCode.configInvalid,
      message: /%START_TIME% does not allow length/,
    },
    { template: '%REQ(A?B?C)%', code: ErrorCode.configInvalid, message: /more than 1 alternative header/ },
    { template: '%REQ(bad header)%', code: ErrorCode.configInvalid, message: /invalid header name/ },
    {
      template: '%GRPC_STATUS(KEBAB)%',
      code: ErrorCode.configInvalid,
      message: /CAMEL_STRING, SNAKE_STRING or NUMBER/,
    },
    { template: '%START_TIME(%Y%n)%', code: ErrorCode.configInvalid, message: /newline/ },
    {
      template: '%DYNAMIC_METADATA(istio)%',
      code: ErrorCode.configUnsupported,
      message: /%DYNAMIC_METADATA%/,
    },
    {
      template: '%UPSTREAM_WIRE_BYTES_SENT%',
      code: ErrorCode.configUnsupported,
      message: /Spillway does not support/,
    },
  ];
  for (const c of cases) {
    it(`rejects "${c.template}" with ${c.code}`, () => {
      assert.throws(
        () => parseSubstitutionFormat(c.template, 'access_log[0].format'),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.code === c.code &&
          c.message.test(err.message) &&
          err.location.path === 'access_log[0].format',
      );
    });
  }

  it('accepts an argument containing ")" when a later ")%" closes the command', () => {
    assert.equal(render('%START_TIME((%Y))%-%PROTOCOL%', typicalRequest()), '(2018)-HTTP/1.1');
  });
});
