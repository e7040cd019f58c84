/**
 * All clusters of the proxy by name (Envoy `ClusterManagerImpl`). Adding a cluster that exists updates
 * it in place (state of persisting hosts kept); removing one closes it once in-flight requests no
 * longer need it (they hold a reference, pools drain).
 */
import type { ClusterConfig, ClusterLoadAssignmentConfig } from '../config/cluster-config.js';
import type { Gauge, StatsScope } from '../stats/stats-store.js';
import { Cluster, type ClusterDeps } from './cluster.js';

export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  private readonly activeClusters: Gauge;
  private readonly warmingClusters: Gauge;
  private initializing = 0;
  private warmingElsewhere = 0;

  constructor(private readonly deps: ClusterDeps) {
    const scope: StatsScope = deps.stats.scope('cluster_manager');
    this.activeClusters = scope.gauge('active_clusters');
    this.warmingClusters = scope.gauge('warming_clusters');
    scope.counter('cluster_added');
    scope.counter('cluster_modified');
    scope.counter('cluster_removed');
    scope.counter('cluster_updated');
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  /**
   * Adds or updates a cluster; resolves once its static/DNS hosts are known. `assignment` is the EDS
   * `ClusterLoadAssignment` of an EDS cluster: a new cluster only becomes visible with it installed
   * (a warmed cluster, never an empty one). `addedViaApi` marks clusters that came from CDS.
   */
  async addOrUpdate(
    config: ClusterConfig,
    options: { assignment?: ClusterLoadAssignmentConfig; addedViaApi?: boolean } = {},
  ): Promise<Cluster> {
    const scope = this.deps.stats.scope('cluster_manager');
    const existing = this.clusters.get(config.name);
    if (existing !== undefined) {
      await existing.update(config);
      if (options.assignment !== undefined) await existing.setLoadAssignment(options.assignment);
      existing.addedViaApi = options.addedViaApi ?? false;
      scope.counter('cluster_modified').inc();
      return existing;
    }
    const cluster = new Cluster(config, this.deps);
    cluster.addedViaApi = options.addedViaApi ?? false;
    this.initializing++;
    this.publishWarming();
    try {
      await cluster.initialize();
      if (options.assignment !== undefined) await cluster.setLoadAssignment(options.assignment);
    } finally {
      this.initializing--;
      this.publishWarming();
    }
    this.clusters.set(config.name, cluster);
    scope.counter('cluster_added').inc();
    this.activeClusters.set(this.clusters.size);
    return cluster;
  }

  /** Clusters the xDS client holds back until their endpoints arrive (`warming_clusters`). */
  setWarmingCount(count: number): void {
    this.warmingElsewhere = count;
    this.publishWarming();
  }

  private publishWarming(): void {
    this.warmingClusters.set(this.initializing + this.warmingElsewhere);
  }

  remove(name: string): void {
    const cluster = this.clusters.get(name);
    if (cluster === undefined) return;
    this.clusters.delete(name);
    cluster.drainAndClose();
    this.deps.stats.scope('cluster_manager').counter('cluster_removed').inc();
    this.activeClusters.set(this.clusters.size);
  }

  close(): void {
    for (const cluster of this.clusters.values()) cluster.close();
    this.clusters.clear();
    this.activeClusters.set(0);
  }
}
