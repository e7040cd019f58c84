/**
 * Validated, defaulted cluster configuration (built from Envoy's `config.cluster.v3.Cluster` and
 * `config.endpoint.v3.ClusterLoadAssignment`). Every field already holds Envoy's default when the user
 * left it unset, so runtime code never re-applies defaults.
 */
import type { Locality } from '../../core/locality.js';
import type { EdsHealthStatus } from '../upstream/host.js';
import type { ConfigSourceConfig } from './config-source.js';

export interface SocketAddress {
  /** An IP literal, or a hostname for STRICT_DNS/LOGICAL_DNS clusters. */
  readonly address: string;
  readonly port: number;
}

export interface LbEndpointConfig {
  readonly address: SocketAddress;
  /** `endpoint.hostname` (shown in `/clusters`, used for auto host rewrite). */
  readonly hostname: string;
  readonly healthStatus: EdsHealthStatus;
  /** `load_balancing_weight`, default 1. */
  readonly weight: number;
  /** `metadata.filter_metadata` as plain JSON. */
  readonly metadata: Record<string, unknown>;
}

export interface LocalityLbEndpointsConfig {
  readonly locality: Locality;
  /** `load_balancing_weight` of the locality; undefined when unset (Envoy then never picks it under locality-weighted LB). */
  readonly weight: number | undefined;
  readonly priority: number;
  readonly endpoints: readonly LbEndpointConfig[];
}

export interface ClusterLoadAssignmentConfig {
  readonly clusterName: string;
  readonly localities: readonly LocalityLbEndpointsConfig[];
  /** `policy.overprovisioning_factor`, default 140. */
  readonly overprovisioningFactor: number;
  /** `policy.weighted_priority_health`, default false. */
  readonly weightedPriorityHealth: boolean;
}

/** Envoy `OutlierDetection`, every field resolved to its value or Envoy's default (spec §1.1). */
export interface OutlierDetectionConfig {
  readonly consecutive5xx: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingSuccessRate: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  readonly successRateStdevFactor: number;
  readonly consecutiveGatewayFailure: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly failurePercentageThreshold: number;
  readonly enforcingFailurePercentage: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  /** `max(300000, base)` when unset. */
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionTimeJitterMs: number;
  readonly successfulActiveHealthCheckUnejectHost: boolean;
  readonly alwaysEjectOneHost: boolean;
}

/** One `circuit_breakers.thresholds` entry (defaults 1024/1024/1024/3). */
export interface CircuitBreakerThresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  readonly trackRemaining: boolean;
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';
export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS';
export type UpstreamProtocol = 'http1' | 'http2';

export interface ClusterConfig {
  readonly name: string;
  /** `alt_stat_name` with a trailing `;` removed (Istio's form); the stat scope name. Defaults to `name`. */
  readonly statName: string;
  readonly type: DiscoveryType;
  /** For EDS clusters: `eds_cluster_config.service_name` or the cluster name. */
  readonly edsServiceName: string | undefined;
  /** For EDS clusters: `eds_cluster_config.eds_config` (always `ads: {}`). */
  readonly edsConfig: ConfigSourceConfig | undefined;
  /** `connect_timeout`, default 5 s. */
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  /** `least_request_lb_config.choice_count`, default 2. */
  readonly leastRequestChoiceCount: number;
  /** `common_lb_config.healthy_panic_threshold`, default 50 (%); 0 disables panic. */
  readonly healthyPanicThresholdPct: number;
  /** `common_lb_config.locality_weighted_lb_config` present. */
  readonly localityWeightedLb: boolean;
  /** Static endpoints (`load_assignment`); for EDS clusters, empty until an assignment arrives. */
  readonly loadAssignment: ClusterLoadAssignmentConfig;
  readonly circuitBreakers: {
    readonly default: CircuitBreakerThresholds;
    readonly high: CircuitBreakerThresholds;
  };
  readonly outlierDetection: OutlierDetectionConfig | undefined;
  readonly protocol: UpstreamProtocol;
  /** `common_http_protocol_options.idle_timeout` for upstream connections, default 1 h. */
  readonly upstreamIdleTimeoutMs: number;
  /** `common_http_protocol_options.max_requests_per_connection`, 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** `http2_protocol_options.max_concurrent_streams`, default 2147483647. */
  readonly http2MaxConcurrentStreams: number;
  /** `dns_refresh_rate`, default 5 s. */
  readonly dnsRefreshRateMs: number;
  readonly dnsLookupFamily: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  /** `per_connection_buffer_limit_bytes`, default 1 MiB. */
  readonly perConnectionBufferLimitBytes: number;
  /** `metadata.filter_metadata` as plain JSON (Istio puts `istio` service info here). */
  readonly metadata: Record<string, unknown>;
  /** `close_connections_on_host_health_failure`, default false. */
  readonly closeConnectionsOnHostHealthFailure: boolean;
}
