/**
 * The whole validated proxy configuration from an Envoy v3 `Bootstrap`.
 */
import type { Locality } from '../../core/locality.js';
import type { StatsMatcherConfig } from '../stats/stats-matcher.js';
import type { ClusterConfig, SocketAddress } from './cluster-config.js';
import type { ConfigSourceConfig } from './config-source.js';
import type { AccessLogConfig } from './filter-config.js';
import type { ListenerConfig } from './listener-config.js';

export interface NodeConfig {
  readonly id: string;
  readonly cluster: string;
  readonly locality: Locality;
  /** `node.metadata` as plain JSON (Istio: CLUSTER_ID, NAMESPACE, LABELS, WORKLOAD_NAME ...). */
  readonly metadata: Record<string, unknown>;
  /**
   * The `node` as Spillway sends it to an xDS server: the bootstrap's fields (user agent,
   * client_features, extensions included), as proto3 JSON.
   */
  readonly wire: Record<string, unknown>;
}

export interface AdminConfig {
  readonly address: SocketAddress;
  readonly accessLogs: readonly AccessLogConfig[];
}

/** `dynamic_resources.ads_config`: SotW ADS over gRPC to a static cluster. */
export interface AdsConfig {
  /** `grpc_services[0].envoy_grpc.cluster_name`: a static, non-EDS cluster. */
  readonly clusterName: string;
  /** `envoy_grpc.authority`, default the cluster name (Envoy's `:authority`). */
  readonly authority: string;
  /** `grpc_services[0].initial_metadata`, sent with the stream. */
  readonly initialMetadata: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  readonly setNodeOnFirstMessageOnly: boolean;
}

export interface DynamicResourcesConfig {
  readonly ads: AdsConfig | undefined;
  /** `cds_config` (undefined: no CDS). */
  readonly cds: ConfigSourceConfig | undefined;
  /** `lds_config` (undefined: no LDS). */
  readonly lds: ConfigSourceConfig | undefined;
}

export interface BootstrapConfig {
  readonly node: NodeConfig;
  readonly admin: AdminConfig | undefined;
  readonly listeners: readonly ListenerConfig[];
  readonly clusters: readonly ClusterConfig[];
  /** `cluster_manager.outlier_detection.event_log_path`: JSON lines of eject/uneject events. */
  readonly outlierEventLogPath: string | undefined;
  /** `dynamic_resources`, undefined when the bootstrap has none (everything is static). */
  readonly dynamicResources: DynamicResourcesConfig | undefined;
  /** `stats_config.stats_matcher`; undefined keeps every stat. */
  readonly statsMatcher: StatsMatcherConfig | undefined;
  /** The validated bootstrap as JSON (proto field names), for `/config_dump`. */
  readonly source: Record<string, unknown>;
}
