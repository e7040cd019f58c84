/**
 * The router's request timeouts for one downstream request: the global (route) timeout, the per-try
 * and per-try-idle timeouts, the timeout response code, and the `x-envoy-expected-rq-timeout-ms` /
 * `grpc-timeout` values sent upstream. Mirrors envoyproxy/envoy `source/common/router/router.cc`
 * (`FilterUtility::finalTimeout`, `setTimeoutHeaders`, `trySetGlobalTimeout`, `Filter::decodeHeaders`)
 * and `source/common/grpc/common.cc` (`getGrpcTimeout`, `toGrpcTimeout`).
 *
 * Like Envoy, the request-header overrides are consumed: the headers are removed from the map that
 * goes upstream.
 */
import type { HeaderMap } from '../http/stream-info.js';
import type { RetryPolicyConfig, RouteActionConfig } from '../config/route-config.js';

const uint64Max = (1n << 64n) - 1n;
const unsignedDecimal = /^[ \t\n\v\f\r]*\+?([0-9]+)[ \t\n\v\f\r]*$/;
const signedDecimal = /^[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*$/;

/**
 * A header value read as Envoy reads numeric headers (`absl::SimpleAtoi` into `uint64_t`): optional
 * surrounding ASCII whitespace and one leading `+`, decimal digits, no overflow. `undefined` otherwise.
 */
export function parseUint64(text: string): bigint | undefined {
  const digits = unsignedDecimal.exec(text)?.[1];
  if (digits === undefined) return undefined;
  const value = BigInt(digits);
  return value > uint64Max ? undefined : value;
}

/** {@link parseUint64} as a number of milliseconds (values beyond 2^53 lose precision, harmlessly). */
export function parseHeaderMs(text: string): number | undefined {
  const value = parseUint64(text);
  return value === undefined ? undefined : Number(value);
}

/** The largest value gRPC allows in `grpc-timeout` (8 digits). */
const maxGrpcTimeoutValue = 99_999_999;

/**
 * `grpc-timeout` in ms, rounding micro/nanoseconds up (Envoy `Grpc::Common::getGrpcTimeout`);
 * `undefined` when absent or malformed.
 */
export function parseGrpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const amountText = signedDecimal.exec(value.slice(0, -1))?.[1];
  if (amountText === undefined) return undefined;
  const amount = Number(amountText);
  if (amount < 0 || amount > maxGrpcTimeoutValue) return undefined;
  switch (value[value.length - 1]) {
    case 'H':
      return amount * 3_600_000;
    case 'M':
      return amount * 60_000;
    case 'S':
      return amount * 1000;
    case 'm':
      return amount;
    case 'u':
      return Math.ceil(amount / 1000);
    case 'n':
      return Math.ceil(amount / 1_000_000);
    default:
      return undefined;
  }
}

/** `grpc-timeout` text for a timeout in ms, in the smallest unit that fits 8 digits (`toGrpcTimeout`). */
export function formatGrpcTimeout(timeoutMs: number): string {
  let time = Math.floor(timeoutMs);
  const units = ['m', 'S', 'M', 'H'] as const;
  let unit = 0;
  if (time > maxGrpcTimeoutValue) {
    time = Math.floor(time / 1000);
    unit = 1;
  }
  while (time > maxGrpcTimeoutValue) {
    if (unit === units.length - 1) {
      time = maxGrpcTimeoutValue;
    } else {
      time = Math.floor(time / 60);
      unit++;
    }
  }
  return `${time}${units[unit] ?? 'H'}`;
}

export interface TimeoutOptions {
  /** The router's `respect_expected_rq_timeout`: an incoming `x-envoy-expected-rq-timeout-ms` wins. */
  readonly respectExpectedRqTimeout?: boolean;
  /** The request is gRPC (only matters together with `maxGrpcTimeoutMs`). */
  readonly isGrpc: boolean;
  /** The router's `suppress_envoy_headers`: then `x-envoy-expected-rq-timeout-ms` is not sent upstream. */
  readonly suppressEnvoyHeaders?: boolean;
  /** Hedging on per-try timeout (not configurable yet): the upstream may then use the whole global timeout. */
  readonly hedgeOnPerTryTimeout?: boolean;
  /**
   * The route's deprecated `max_grpc_timeout` (0 = no cap), when configured. Our route config has no such
   * field yet, so callers leave it out and gRPC requests use the route timeout, as in Envoy without it.
   */
  readonly maxGrpcTimeoutMs?: number;
  /** The route's `grpc_timeout_offset`, subtracted from `grpc-timeout` when that leaves it positive. */
  readonly grpcTimeoutOffsetMs?: number;
}

export interface RouterTimeouts {
  /** Route timeout covering all attempts, from the end of the downstream request; 0 = none. */
  readonly globalTimeoutMs: number;
  /** Per-attempt timeout; 0 = none (also when it would not be shorter than the global timeout). */
  readonly perTryTimeoutMs: number;
  /** Per-attempt idle timeout; 0 = none. */
  readonly perTryIdleTimeoutMs: number;
  /** 504, or 204 when the request carried `x-envoy-upstream-rq-timeout-alt-response`. */
  readonly timeoutResponseCode: 504 | 204;
  /** `x-envoy-upstream-stream-duration-ms`, when the request set it (Envoy's dynamic max stream duration). */
  readonly maxStreamDurationMs?: number;
  /** The `x-envoy-expected-rq-timeout-ms` value written upstream for the first attempt, if any. */
  readonly expectedTimeoutHeader?: string;
}

interface TimeoutsForHeaders {
  readonly globalTimeoutMs: number;
  readonly perTryTimeoutMs: number;
}

/**
 * Computes the timeouts like `FilterUtility::finalTimeout`:
 * 1. global = route `timeout` (or the gRPC rule when `maxGrpcTimeoutMs` is given for a gRPC request:
 *    `grpc-timeout` minus the offset, capped by the max, where 0 means infinite on both sides);
 *    per-try / per-try-idle = the retry policy's (0 without a policy).
 * 2. With `respectExpectedRqTimeout`, a parsable `x-envoy-expected-rq-timeout-ms` sets the global timeout
 *    (and `x-envoy-upstream-rq-timeout-ms` is then left in place); otherwise a parsable
 *    `x-envoy-upstream-rq-timeout-ms` sets it, and that header is removed even if unparsable.
 * 3. A non-empty `x-envoy-upstream-rq-per-try-timeout-ms` sets the per-try timeout when parsable and
 *    is removed either way.
 * 4. A per-try timeout >= a non-zero global timeout is dropped (0).
 * 5. The expected-timeout headers are written for elapsed time 0 ({@link setTimeoutHeaders}).
 * `decodeHeaders` also consumes `x-envoy-upstream-stream-duration-ms` and
 * `x-envoy-upstream-rq-timeout-alt-response` (any value: timeouts answer 204), done here too.
 */
export function computeTimeouts(
  action: RouteActionConfig,
  retryPolicy: RetryPolicyConfig | undefined,
  requestHeaders: HeaderMap,
  opts: TimeoutOptions,
): RouterTimeouts {
  let globalTimeoutMs = action.timeoutMs;
  if (opts.isGrpc && opts.maxGrpcTimeoutMs !== undefined) {
    let grpcTimeoutMs = parseGrpcTimeoutMs(requestHeaders.get('grpc-timeout')) ?? 0;
    const offsetMs = opts.grpcTimeoutOffsetMs ?? 0;
    // The offset only applies when it leaves a positive timeout: 0 would mean infinite.
    if (offsetMs > 0 && offsetMs < grpcTimeoutMs) grpcTimeoutMs -= offsetMs;
    if (opts.maxGrpcTimeoutMs !== 0 && (grpcTimeoutMs === 0 || grpcTimeoutMs > opts.maxGrpcTimeoutMs)) {
      grpcTimeoutMs = opts.maxGrpcTimeoutMs;
    }
    globalTimeoutMs = grpcTimeoutMs;
  }
  let perTryTimeoutMs = retryPolicy?.perTryTimeoutMs ?? 0;
  const perTryIdleTimeoutMs = retryPolicy?.perTryIdleTimeoutMs ?? 0;

  const expected = requestHeaders.get('x-envoy-expected-rq-timeout-ms');
  if (opts.respectExpectedRqTimeout === true && expected !== undefined) {
    globalTimeoutMs = parseHeaderMs(expected) ?? globalTimeoutMs;
  } else {
    const upstreamTimeout = requestHeaders.get('x-envoy-upstream-rq-timeout-ms');
    if (upstreamTimeout !== undefined) {
      globalTimeoutMs = parseHeaderMs(upstreamTimeout) ?? globalTimeoutMs;
      requestHeaders.delete('x-envoy-upstream-rq-timeout-ms');
    }
  }

  // Envoy reads this header by value, so an empty one is neither used nor removed here.
  const perTryHeader = requestHeaders.get('x-envoy-upstream-rq-per-try-timeout-ms') ?? '';
  if (perTryHeader !== '') {
    perTryTimeoutMs = parseHeaderMs(perTryHeader) ?? perTryTimeoutMs;
    requestHeaders.delete('x-envoy-upstream-rq-per-try-timeout-ms');
  }

  if (perTryTimeoutMs >= globalTimeoutMs && globalTimeoutMs !== 0) perTryTimeoutMs = 0;

  let maxStreamDurationMs: number | undefined;
  const streamDuration = requestHeaders.get('x-envoy-upstream-stream-duration-ms');
  if (streamDuration !== undefined) {
    maxStreamDurationMs = parseHeaderMs(streamDuration);
    requestHeaders.delete('x-envoy-upstream-stream-duration-ms');
  }

  let timeoutResponseCode: 504 | 204 = 504;
  if (requestHeaders.has('x-envoy-upstream-rq-timeout-alt-response')) {
    timeoutResponseCode = 204;
    requestHeaders.delete('x-envoy-upstream-rq-timeout-alt-response');
  }

  const timeouts = { globalTimeoutMs, perTryTimeoutMs };
  const expectedMs = setTimeoutHeaders(timeouts, requestHeaders, 0, opts);
  return {
    globalTimeoutMs,
    perTryTimeoutMs,
    perTryIdleTimeoutMs,
    timeoutResponseCode,
    ...(maxStreamDurationMs === undefined ? {} : { maxStreamDurationMs }),
    ...(expectedMs > 0 && opts.suppressEnvoyHeaders !== true
      ? { expectedTimeoutHeader: String(expectedMs) }
      : {}),
  };
}

/**
 * The timeout the upstream should expect for an attempt started `elapsedMs` after the downstream
 * request completed (`setTimeoutHeaders`): the per-try timeout, or the global one when there is none
 * or when hedging; capped by the global time left, and 1 ms rather than 0 once it has run out.
 * 0 means no timeout to announce.
 */
export function expectedTimeoutMs(
  timeouts: TimeoutsForHeaders,
  elapsedMs: number,
  isHedging = false,
): number {
  const globalMs = timeouts.globalTimeoutMs;
  let expectedMs = timeouts.perTryTimeoutMs;
  if (isHedging || expectedMs === 0) expectedMs = globalMs;
  if (expectedMs === 0) return 0;
  if (globalMs > 0) expectedMs = elapsedMs >= globalMs ? 1 : Math.min(expectedMs, globalMs - elapsedMs);
  return expectedMs;
}

/**
 * Writes the expected timeout for an attempt into the upstream request headers and returns it
 * (0 = none written): `x-envoy-expected-rq-timeout-ms` unless `suppressEnvoyHeaders`, and for gRPC with
 * `maxGrpcTimeoutMs` configured also `grpc-timeout`. The router calls this again for every retry with
 * the time elapsed since the downstream request completed (`Filter::doRetry`).
 */
export function setTimeoutHeaders(
  timeouts: TimeoutsForHeaders,
  requestHeaders: HeaderMap,
  elapsedMs: number,
  opts: TimeoutOptions,
): number {
  const expectedMs = expectedTimeoutMs(timeouts, elapsedMs, opts.hedgeOnPerTryTimeout === true);
  if (expectedMs === 0) return 0;
  if (opts.suppressEnvoyHeaders !== true) {
    requestHeaders.set('x-envoy-expected-rq-timeout-ms', String(expectedMs));
  }
  if (opts.isGrpc && opts.maxGrpcTimeoutMs !== undefined) {
    requestHeaders.set('grpc-timeout', formatGrpcTimeout(expectedMs));
  }
  return expectedMs;
}
