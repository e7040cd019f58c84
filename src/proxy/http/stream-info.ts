/**
 * Everything known about one downstream request once it is done (Envoy `StreamInfo`): what access
 * logs, stats and the Istio metrics read.
 */
import type { Host } from '../upstream/host.js';
import type { OutgoingHeaders } from './headers.js';
import { ResponseFlags } from './response-flags.js';

export type HttpProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

/** Request headers as seen by filters: lower-case names, `:method`, `:path`, `:authority`, `:scheme` included. */
export type HeaderMap = Map<string, string>;

export class StreamInfo {
  /** Wall-clock ms at request start. */
  readonly startWallMs: number;
  /** Monotonic ms at request start. */
  readonly startMonotonicMs: number;
  protocol: HttpProtocol;
  private reqHeaders: HeaderMap | undefined;
  responseCode: number | undefined;
  /** `%RESPONSE_CODE_DETAILS%`, e.g. `via_upstream`, `no_healthy_upstream`. */
  responseCodeDetails = '';
  readonly responseFlags = new ResponseFlags();
  // Response headers and trailers are kept as sent and turned into maps only when something (an
  // access log operator) reads them: most requests never need the copy.
  private sentHeaders: OutgoingHeaders | HeaderMap | undefined;
  private sentTrailers: OutgoingHeaders | HeaderMap | undefined;
  bytesReceived = 0;
  bytesSent = 0;
  /** Monotonic ms when the last byte was sent downstream. */
  endMonotonicMs: number | undefined;
  /** Monotonic ms when the first upstream response byte arrived. */
  firstUpstreamRxMonotonicMs: number | undefined;
  upstreamHost: Host | undefined;
  upstreamClusterName: string | undefined;
  upstreamTransportFailureReason = '';
  /** `x-envoy-upstream-service-time` value sent, if any. */
  upstreamServiceTimeMs: number | undefined;
  routeName = '';
  virtualHostName = '';
  attemptCount = 0;
  downstreamRemoteAddress = '';
  downstreamLocalAddress = '';
  requestId = '';
  /** gRPC status sent downstream (from headers or trailers), if the request was gRPC. */
  grpcStatus: number | undefined;
  isGrpc = false;
  /** Set when the downstream connection closed before the response completed. */
  downstreamTerminated = false;

  // Optional data read by access-log operators (src/proxy/access-log); unset values print `-`.
  /** Monotonic ms when the last request byte arrived from downstream (`%REQUEST_DURATION%`). */
  lastDownstreamRxMonotonicMs: number | undefined;
  /** Monotonic ms when the last request byte was sent upstream (`%REQUEST_TX_DURATION%`). */
  lastUpstreamTxMonotonicMs: number | undefined;
  /** Protocol of the upstream connection that served the request (`%UPSTREAM_PROTOCOL%`). */
  upstreamProtocol: HttpProtocol | undefined;
  /** Local `ip:port` of the upstream connection (`%UPSTREAM_LOCAL_ADDRESS%`). */
  upstreamLocalAddress: string | undefined;
  /**
   * The cluster's `alt_stat_name` exactly as configured (Istio: `<name>;`), Envoy's
   * `ClusterInfo::observabilityName()` that `%UPSTREAM_CLUSTER%` prints; undefined = the cluster name.
   */
  upstreamClusterAltStatName: string | undefined;
  /** Name of the matched virtual cluster (`%VIRTUAL_CLUSTER_NAME%`). */
  virtualClusterName: string | undefined;
  /** Body of a locally generated reply such as `no healthy upstream` (`%LOCAL_REPLY_BODY%`). */
  localReplyBody: string | undefined;
  /** Why the proxy closed the downstream connection for L4 reasons (`%CONNECTION_TERMINATION_DETAILS%`). */
  connectionTerminationDetails: string | undefined;
  /** Identifier of the downstream connection (`%CONNECTION_ID%`). */
  connectionId: number | undefined;

  constructor(startWallMs: number, startMonotonicMs: number, protocol: HttpProtocol) {
    this.startWallMs = startWallMs;
    this.startMonotonicMs = startMonotonicMs;
    this.protocol = protocol;
  }

  /** Total request duration in ms (to the last byte sent), if finished. */
  durationMs(): number | undefined {
    return this.endMonotonicMs === undefined ? undefined : this.endMonotonicMs - this.startMonotonicMs;
  }

  /** Request headers as received (before route mutations), pseudo-headers included. */
  get requestHeaders(): HeaderMap {
    // The connection manager sets the stream's own map; only a StreamInfo built elsewhere needs one.
    return (this.reqHeaders ??= new Map());
  }

  set requestHeaders(headers: HeaderMap) {
    this.reqHeaders = headers;
  }

  /** Response headers as sent downstream. */
  get responseHeaders(): HeaderMap {
    const map = toHeaderMap(this.sentHeaders);
    this.sentHeaders = map;
    return map;
  }

  set responseHeaders(headers: OutgoingHeaders | HeaderMap) {
    this.sentHeaders = headers;
  }

  /** Response trailers as sent downstream. */
  get responseTrailers(): HeaderMap {
    const map = toHeaderMap(this.sentTrailers);
    this.sentTrailers = map;
    return map;
  }

  set responseTrailers(trailers: OutgoingHeaders | HeaderMap) {
    this.sentTrailers = trailers;
  }
}

function toHeaderMap(headers: OutgoingHeaders | HeaderMap | undefined): HeaderMap {
  if (headers === undefined) return new Map();
  if (headers instanceof Map) return headers;
  const map: HeaderMap = new Map();
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined) map.set(name, Array.isArray(v) ? v.join(', ') : String(v));
  }
  return map;
}
