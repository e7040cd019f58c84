/**
 * Route retry policies as Istio sets them (istio/istio
 * `pilot/pkg/networking/core/route/retry/retry.go` DefaultPolicy, ConvertPolicy; spec §0.6, §3.5):
 * by default 2 retries on `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`
 * with no status codes, a fresh host per retry (previous_hosts) and up to 5 host re-picks.
 */
import type { HttpRetryView } from './istio-api.js';
import { protoDuration } from './outlier-detection.js';

type Json = Record<string, unknown>;

const defaultRetryOn = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

function previousHostsPredicate(): Json {
  return {
    name: 'envoy.retry_host_predicates.previous_hosts',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
    },
  };
}

/** Status codes Go's `http.StatusText` knows: Istio treats only those retryOn entries as codes. */
const knownStatusCodes = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** `DefaultPolicy()` (with previous_hosts) or `DefaultConsistentHashPolicy()` (without). */
export function defaultRetryPolicy(consistentHash = false): Json {
  const policy: Json = {
    retry_on: defaultRetryOn,
    num_retries: 2,
    host_selection_retry_max_attempts: 5,
  };
  if (!consistentHash) policy['retry_host_predicate'] = [previousHostsPredicate()];
  return policy;
}

/** `parseRetryOn`: numeric entries that are HTTP status codes become retriable_status_codes. */
function parseRetryOn(retryOn: string): { retryOn: string; codes: number[] } {
  const codes: number[] = [];
  const tokens: string[] = [];
  for (const raw of retryOn.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const code = /^[+-]?\d+$/.test(part) ? Number(part) : NaN;
    if (knownStatusCodes.has(code)) codes.push(code);
    else tokens.push(part);
  }
  return { retryOn: tokens.join(','), codes };
}

/**
 * `ConvertPolicy`: no VirtualService retries -> the default; `attempts` of 0 (or unset) -> no
 * policy at all; otherwise the default with the user's overrides.
 */
export function convertRetryPolicy(
  retries: HttpRetryView | undefined,
  consistentHash = false,
): Json | undefined {
  const out = defaultRetryPolicy(consistentHash);
  if (retries === undefined) return out;
  if ((retries.attempts ?? 0) <= 0) return undefined;
  out['num_retries'] = retries.attempts;
  if (retries.retryOn !== undefined && retries.retryOn !== '') {
    const parsed = parseRetryOn(retries.retryOn);
    let retryOn = parsed.retryOn;
    if (parsed.codes.length > 0 && !retryOn.includes('retriable-status-codes'))
      retryOn = retryOn === '' ? 'retriable-status-codes' : `${retryOn},retriable-status-codes`;
    // retry_on is an implicit-presence string: an empty one is left out.
    if (retryOn === '') delete out['retry_on'];
    else out['retry_on'] = retryOn;
    if (parsed.codes.length > 0) out['retriable_status_codes'] = parsed.codes;
  }
  if (retries.perTryTimeout !== undefined) out['per_try_timeout'] = protoDuration(retries.perTryTimeout);
  if (retries.retryIgnorePreviousHosts !== undefined) {
    if (retries.retryIgnorePreviousHosts) out['retry_host_predicate'] = [previousHostsPredicate()];
    else delete out['retry_host_predicate'];
  }
  if (retries.retryRemoteLocalities === true) {
    out['retry_priority'] = {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
        update_frequency: 2,
      },
    };
  }
  if (retries.backoff !== undefined)
    out['retry_back_off'] = { base_interval: protoDuration(retries.backoff) };
  return out;
}

/**
 * The inbound route's policy (route.go BuildDefaultHTTPInboundRoute): retry a request that was
 * reset before it reached the app, twice; none for gRPC (streams do not survive it).
 */
export function inboundRetryPolicy(): Json {
  return { retry_on: 'reset-before-request', num_retries: 2 };
}
