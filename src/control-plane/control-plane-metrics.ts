/**
 * Control-plane metrics beyond the ADS server's `pilot_xds*` family: Istio's names where istiod has
 * one (`istiod_managed_clusters`, `remote_cluster_sync_timeouts_total`, `pilot_services`,
 * `pilot_xds_push_context_errors`), and Spillway's own for what istiod does not show - per-cluster
 * sync and connection state and the age of each cluster's data (spec user-pain 5: bounded
 * staleness must be visible).
 *
 * Also istiod's per-proxy NACK gauges `pilot_xds_{cds,eds,lds,rds}_reject{node, err}` (Istio
 * `pkg/xds/monitoring.go` IncrementXDSRejects: one more per NACK, by the proxy's node id and the
 * NACK's error code; kept by Istio "for backwards compatibility" beside `pilot_total_xds_rejects`,
 * which only has the type) - the one metric that says *which* proxy rejects config - and
 * `istiod_remote_cluster_sync_status{cluster, cluster_type, status}` (Istio
 * `pkg/kube/multicluster/secretcontroller.go` recordClusterSyncState: per remote cluster one sample
 * per status synced|syncing|timeout|closed, 1 for the current one).
 */
import type { Counter, Gauge, MetricsRegistry } from '../core/metrics-registry.js';
import type { IstioConfigStore } from '../istio/istio-config-store.js';
import type { ClusterSyncState } from '../registry/mesh-model.js';

/** istiod's status values (`pkg/kube/multicluster/cluster.go` SyncStatus*). */
const syncStatuses = ['synced', 'syncing', 'timeout', 'closed'] as const;

/** The xDS types that have a per-proxy reject gauge in istiod, by their metric type label. */
const rejectTypes = ['cds', 'eds', 'lds', 'rds'] as const;
type RejectType = (typeof rejectTypes)[number];

export class ControlPlaneMetrics {
  private readonly managedClusters: Gauge;
  private readonly syncTimeouts: Counter;
  private readonly pushContextErrors: Counter;
  private readonly clusterSynced: Gauge;
  private readonly clusterConnected: Gauge;
  private readonly clusterAge: Gauge;
  private readonly configRejected: Gauge;
  private readonly proxiesServed: Gauge;
  private readonly services: Gauge;
  private readonly remoteSyncStatus: Gauge;
  private readonly rejects: ReadonlyMap<RejectType, Gauge>;
  private readonly timedOut = new Set<string>();
  private readonly remotesSeen = new Set<string>();

  constructor(
    registry: MetricsRegistry,
    private readonly localClusterId: string,
  ) {
    this.managedClusters = registry.gauge(
      'istiod_managed_clusters',
      'Number of clusters managed by istiod (local and remote).',
      ['cluster_type'],
    );
    this.syncTimeouts = registry.counter(
      'remote_cluster_sync_timeouts_total',
      'Number of times remote clusters took too long to sync, causing slow startup that excludes remote clusters.',
    );
    this.pushContextErrors = registry.counter(
      'pilot_xds_push_context_errors',
      'Number of errors (timeouts) initiating push context.',
    );
    this.clusterSynced = registry.gauge(
      'spillway_cluster_synced',
      '1 once every informer of the Kubernetes cluster has listed (stays 1 while reconnecting).',
      ['cluster_id', 'cluster_type'],
    );
    this.clusterConnected = registry.gauge(
      'spillway_cluster_connected',
      '1 while the watch connections to the Kubernetes cluster are up.',
      ['cluster_id', 'cluster_type'],
    );
    this.clusterAge = registry.gauge(
      'spillway_cluster_data_age_seconds',
      'Seconds since the last event or successful list from the Kubernetes cluster.',
      ['cluster_id', 'cluster_type'],
    );
    this.configRejected = registry.gauge(
      'spillway_config_rejected',
      'Istio resources currently skipped as invalid, by kind.',
      ['kind'],
    );
    this.proxiesServed = registry.gauge(
      'spillway_proxies_served',
      'Proxies (distinct node ids) being served.',
    );
    this.services = registry.gauge('pilot_services', 'Total services known to pilot.');
    this.remoteSyncStatus = registry.gauge(
      'istiod_remote_cluster_sync_status',
      'Current synchronization state of remote clusters managed by istiod. One sample per cluster and state; a value of 1 indicates the cluster is in that state.',
      ['cluster', 'cluster_type', 'status'],
    );
    const what: Record<RejectType, string> = {
      cds: 'Pilot rejected CDS configs.',
      eds: 'Pilot rejected EDS.',
      lds: 'Pilot rejected LDS.',
      rds: 'Pilot rejected RDS.',
    };
    this.rejects = new Map(
      rejectTypes.map((t) => [t, registry.gauge(`pilot_xds_${t}_reject`, what[t], ['node', 'err'])]),
    );
  }

  /**
   * A proxy NACKed a response of `type` (the metric type label: cds, eds, lds, rds; others have no
   * per-proxy gauge in istiod). `code` is the NACK's `error_detail.code`.
   */
  countReject(type: string, node: string, code: number): void {
    this.rejects
      .get(type as RejectType)
      ?.with({ node, err: String(code) })
      .inc();
  }

  countPushContextError(): void {
    this.pushContextErrors.inc();
  }

  /** Brings the state gauges up to date (called before each scrape). */
  refresh(
    states: readonly ClusterSyncState[],
    config: IstioConfigStore,
    counts: { readonly proxies: number; readonly services: number },
    nowWallMs: number,
  ): void {
    let remotes = 0;
    for (const state of states) {
      const type = state.clusterId === this.localClusterId ? 'local' : 'remote';
      if (type === 'remote') remotes++;
      const labels = { cluster_id: state.clusterId, cluster_type: type };
      this.clusterSynced.with(labels).set(state.hasSynced ? 1 : 0);
      this.clusterConnected.with(labels).set(state.isConnected ? 1 : 0);
      if (state.lastUpdateWallMs !== undefined) {
        this.clusterAge.with(labels).set(Math.max(0, (nowWallMs - state.lastUpdateWallMs) / 1000));
      }
      if (type === 'remote') {
        this.remotesSeen.add(state.clusterId);
        const current = state.syncStatus ?? 'syncing';
        for (const status of syncStatuses) {
          this.remoteSyncStatus
            .with({ cluster: state.clusterId, cluster_type: 'remote', status })
            .set(status === current ? 1 : 0);
        }
      }
      if (state.syncStatus === 'timeout' && !this.timedOut.has(state.clusterId)) {
        this.timedOut.add(state.clusterId);
        this.syncTimeouts.inc();
      }
    }
    // A remote that is no longer watched reads 0 in every state, as istiod's clearClusterSyncState.
    for (const gone of this.remotesSeen) {
      if (states.some((s) => s.clusterId === gone)) continue;
      for (const status of syncStatuses) {
        this.remoteSyncStatus.with({ cluster: gone, cluster_type: 'remote', status }).set(0);
      }
    }
    this.managedClusters.with({ cluster_type: 'local' }).set(1);
    this.managedClusters.with({ cluster_type: 'remote' }).set(remotes);
    const byKind = new Map<string, number>();
    for (const rejected of config.rejected()) byKind.set(rejected.kind, (byKind.get(rejected.kind) ?? 0) + 1);
    for (const kind of ['DestinationRule', 'VirtualService', 'Gateway', 'ServiceEntry', 'Sidecar']) {
      this.configRejected.with({ kind }).set(byKind.get(kind) ?? 0);
    }
    this.proxiesServed.set(counts.proxies);
    this.services.set(counts.services);
  }
}
