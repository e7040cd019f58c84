/**
 * Validated HTTP filter and access-log configuration.
 */
import type { HeaderMatcherConfig } from './route-config.js';

/** `type.v3.FractionalPercent` normalised to a probability numerator over a denominator. */
export interface FractionalPercentConfig {
  readonly numerator: number;
  /** 100, 10000 or 1000000 (HUNDRED, TEN_THOUSAND, MILLION). */
  readonly denominator: number;
}

/** `extensions.filters.http.fault.v3.HTTPFault`. */
export interface FaultConfig {
  readonly delay: { readonly fixedDelayMs: number; readonly percentage: FractionalPercentConfig } | undefined;
  readonly abort:
    | {
        readonly httpStatus: number | undefined;
        readonly grpcStatus: number | undefined;
        readonly percentage: FractionalPercentConfig;
      }
    | undefined;
  readonly headers: readonly HeaderMatcherConfig[];
  readonly upstreamCluster: string | undefined;
  readonly downstreamNodes: readonly string[];
  /** undefined = unlimited */
  readonly maxActiveFaults: number | undefined;
}

export type HttpFilterConfig =
  | { readonly kind: 'fault'; readonly name: string; readonly config: FaultConfig }
  | { readonly kind: 'router'; readonly name: string };

/** Access log output format: Envoy `SubstitutionFormatString`. */
export type AccessLogFormatConfig =
  | { readonly kind: 'text'; readonly template: string }
  | { readonly kind: 'json'; readonly fields: Record<string, unknown> };

export interface AccessLogConfig {
  readonly name: string;
  readonly sink:
    | { readonly kind: 'stdout' }
    | { readonly kind: 'stderr' }
    | { readonly kind: 'file'; readonly path: string };
  /** undefined = Envoy's default text format. */
  readonly format: AccessLogFormatConfig | undefined;
}
