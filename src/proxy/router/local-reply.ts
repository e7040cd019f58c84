/**
 * Responses the proxy generates itself ("local replies"), shaped exactly like Envoy's
 * `Http::Utility::prepareLocalReply` / `encodeLocalReply` (envoyproxy/envoy
 * `source/common/http/utility.cc`), plus the bodies and `%RESPONSE_CODE_DETAILS%` values the router
 * uses (`source/common/router/router.cc`, `envoy/stream_info/stream_info.h` `ResponseCodeDetailValues`).
 *
 * Not modelled: the HTTP connection manager's `local_reply_config` (custom bodies/formats). The codec
 * adds `date`/`server`, and an HTTP/1 codec adds `content-length: 0` to an empty body where required.
 */
import type { HeaderMap } from '../http/stream-info.js';
import { httpToGrpcStatus } from './grpc-status.js';

/** Local-reply bodies Envoy sends (byte-exact, no trailing newline). */
export const LocalReplyBody = {
  /** `Filter::sendNoHealthyUpstreamResponse`, 503. */
  NoHealthyUpstream: 'no healthy upstream',
  /** `Filter::onUpstreamTimeoutAbort` when the timeout code is 504 (a 204 timeout reply has no body). */
  UpstreamRequestTimeout: 'upstream request timeout',
  /** `Filter::decodeHeaders` when the cluster is in maintenance mode, 503. */
  MaintenanceMode: 'maintenance mode',
  /** `Filter::onStreamMaxDurationReached`, 408 or 504. */
  UpstreamMaxStreamDurationReached: 'upstream max stream duration reached',
  /** `Filter::decodeData` when the retry buffer overflows while a retry waits, 507. */
  RetryBufferOverflow: 'exceeded request buffer limit while retrying upstream',
  /** The fault filter's abort (`fault_filter.cc` `abortWithStatus`). */
  FaultAbort: 'fault filter abort',
} as const;

/** `%RESPONSE_CODE_DETAILS%` values (Envoy `ResponseCodeDetailValues`, `fault_filter.cc` `RcDetails`). */
export const ResponseCodeDetails = {
  ViaUpstream: 'via_upstream',
  RouteNotFound: 'route_not_found',
  DirectResponse: 'direct_response',
  ClusterNotFound: 'cluster_not_found',
  MaintenanceMode: 'maintenance_mode',
  NoHealthyUpstream: 'no_healthy_upstream',
  /** The global (route) timeout fired. Older Envoys said `upstream_response_timeout`. */
  ResponseTimeout: 'response_timeout',
  UpstreamPerTryTimeout: 'upstream_per_try_timeout',
  UpstreamPerTryIdleTimeout: 'upstream_per_try_idle_timeout',
  UpstreamMaxStreamDurationReached: 'upstream_max_stream_duration_reached',
  EarlyUpstreamReset: 'upstream_reset_before_response_started',
  LateUpstreamReset: 'upstream_reset_after_response_started',
  FaultAbort: 'fault_filter_abort',
} as const;

export interface LocalReplyInput {
  readonly status: number;
  /** The body text; empty for none. */
  readonly body: string;
  /** The request was gRPC (`content-type: application/grpc[+...]` with a `:path`). */
  readonly isGrpc: boolean;
  /** A HEAD request: headers (including `content-length`) are sent, the body is not. */
  readonly isHeadRequest: boolean;
  /** `%RESPONSE_CODE_DETAILS%` to record. */
  readonly details: string;
  /** Overrides `httpToGrpcStatus(status)` for gRPC (the fault filter's `grpc_status` abort). */
  readonly grpcStatus?: number;
  /**
   * Headers the caller adds before the body headers are computed, in order (Envoy's `modify_headers`,
   * e.g. `x-envoy-overloaded`, `x-envoy-attempt-count`). A `content-type` given here is kept for HTTP,
   * a `grpc-status` given here is kept for gRPC.
   */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

export interface LocalReply {
  /** HTTP status on the wire: 200 for every gRPC local reply. */
  readonly status: number;
  /** Response headers without `:status`, lower-case names, in the order Envoy adds them. */
  readonly headers: HeaderMap;
  /** Bytes to send after the headers: empty for HEAD and for gRPC (trailers-only) replies. */
  readonly body: string;
  readonly details: string;
  /**
   * True when the headers end the stream: a gRPC trailers-only reply (its `grpc-status` travels in
   * these headers, so there are no separate trailers), a HEAD reply or an empty body.
   */
  readonly isHeadersOnly: boolean;
}

/**
 * Builds a local reply like Envoy's `prepareLocalReply` + `encodeLocalReply`:
 * - HTTP with a body: `content-length` (UTF-8 bytes) and `content-type: text/plain` (unless already set).
 *   An empty body carries neither header.
 * - gRPC: HTTP 200, `content-type: application/grpc`, `grpc-status` = `httpToGrpcStatus(status)` (unless
 *   present), `grpc-message` = percent-encoded body (only if non-empty and not HEAD), no content-length,
 *   sent as a trailers-only response.
 */
export function buildLocalReply(input: LocalReplyInput): LocalReply {
  const headers: HeaderMap = new Map();
  for (const [name, value] of input.headers ?? []) headers.set(name.toLowerCase(), value);

  if (input.isGrpc) {
    headers.set('content-type', 'application/grpc');
    if ((headers.get('grpc-status') ?? '') === '') {
      headers.set('grpc-status', String(input.grpcStatus ?? httpToGrpcStatus(input.status)));
    }
    if (input.body !== '' && !input.isHeadRequest) {
      headers.set('grpc-message', percentEncodeGrpcMessage(input.body));
    }
    headers.delete('content-length');
    return { status: 200, headers, body: '', details: input.details, isHeadersOnly: true };
  }

  if (input.body !== '') {
    headers.set('content-length', String(Buffer.byteLength(input.body, 'utf8')));
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain');
  } else {
    headers.delete('content-length');
    headers.delete('content-type');
  }
  const isHeadersOnly = input.isHeadRequest || input.body === '';
  return {
    status: input.status,
    headers,
    body: input.isHeadRequest ? '' : input.body,
    details: input.details,
    isHeadersOnly,
  };
}

/**
 * `grpc-message` encoding (Envoy `PercentEncoding::encode` with the default reserved set `%`, after
 * grpc `PROTOCOL-HTTP2.md`): every UTF-8 byte below 0x20, at or above 0x7E (`~` included), and `%`
 * becomes `%XX` with upper-case hex; everything else is kept.
 */
export function percentEncodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    if (byte < 0x20 || byte >= 0x7e || byte === 0x25) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return out;
}

/** What the router sends when the global or per-try timeout ends the request before response headers. */
export interface UpstreamTimeoutReply {
  readonly status: number;
  readonly body: string;
  readonly details: string;
}

/**
 * The timeout reply (`Filter::onUpstreamTimeoutAbort`): status is the timeout code (504, or 204 with
 * `x-envoy-upstream-rq-timeout-alt-response`), the body is `upstream request timeout` only for 504,
 * and the flag is always UT. `kind` picks the details: the route timeout (`response_timeout`), the
 * per-try timeout or the per-try idle timeout of the last attempt.
 */
export function upstreamTimeoutReply(
  timeoutResponseCode: number,
  kind: 'global' | 'perTry' | 'perTryIdle',
): UpstreamTimeoutReply {
  const details =
    kind === 'global'
      ? ResponseCodeDetails.ResponseTimeout
      : kind === 'perTry'
        ? ResponseCodeDetails.UpstreamPerTryTimeout
        : ResponseCodeDetails.UpstreamPerTryIdleTimeout;
  return {
    status: timeoutResponseCode,
    body: timeoutResponseCode === 504 ? LocalReplyBody.UpstreamRequestTimeout : '',
    details,
  };
}
