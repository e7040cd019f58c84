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

/** Istio's `stats.PluginConfig` (the `istio.stats` filter), as far as Spillway runs it. */
export interface IstioStatsConfig {
  /** Do not use the request `Host` as `destination_service` (Istio sets it on inbound and gateways). */
  readonly disableHostHeaderFallback: boolean;
}

/**
 * Istio's `io.istio.http.peer_metadata.Config` (the `istio.metadata_exchange` HTTP filter), reduced to
 * the one method Spillway implements, the `x-envoy-peer-metadata` headers (`istio_headers`).
 */
export interface PeerMetadataConfig {
  /** Read the downstream peer from request headers (inbound sidecar). */
  readonly downstreamDiscovery: boolean;
  /** Read the upstream peer from response headers (outbound sidecar, gateway). */
  readonly upstreamDiscovery: boolean;
  /** Answer with this proxy's metadata on the response, when the request carried a peer (inbound). */
  readonly downstreamPropagation: boolean;
  /** Send this proxy's metadata on the request to the upstream (outbound). */
  readonly upstreamPropagation: boolean;
}

export type HttpFilterConfig =
  | { readonly kind: 'fault'; readonly name: string; readonly config: FaultConfig }
  | { readonly kind: 'istio_stats'; readonly name: string; readonly config: IstioStatsConfig }
  | { readonly kind: 'peer_metadata'; readonly name: string; readonly config: PeerMetadataConfig }
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
