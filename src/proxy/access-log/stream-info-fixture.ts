/**
 * StreamInfo values for access-log tests: a plain proxied request and Envoy's classic failure, a
 * request whose every attempt was refused (503, `UF,URX`, local reply).
 */
import { makeLocality } from '../../core/locality.js';
import { ResponseFlag } from '../http/response-flags.js';
import { StreamInfo } from '../http/stream-info.js';
import { Host } from '../upstream/host.js';

/** 2018-04-03T23:06:09.123Z, the instant Envoy's own formatter tests use. */
export const fixedWallMs = 1522796769123;

export function upstreamHost(address = '10.1.2.3', port = 8080): Host {
  return new Host({
    clusterName: 'outbound|8080||reviews.default.svc.cluster.local',
    address,
    port,
    locality: makeLocality('us-east1', 'us-east1-b'),
  });
}

/** GET proxied to 10.1.2.3:8080, 200 after 15.7 ms, 42 body bytes sent. */
export function typicalRequest(): StreamInfo {
  const info = new StreamInfo(fixedWallMs, 1000, 'HTTP/1.1');
  info.requestHeaders = new Map([
    [':method', 'GET'],
    [':path', '/reviews/1?page=2'],
    [':authority', 'reviews.default:8080'],
    [':scheme', 'http'],
    ['user-agent', 'curl/8.5.0'],
    ['x-request-id', 'c0ffee00-0000-4000-8000-000000000001'],
    ['x-forwarded-for', '10.0.0.9'],
  ]);
  info.responseCode = 200;
  info.responseCodeDetails = 'via_upstream';
  info.responseHeaders = new Map([
    [':status', '200'],
    ['content-type', 'application/json'],
    ['x-envoy-upstream-service-time', '12'],
  ]);
  info.bytesReceived = 0;
  info.bytesSent = 42;
  info.firstUpstreamRxMonotonicMs = 1013.2;
  info.endMonotonicMs = 1015.7;
  info.upstreamHost = upstreamHost();
  info.upstreamClusterName = 'outbound|8080||reviews.default.svc.cluster.local';
  info.routeName = 'default';
  info.attemptCount = 1;
  info.downstreamRemoteAddress = '10.0.0.9:51234';
  info.downstreamLocalAddress = '10.0.0.2:15001';
  info.requestId = 'c0ffee00-0000-4000-8000-000000000001';
  return info;
}

export const refusedBody =
  'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ' +
  'remote connection failure, transport failure reason: delayed connect error: Connection refused';

/** POST over HTTP/2 whose three attempts were refused: local reply 503 with `UF,URX`. */
export function refusedAfterRetries(): StreamInfo {
  const info = new StreamInfo(fixedWallMs, 5000, 'HTTP/2');
  info.requestHeaders = new Map([
    [':method', 'POST'],
    [':path', '/pay'],
    [':authority', 'payments.default'],
    [':scheme', 'http'],
    ['user-agent', 'Go-http-client/2.0'],
    ['x-request-id', 'req-2'],
    ['content-length', '12'],
  ]);
  info.responseCode = 503;
  info.responseCodeDetails =
    'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}';
  info.responseFlags.add(ResponseFlag.UpstreamRetryLimitExceeded);
  info.responseFlags.add(ResponseFlag.UpstreamConnectionFailure);
  info.responseHeaders = new Map([
    [':status', '503'],
    ['content-type', 'text/plain'],
    ['content-length', String(refusedBody.length)],
  ]);
  info.localReplyBody = refusedBody;
  info.bytesReceived = 12;
  info.bytesSent = refusedBody.length;
  info.endMonotonicMs = 5031;
  info.upstreamHost = upstreamHost('10.1.2.4', 9000);
  info.upstreamClusterName = 'outbound|9000||payments.default.svc.cluster.local';
  info.upstreamTransportFailureReason = 'delayed connect error: Connection refused';
  info.attemptCount = 3;
  info.downstreamRemoteAddress = '10.0.0.9:51235';
  info.downstreamLocalAddress = '10.0.0.2:15001';
  info.requestId = 'req-2';
  return info;
}
