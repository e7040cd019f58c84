/**
 * Which Istio resources produced a proxy's xDS resources (for `spillway explain`): kept beside the
 * resources, which also carry Istio's own `metadata.filter_metadata.istio.config` paths.
 */
import type { ConfigRef } from './config-index.js';
import type { ClusterExplanation } from './outbound-cluster.js';

export interface AssignmentExplanation {
  /** How priorities were assigned: per proxy locality (failover), by weights (distribute), or flat. */
  readonly mode: 'failover' | 'failover-priority' | 'distribute' | 'flat';
  /** Why: the DestinationRule (with outlier detection), the Service's trafficDistribution, or none. */
  readonly reason: string;
  readonly priorities: number;
  readonly endpoints: number;
}

export interface TranslationExplanation {
  readonly clusters: ReadonlyMap<string, ClusterExplanation>;
  readonly assignments: ReadonlyMap<string, AssignmentExplanation>;
  /** Route configuration name -> the VirtualServices (and Gateways) whose routes it holds. */
  readonly routes: ReadonlyMap<string, readonly ConfigRef[]>;
  /** Proxy-facing facts that shaped the result. */
  readonly proxy: {
    readonly locality: string;
    readonly namespace: string;
    readonly flavor: 'sidecar' | 'router' | 'grpc';
  };
}
