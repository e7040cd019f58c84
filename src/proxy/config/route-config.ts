/**
 * Validated, defaulted route configuration (Envoy `config.route.v3.RouteConfiguration`).
 */
import type { FaultConfig } from './filter-config.js';

export type StringMatcher =
  | { readonly kind: 'exact'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'prefix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'contains'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'regex'; readonly regex: RegExp };

/** `config.route.v3.HeaderMatcher`. */
export interface HeaderMatcherConfig {
  readonly name: string;
  readonly invert: boolean;
  readonly treatMissingAsEmpty: boolean;
  readonly match:
    | { readonly kind: 'present'; readonly present: boolean }
    | { readonly kind: 'string'; readonly matcher: StringMatcher }
    | { readonly kind: 'range'; readonly start: number; readonly end: number };
}

export interface QueryParameterMatcherConfig {
  readonly name: string;
  readonly match: { readonly kind: 'present' } | { readonly kind: 'string'; readonly matcher: StringMatcher };
}

export interface RouteMatchConfig {
  readonly path:
    | { readonly kind: 'prefix'; readonly value: string }
    | { readonly kind: 'path'; readonly value: string }
    | { readonly kind: 'safe_regex'; readonly regex: RegExp }
    | { readonly kind: 'path_separated_prefix'; readonly value: string };
  /** `case_sensitive`, default true (applies to prefix/path). */
  readonly caseSensitive: boolean;
  readonly headers: readonly HeaderMatcherConfig[];
  readonly queryParameters: readonly QueryParameterMatcherConfig[];
  /** `grpc: {}` - matches only requests with `content-type: application/grpc*`. */
  readonly grpcOnly: boolean;
}

export interface RetryBackOffConfig {
  /** default 25 ms */
  readonly baseIntervalMs: number;
  /** default 10 x base */
  readonly maxIntervalMs: number;
}

/** `config.route.v3.RetryPolicy`. */
export interface RetryPolicyConfig {
  /** Tokens of `retry_on` (e.g. `5xx`, `connect-failure`, `retriable-status-codes`), unknown tokens rejected at load. */
  readonly retryOn: ReadonlySet<string>;
  /** `num_retries`, default 1. */
  readonly numRetries: number;
  /** `per_try_timeout`; 0 = none. */
  readonly perTryTimeoutMs: number;
  /** `per_try_idle_timeout`; 0 = none. */
  readonly perTryIdleTimeoutMs: number;
  readonly retriableStatusCodes: readonly number[];
  /** `retry_host_predicate` entries by kind (only `previous_hosts` is supported). */
  readonly hostPredicates: readonly 'previous_hosts'[];
  /** `host_selection_retry_max_attempts`, default 0. */
  readonly hostSelectionRetryMaxAttempts: number;
  /** `retry_priority` `envoy.retry_priorities.previous_priorities`. */
  readonly retryPriority:
    { readonly kind: 'previous_priorities'; readonly updateFrequency: number } | undefined;
  readonly backOff: RetryBackOffConfig;
  /** `retriable_headers` (response header matchers that make a response retriable). */
  readonly retriableHeaders: readonly HeaderMatcherConfig[];
}

export interface HeaderValueOptionConfig {
  readonly key: string;
  readonly value: string;
  /** `append_action` resolved: true = append, false = overwrite if exists or add. */
  readonly append: boolean;
  /** `ADD_IF_ABSENT` */
  readonly onlyIfAbsent: boolean;
}

export interface WeightedClusterConfig {
  readonly name: string;
  readonly weight: number;
  readonly requestHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly responseHeadersToAdd: readonly HeaderValueOptionConfig[];
}

export interface RouteActionConfig {
  readonly kind: 'route';
  readonly cluster:
    | { readonly kind: 'cluster'; readonly name: string }
    | {
        readonly kind: 'weighted';
        readonly clusters: readonly WeightedClusterConfig[];
        readonly totalWeight: number;
      }
    | { readonly kind: 'header'; readonly header: string };
  /** `cluster_not_found_response_code` (SERVICE_UNAVAILABLE 503 default, NOT_FOUND 404, INTERNAL_SERVER_ERROR 500). */
  readonly clusterNotFoundResponseCode: number;
  /** `timeout`, default 15 s; 0 disables. */
  readonly timeoutMs: number;
  /** `idle_timeout`; 0 = none. */
  readonly idleTimeoutMs: number;
  readonly retryPolicy: RetryPolicyConfig | undefined;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: { readonly regex: RegExp; readonly substitution: string } | undefined;
  readonly hostRewriteLiteral: string | undefined;
  readonly autoHostRewrite: boolean;
}

export interface DirectResponseActionConfig {
  readonly kind: 'direct_response';
  readonly status: number;
  readonly body: string | undefined;
}

export interface RedirectActionConfig {
  readonly kind: 'redirect';
  readonly schemeRedirect: string | undefined;
  readonly hostRedirect: string | undefined;
  readonly portRedirect: number | undefined;
  readonly pathRedirect: string | undefined;
  readonly prefixRewrite: string | undefined;
  readonly responseCode: number;
  readonly stripQuery: boolean;
}

export interface RouteConfigEntry {
  readonly name: string;
  readonly match: RouteMatchConfig;
  readonly action: RouteActionConfig | DirectResponseActionConfig | RedirectActionConfig;
  readonly requestHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly responseHeadersToRemove: readonly string[];
  /** `typed_per_filter_config["envoy.filters.http.fault"]`: overrides the listener's fault filter config. */
  readonly faultOverride: FaultConfig | undefined;
}

export interface VirtualHostConfig {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteConfigEntry[];
  /** Virtual-host level `retry_policy`, used when the route has none. */
  readonly retryPolicy: RetryPolicyConfig | undefined;
  readonly includeRequestAttemptCount: boolean;
  readonly includeAttemptCountInResponse: boolean;
  readonly requestHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly responseHeadersToRemove: readonly string[];
  readonly faultOverride: FaultConfig | undefined;
}

export interface RouteConfiguration {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHostConfig[];
  readonly requestHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOptionConfig[];
  readonly responseHeadersToRemove: readonly string[];
}
