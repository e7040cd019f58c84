/**
 * The whole validated proxy configuration from an Envoy v3 `Bootstrap`.
 */
import type { Locality } from '../../core/locality.js';
import type { ClusterConfig, SocketAddress } from './cluster-config.js';
import type { AccessLogConfig } from './filter-config.js';
import type { ListenerConfig } from './listener-config.js';

export interface NodeConfig {
  readonly id: string;
  readonly cluster: string;
  readonly locality: Locality;
  /** `node.metadata` as plain JSON (Istio: CLUSTER_ID, NAMESPACE, LABELS, WORKLOAD_NAME ...). */
  readonly metadata: Record<string, unknown>;
}

export interface AdminConfig {
  readonly address: SocketAddress;
  readonly accessLogs: readonly AccessLogConfig[];
}

export interface BootstrapConfig {
  readonly node: NodeConfig;
  readonly admin: AdminConfig | undefined;
  readonly listeners: readonly ListenerConfig[];
  readonly clusters: readonly ClusterConfig[];
  /** `cluster_manager.outlier_detection.event_log_path`: JSON lines of eject/uneject events. */
  readonly outlierEventLogPath: string | undefined;
  /** The validated bootstrap as JSON (proto field names), for `/config_dump`. */
  readonly source: Record<string, unknown>;
}
