/**
 * Per-request retry bookkeeping, reproducing Envoy's `RetryStateImpl` (envoyproxy/envoy
 * `source/common/router/retry_state_impl.cc`) and the parts of `Router::Filter` that drive it
 * (`source/common/router/router.cc`: `onUpstreamHeaders`, `maybeRetryReset`, `onPerTryTimeoutCommon`,
 * `doRetry`, `onUpstreamHostSelected`, the `LoadBalancerContext` overrides in `router.h`).
 *
 * It is callback-free: every `shouldRetry*` call returns a {@link RetryDecision}; on `retry` the caller
 * waits `backOffMs` on its Clock, then calls {@link RetryState.beginRetry} and starts the next attempt.
 * The stats each decision implies are listed in the decision for the caller to count under
 * `cluster.<name>.`.
 */
import type { Random } from '../../core/random.js';
import type { HeaderMatcherConfig, RetryPolicyConfig } from '../config/route-config.js';
import { ResponseFlag, type ResponseFlagCode } from '../http/response-flags.js';
import type { HeaderMap } from '../http/stream-info.js';
import type { Host } from '../upstream/host.js';
import { GrpcStatus, parseGrpcStatus } from './grpc-status.js';
import type { StreamResetReason } from './reset-reason.js';
import { JitteredExponentialBackOff, defaultBaseRetryBackOffMs } from './retry-back-off.js';
import { compileHeaderMatcher, type HeaderPredicate } from './route-matcher.js';
import { parseUint64 } from './router-timeouts.js';

/** `retry_on` / `x-envoy-retry-on` values (Envoy `EnvoyRetryOnValues`). */
export const httpRetryOnTokens = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'reset',
  'reset-before-request',
  'http3-post-connect-failure',
] as const;

/** gRPC `retry_on` / `x-envoy-retry-grpc-on` values (Envoy `EnvoyRetryOnGrpcValues`). */
export const grpcRetryOnTokens = [
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export type RetryOnToken = (typeof httpRetryOnTokens)[number] | (typeof grpcRetryOnTokens)[number];

const grpcStatusForToken: ReadonlyArray<readonly [RetryOnToken, number]> = [
  ['cancelled', GrpcStatus.Canceled],
  ['deadline-exceeded', GrpcStatus.DeadlineExceeded],
  ['resource-exhausted', GrpcStatus.ResourceExhausted],
  ['unavailable', GrpcStatus.Unavailable],
  ['internal', GrpcStatus.Internal],
];

export interface ParsedRetryOn {
  readonly tokens: ReadonlySet<RetryOnToken>;
  /** False when some entry was not a known token (used by `strict_check_headers`). */
  readonly isAllValid: boolean;
}

function parseTokens(value: string, known: readonly RetryOnToken[]): ParsedRetryOn {
  const tokens = new Set<RetryOnToken>();
  let isAllValid = true;
  // StringUtil::splitToken(value, ",", keep_empty=false, trim_whitespace=true).
  for (const raw of value.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    const found = known.find((k) => k === token);
    if (found === undefined) isAllValid = false;
    else tokens.add(found);
  }
  return { tokens, isAllValid };
}

/** Parses `x-envoy-retry-on` (HTTP conditions only), like `RetryStateImpl::parseRetryOn`. */
export function parseRetryOn(value: string): ParsedRetryOn {
  return parseTokens(value, httpRetryOnTokens);
}

/** Parses `x-envoy-retry-grpc-on` (gRPC conditions only), like `RetryStateImpl::parseRetryGrpcOn`. */
export function parseRetryGrpcOn(value: string): ParsedRetryOn {
  return parseTokens(value, grpcRetryOnTokens);
}

/** The cluster's retry circuit breaker (`resourceManager(priority).retries()`). */
export interface RetryCircuitBreaker {
  /** `canCreate()`: below `max_retries`. */
  canRetry(): boolean;
  /** `inc()`: a retry was granted and now holds a slot. */
  onRetryStarted(): void;
  /** `dec()`: the granted retry's slot is released. */
  onRetryFinished(): void;
}

export type RetryStatName =
  | 'upstream_rq_retry'
  | 'upstream_rq_retry_success'
  | 'upstream_rq_retry_overflow'
  | 'upstream_rq_retry_limit_exceeded'
  | 'upstream_rq_retry_backoff_exponential';

/**
 * The outcome of a `shouldRetry*` call (Envoy `RetryStatus`). `stats` are the cluster counters to
 * increment; `limitExceeded` means flag URX, `overflow` flag UO (see {@link retryDecisionFlag}).
 */
export type RetryDecision =
  | { readonly kind: 'no'; readonly stats: readonly RetryStatName[] }
  | { readonly kind: 'retry'; readonly backOffMs: number; readonly stats: readonly RetryStatName[] }
  | { readonly kind: 'limitExceeded'; readonly stats: readonly RetryStatName[] }
  | { readonly kind: 'overflow'; readonly stats: readonly RetryStatName[] };

/** The response flag the router sets for a refused retry (`maybeRetryReset`, `onUpstreamHeaders`). */
export function retryDecisionFlag(decision: RetryDecision): ResponseFlagCode | undefined {
  if (decision.kind === 'limitExceeded') return ResponseFlag.UpstreamRetryLimitExceeded;
  if (decision.kind === 'overflow') return ResponseFlag.UpstreamOverflow;
  return undefined;
}

/** Request headers the router consumes for retries; Envoy strips them before forwarding (`create`). */
export const consumedRetryHeaders = [
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-retriable-header-names',
  'x-envoy-retriable-status-codes',
  'x-envoy-upstream-rq-per-try-timeout-ms',
] as const;

/** The request header carrying the attempt number when `include_request_attempt_count` is set. */
export const attemptCountHeader = 'x-envoy-attempt-count';

export interface RetryStateInit {
  /** The effective policy: the route's, else the virtual host's, else undefined. */
  readonly policy: RetryPolicyConfig | undefined;
  /** The request headers going upstream; the retry headers are read and then removed from it. */
  readonly requestHeaders: HeaderMap;
  readonly random: Random;
  readonly circuitBreaker: RetryCircuitBreaker;
}

type WouldRetry = 'no' | 'backOff' | 'immediately';

const connectFailureReasons: ReadonlySet<StreamResetReason> = new Set([
  'LocalConnectionFailure',
  'RemoteConnectionFailure',
  'ConnectionTimeout',
]);

// `x-envoy-retriable-header-names` entries become name-only matchers: "the header is present".
function presentMatcher(name: string): HeaderMatcherConfig {
  return { name, invert: false, treatMissingAsEmpty: false, match: { kind: 'present', present: true } };
}

/**
 * Creates the retry state for a request, or `undefined` when Envoy would not: neither the policy's
 * `retry_on` nor an `x-envoy-retry-on` / `x-envoy-retry-grpc-on` header asks for retries
 * (`RetryStateImpl::create`). Either way the retry request headers are removed from `requestHeaders`.
 */
export function createRetryState(init: RetryStateInit): RetryState | undefined {
  const headers = init.requestHeaders;
  const policyRetryOn = policyTokens(init.policy);
  const state =
    headers.has('x-envoy-retry-on') || headers.has('x-envoy-retry-grpc-on') || policyRetryOn.size > 0
      ? new RetryState(init, policyRetryOn)
      : undefined;
  for (const name of consumedRetryHeaders) headers.delete(name);
  return state;
}

const noTokens: ReadonlySet<RetryOnToken> = new Set();
const knownRetryOnTokens: ReadonlySet<string> = new Set<string>([...httpRetryOnTokens, ...grpcRetryOnTokens]);
/** Per policy object (route configs are immutable once built): its retry_on tokens, parsed once. */
const tokensByPolicy = new WeakMap<RetryPolicyConfig, ReadonlySet<RetryOnToken>>();

function policyTokens(policy: RetryPolicyConfig | undefined): ReadonlySet<RetryOnToken> {
  if (policy === undefined) return noTokens;
  let tokens = tokensByPolicy.get(policy);
  if (tokens === undefined) {
    // The route's retry_on may mix HTTP and gRPC conditions (`RetryPolicyImpl` parses it with both).
    const found = new Set<RetryOnToken>();
    for (const token of policy.retryOn) if (knownRetryOnTokens.has(token)) found.add(token as RetryOnToken);
    tokens = found;
    tokensByPolicy.set(policy, tokens);
  }
  return tokens;
}

/** Per policy object: its `retriable_headers` compiled once. */
const matchersByPolicy = new WeakMap<RetryPolicyConfig, readonly HeaderPredicate[]>();

function retriableHeaderMatchers(policy: RetryPolicyConfig | undefined): readonly HeaderPredicate[] {
  if (policy === undefined) return [];
  let matchers = matchersByPolicy.get(policy);
  if (matchers === undefined) {
    matchers = policy.retriableHeaders.map(compileHeaderMatcher);
    matchersByPolicy.set(policy, matchers);
  }
  return matchers;
}

export class RetryState {
  private readonly retryOn: Set<RetryOnToken>;
  private retriesRemaining: number;
  private readonly retriableStatusCodes: number[];
  private readonly retriableHeaders: HeaderPredicate[];
  private readonly usesPreviousHosts: boolean;
  private readonly hostSelectionAttempts: number;
  private readonly backOff: JitteredExponentialBackOff;
  private readonly circuitBreaker: RetryCircuitBreaker;
  private readonly hasEarlyDataRequest: boolean;
  private readonly attempted: Host[] = [];
  /** Envoy's armed `backoff_callback_`: a granted retry holding a circuit-breaker slot. */
  private isHoldingRetrySlot = false;
  private hasUpstreamRequestStarted = false;
  private retriesGranted = 0;
  private attempts = 1;

  /** Use {@link createRetryState}, which also decides whether a state is needed at all. */
  constructor(init: RetryStateInit, policyRetryOn: ReadonlySet<RetryOnToken>) {
    const { policy, requestHeaders: headers } = init;
    this.circuitBreaker = init.circuitBreaker;
    this.retryOn = new Set(policyRetryOn);
    // Without a route or virtual-host policy Envoy uses its default policy: 1 retry, 1 re-pick.
    this.retriesRemaining = policy?.numRetries ?? 1;
    this.retriableStatusCodes = [...(policy?.retriableStatusCodes ?? [])];
    this.retriableHeaders = [...retriableHeaderMatchers(policy)];
    this.usesPreviousHosts = (policy?.hostPredicates ?? []).includes('previous_hosts');
    // `host_selection_retry_max_attempts: 0` (the proto default) keeps the built-in 1 (config_impl.cc).
    this.hostSelectionAttempts =
      policy !== undefined && policy.hostSelectionRetryMaxAttempts > 0
        ? policy.hostSelectionRetryMaxAttempts
        : 1;
    this.backOff = new JitteredExponentialBackOff(
      policy?.backOff ?? {
        baseIntervalMs: defaultBaseRetryBackOffMs,
        maxIntervalMs: defaultBaseRetryBackOffMs * 10,
      },
      init.random,
    );
    this.hasEarlyDataRequest = (headers.get('early-data') ?? '') !== '';

    const retryOnHeader = headers.get('x-envoy-retry-on');
    if (retryOnHeader !== undefined) for (const t of parseRetryOn(retryOnHeader).tokens) this.retryOn.add(t);
    const grpcHeader = headers.get('x-envoy-retry-grpc-on');
    if (grpcHeader !== undefined) for (const t of parseRetryGrpcOn(grpcHeader).tokens) this.retryOn.add(t);

    // x-envoy-max-retries replaces num_retries, but only when some condition is enabled; the value is
    // parsed as uint64 and stored in a uint32, so Envoy keeps its low 32 bits.
    const maxRetries = headers.get('x-envoy-max-retries');
    if (this.retryOn.size > 0 && maxRetries !== undefined) {
      const parsed = parseUint64(maxRetries);
      if (parsed !== undefined) this.retriesRemaining = Number(parsed & 0xffff_ffffn);
    }
    const codes = headers.get('x-envoy-retriable-status-codes');
    if (codes !== undefined) {
      for (const part of codes.split(',')) {
        const code = part === '' ? undefined : parseUint64(part);
        if (code !== undefined && code <= 0xffff_ffffn) this.retriableStatusCodes.push(Number(code));
      }
    }
    const names = headers.get('x-envoy-retriable-header-names');
    if (names !== undefined) {
      for (const part of names.split(',')) {
        const name = part.trim().toLowerCase();
        if (name !== '') this.retriableHeaders.push(compileHeaderMatcher(presentMatcher(name)));
      }
    }
  }

  /** Whether any retry condition is enabled (Envoy `enabled()`; the router buffers the body only then). */
  get isEnabled(): boolean {
    return this.retryOn.size > 0;
  }

  /** Retries granted so far (decisions of kind `retry`). */
  get retriesUsed(): number {
    return this.retriesGranted;
  }

  /** The router's `attempt_count_`: 1 for the first attempt, +1 per started retry (`x-envoy-attempt-count`). */
  get attemptCount(): number {
    return this.attempts;
  }

  /** The router's `is_retry_`: a retry has started (the reset body then says `retried and the latest`). */
  get isRetry(): boolean {
    return this.attempts > 1;
  }

  /** Hosts handed to {@link onHostAttempted}, in order (input for `previous_priorities`). */
  get attemptedHosts(): readonly Host[] {
    return this.attempted;
  }

  /**
   * Call when the back-off of a granted retry has elapsed and the retry attempt starts (`doRetry`).
   * Returns the new attempt count, the value for `x-envoy-attempt-count`.
   */
  beginRetry(): number {
    this.attempts++;
    return this.attempts;
  }

  /**
   * Upstream response headers arrived (`onUpstreamHeaders` -> `shouldRetryHeaders`). The gRPC status is
   * read from these headers (a trailers-only response), as Envoy does; trailers never cause a retry.
   */
  shouldRetryHeaders(status: number, responseHeaders: HeaderMap): RetryDecision {
    return this.decide(this.retryDecisionFromHeaders(status, responseHeaders));
  }

  /**
   * The attempt was reset before response headers (`maybeRetryReset`). `upstreamRequestStarted` says
   * whether this attempt sent any request bytes upstream; it sticks for the rest of the request and
   * turns off `reset-before-request`. The router must not call this once the downstream response began.
   */
  shouldRetryReset(reason: StreamResetReason, upstreamRequestStarted: boolean): RetryDecision {
    this.hasUpstreamRequestStarted ||= upstreamRequestStarted;
    return this.decide(this.retryDecisionFromReset(reason, this.hasUpstreamRequestStarted));
  }

  /**
   * The per-try (or per-try idle) timeout fired without hedging: Envoy resets the attempt and retries it
   * as a `LocalReset` (`onPerTryTimeoutCommon`), so only `5xx`, `gateway-error`, `reset` (and
   * `reset-before-request` if nothing was sent) retry it; `connect-failure` and `refused-stream` do not.
   */
  shouldRetryPerTryTimeout(upstreamRequestStarted: boolean): RetryDecision {
    return this.shouldRetryReset('LocalReset', upstreamRequestStarted);
  }

  /** Whether these response headers meet a retry condition (`wouldRetryFromHeaders`), ignoring limits. */
  wouldRetryFromHeaders(status: number, responseHeaders: HeaderMap): boolean {
    return this.retryDecisionFromHeaders(status, responseHeaders) !== 'no';
  }

  /** Whether this reset meets a retry condition (`wouldRetryFromReset`), ignoring limits. */
  wouldRetryFromReset(reason: StreamResetReason, upstreamRequestStarted: boolean): boolean {
    return this.retryDecisionFromReset(reason, upstreamRequestStarted) !== 'no';
  }

  /** Records the host an attempt went to (`onUpstreamHostSelected`, also for failed connects). */
  onHostAttempted(host: Host): void {
    this.attempted.push(host);
  }

  /**
   * The host predicate (`previous_hosts`): reject a candidate already attempted. Like Envoy's router,
   * the load balancer should only consult this on retries ({@link isRetry}). Hosts compare by identity.
   */
  shouldSelectAnotherHost(host: Host): boolean {
    return this.usesPreviousHosts && this.attempted.includes(host);
  }

  /**
   * Extra picks the load balancer may make on a retry when the predicate rejects a host: Envoy's
   * `chooseHost` tries `1 + this` times and then keeps the last pick. Envoy's router answers 1 for the
   * first attempt, where the predicate never rejects.
   */
  hostSelectionMaxAttempts(): number {
    return this.hostSelectionAttempts;
  }

  /**
   * Releases a granted retry's circuit-breaker slot without counting success (the state's destructor:
   * the router is done with the request, or accepted response headers).
   */
  dispose(): void {
    this.releaseRetrySlot();
  }

  private releaseRetrySlot(): void {
    if (this.isHoldingRetrySlot) {
      this.isHoldingRetrySlot = false;
      this.circuitBreaker.onRetryFinished();
    }
  }

  // RetryStateImpl::shouldRetry: the order of the checks decides which counter moves.
  private decide(wouldRetry: WouldRetry): RetryDecision {
    const stats: RetryStatName[] = [];
    // A retry was granted earlier and this outcome is not retried: that retry is counted a success.
    if (this.isHoldingRetrySlot && wouldRetry === 'no') stats.push('upstream_rq_retry_success');
    this.releaseRetrySlot();
    if (wouldRetry === 'no') return { kind: 'no', stats };
    if (this.retriesRemaining === 0) {
      stats.push('upstream_rq_retry_limit_exceeded');
      return { kind: 'limitExceeded', stats };
    }
    // The retry is spent before the circuit breaker is asked, so an overflow uses one up too.
    this.retriesRemaining--;
    if (!this.circuitBreaker.canRetry()) {
      stats.push('upstream_rq_retry_overflow');
      return { kind: 'overflow', stats };
    }
    this.isHoldingRetrySlot = true;
    this.circuitBreaker.onRetryStarted();
    this.retriesGranted++;
    stats.push('upstream_rq_retry');
    if (wouldRetry === 'immediately') return { kind: 'retry', backOffMs: 0, stats };
    stats.push('upstream_rq_retry_backoff_exponential');
    return { kind: 'retry', backOffMs: this.backOff.nextBackOffMs(), stats };
  }

  private retryDecisionFromHeaders(status: number, headers: HeaderMap): WouldRetry {
    const on = this.retryOn;
    // A rate-limited answer from an upstream Envoy is retried only under envoy-ratelimited.
    if (headers.has('x-envoy-ratelimited')) return on.has('envoy-ratelimited') ? 'backOff' : 'no';
    if (on.has('5xx') && status >= 500 && status < 600) return 'backOff';
    if (on.has('gateway-error') && status >= 502 && status <= 504) return 'backOff';
    if (on.has('retriable-4xx') && status === 409) return 'backOff';
    if (on.has('retriable-status-codes')) {
      for (const code of this.retriableStatusCodes) {
        if (code !== status) continue;
        if (code !== 425) return 'backOff';
        // 425 Too Early: retried at once unless the downstream request itself came as early data.
        if (!this.hasEarlyDataRequest) return 'immediately';
      }
    }
    if (on.has('retriable-headers') && this.retriableHeaders.some((matches) => matches(headers))) {
      return 'backOff';
    }
    const grpcStatus = grpcStatusForToken.some(([token]) => on.has(token))
      ? parseGrpcStatus(headers)
      : undefined;
    if (grpcStatus !== undefined && grpcStatusForToken.some(([t, s]) => s === grpcStatus && on.has(t))) {
      return 'backOff';
    }
    return 'no';
  }

  private retryDecisionFromReset(reason: StreamResetReason, upstreamRequestStarted: boolean): WouldRetry {
    const on = this.retryOn;
    // Circuit-breaker overflow is never retried.
    if (reason === 'Overflow') return 'no';
    if (connectFailureReasons.has(reason) && on.has('connect-failure')) return 'backOff';
    if (on.has('reset-before-request') && !upstreamRequestStarted) return 'backOff';
    if (on.has('reset')) return 'backOff';
    // Envoy counts any other reset as a 5xx (it becomes a 503/502 local reply).
    if (on.has('5xx') || on.has('gateway-error')) return 'backOff';
    if (on.has('refused-stream') && reason === 'RemoteRefusedStreamReset') return 'backOff';
    return 'no';
  }
}
