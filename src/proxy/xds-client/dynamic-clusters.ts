/**
 * CDS and EDS over ADS, with Envoy's cluster warming (docs `intro/arch_overview/upstream/
 * cluster_manager.rst` "Cluster warming", xds_protocol.rst "Resource warming"):
 *
 * - CDS is state of the world: clusters missing from a response are removed; a cluster whose
 *   resource did not change is left alone (`ClusterManagerImpl::addOrUpdateCluster` skips it).
 * - A new or changed EDS cluster *warms*: the previous version (if any) keeps serving until a
 *   `ClusterLoadAssignment` for it arrives in an EDS response after the CDS update - even an
 *   unchanged one - or its `initial_fetch_timeout` passes (then the last assignment received for
 *   that service name is used, Envoy's EDS cache `assignment_use_cached`, or none) or an EDS
 *   response is rejected (`EdsClusterImpl::onConfigUpdateFailed` lets startup continue).
 * - An EDS update changes the membership of the live cluster in place (`Cluster.setLoadAssignment`:
 *   hosts that persist keep their outlier state, ADR 0005); the cluster is never rebuilt.
 * - EDS names are the service names of every EDS cluster (static ones too); a CDS update that adds
 *   or changes EDS clusters sends an EDS request even if the names stay the same, as Envoy's new
 *   EDS watches do, so that the server answers and the clusters can finish warming.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import { XdsTypeUrl, type XdsResourceJson } from '../../envoy/xds-resource.js';
import { buildCluster } from '../bootstrap/cluster-builder.js';
import { buildClusterLoadAssignment } from '../bootstrap/load-assignment-builder.js';
import type { ClusterConfig, ClusterLoadAssignmentConfig } from '../config/cluster-config.js';
import type { ConfigSourceConfig } from '../config/config-source.js';
import type { StatsScope } from '../stats/stats-store.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { AdsMux } from './ads-mux.js';
import type { DecodedResource } from './discovery-messages.js';
import { buildOrReject, ResourceRejection, type ResourceErrorState } from './resource-rejection.js';
import { ExclusiveTimers } from './exclusive-timers.js';
import { StateCondition } from './state-condition.js';
import { SubscriptionStats } from './subscription-stats.js';

const log = createLogger('xds');

/** A dynamic resource as applied: its JSON (for `/config_dump`), built config and version. */
export interface AppliedResource<T> {
  readonly json: XdsResourceJson;
  readonly config: T;
  readonly versionInfo: string;
  readonly lastUpdatedMs: number;
}

interface WarmingCluster extends AppliedResource<ClusterConfig> {
  readonly timer: Timer | undefined;
}

export interface DynamicClustersDeps {
  readonly mux: AdsMux;
  readonly clusterManager: ClusterManager;
  readonly clock: Clock;
  /** The root stats scope. */
  readonly stats: StatsScope;
  readonly staticClusters: readonly ClusterConfig[];
  readonly cdsConfig: ConfigSourceConfig | undefined;
}

function emptyAssignment(serviceName: string): ClusterLoadAssignmentConfig {
  return {
    clusterName: serviceName,
    localities: [],
    overprovisioningFactor: 140,
    weightedPriorityHealth: false,
  };
}

export class DynamicClusters {
  /** Clusters from CDS that serve. */
  readonly active = new Map<string, AppliedResource<ClusterConfig>>();
  /** Clusters from CDS waiting for their endpoints (the previous version, if any, still serves). */
  readonly warming = new Map<string, WarmingCluster>();
  /** The last accepted ClusterLoadAssignment of every subscribed service name. */
  readonly endpoints = new Map<string, AppliedResource<ClusterLoadAssignmentConfig>>();
  /** CDS resources that were rejected, by name (`error_state`). */
  readonly errors = new Map<string, ResourceErrorState>();
  private readonly staticClusters: ReadonlyMap<string, ClusterConfig>;
  /** Static EDS clusters that have not had their first assignment (or timeout) yet. */
  private readonly staticPending = new Set<string>();
  private readonly cdsStats: SubscriptionStats;
  private readonly edsStats = new Map<string, SubscriptionStats>();
  private readonly condition = new StateCondition();
  private readonly timers: ExclusiveTimers;
  private isCdsInitialFetchDone = false;
  private isClosed = false;
  private cdsVersion = '';

  constructor(private readonly deps: DynamicClustersDeps) {
    this.staticClusters = new Map(deps.staticClusters.map((c) => [c.name, c]));
    this.cdsStats = new SubscriptionStats(deps.stats.scope('cluster_manager').scope('cds'));
    this.timers = new ExclusiveTimers(deps.clock, deps.mux);
  }

  get cdsVersionInfo(): string {
    return this.cdsVersion;
  }

  /** Every cluster name a route may use: static, active and warming ones (`validate_clusters`). */
  knownClusterNames(): Set<string> {
    return new Set([...this.staticClusters.keys(), ...this.active.keys(), ...this.warming.keys()]);
  }

  /**
   * Envoy's secondary initialization: static EDS clusters get their first assignment (or time out).
   * Resolves at once without static EDS clusters.
   */
  async initializeStaticEds(): Promise<void> {
    const edsClusters = [...this.staticClusters.values()].filter((c) => c.type === 'EDS');
    if (edsClusters.length === 0) return;
    for (const cluster of edsClusters) {
      this.staticPending.add(cluster.name);
      const timeoutMs = cluster.edsConfig?.initialFetchTimeoutMs ?? 0;
      if (timeoutMs > 0) {
        this.timers.set(timeoutMs, () => {
          if (!this.staticPending.delete(cluster.name)) return;
          this.statsFor(cluster).fetchTimedOut();
          this.condition.changed();
        });
      }
    }
    this.updateEdsNames(false);
    await this.condition.waitFor(() => this.staticPending.size === 0);
  }

  /**
   * Subscribes to CDS (wildcard) and resolves once the first response was handled (accepted,
   * rejected, or `initial_fetch_timeout` passed) and no cluster is warming any more.
   */
  async initializeCds(): Promise<void> {
    const cds = this.deps.cdsConfig;
    if (cds === undefined) return;
    this.deps.mux.subscribe(XdsTypeUrl.cluster, {
      onUpdate: (resources, versionInfo) => this.onCdsUpdate(resources, versionInfo),
      onRejected: (error) => this.onCdsRejected(error),
      onConnectionFailure: () => this.cdsStats.connectionFailure(),
    });
    if (cds.initialFetchTimeoutMs > 0) {
      this.timers.set(cds.initialFetchTimeoutMs, () => {
        if (this.isCdsInitialFetchDone) return;
        this.cdsStats.fetchTimedOut();
        this.isCdsInitialFetchDone = true;
        this.condition.changed();
      });
    }
    await this.condition.waitFor(() => this.isCdsInitialFetchDone && this.warming.size === 0);
  }

  /** Stops the timers; nothing is applied any more (the proxy is shutting down). */
  close(): void {
    this.isClosed = true;
    this.timers.close();
  }

  private statsFor(config: ClusterConfig): SubscriptionStats {
    let stats = this.edsStats.get(config.name);
    if (stats === undefined) {
      stats = new SubscriptionStats(
        this.deps.stats.scope('cluster').scope(config.statName, 'cluster_name'),
        false,
      );
      this.edsStats.set(config.name, stats);
    }
    return stats;
  }

  private async onCdsUpdate(resources: readonly DecodedResource[], versionInfo: string): Promise<void> {
    const built = resources.map((resource) => {
      const config = buildOrReject('cluster(s)', resource.name, resource.json, () =>
        buildCluster(resource.json, { path: '' }),
      );
      if (this.staticClusters.has(config.name)) {
        throw new ResourceRejection(
          config.name,
          resource.json,
          `Error adding/updating cluster(s) ${config.name}: a static cluster of that name exists and cannot be updated or removed via CDS`,
        );
      }
      return { resource, config };
    });
    const now = this.deps.clock.wallMs();
    let edsClustersChanged = false;
    const wanted = new Set<string>();
    for (const { resource, config } of built) {
      wanted.add(config.name);
      this.errors.delete(config.name);
      const current = this.warming.get(config.name) ?? this.active.get(config.name);
      if (current !== undefined && sameResource(current.json, resource.json)) continue;
      const applied: AppliedResource<ClusterConfig> = {
        json: resource.json,
        config,
        versionInfo,
        lastUpdatedMs: now,
      };
      this.warming.get(config.name)?.timer?.cancel();
      this.warming.delete(config.name);
      if (config.type === 'EDS') {
        this.startWarming(applied);
        edsClustersChanged = true;
      } else if (!this.isClosed) {
        await this.deps.clusterManager.addOrUpdate(config, { addedViaApi: true });
        this.active.set(config.name, applied);
      }
    }
    for (const name of [...this.active.keys(), ...this.warming.keys()]) {
      if (!wanted.has(name)) this.removeCluster(name);
    }
    this.cdsStats.accepted(versionInfo, now, resources.length === 0);
    this.cdsVersion = versionInfo;
    this.updateEdsNames(edsClustersChanged);
    this.isCdsInitialFetchDone = true;
    this.publish();
  }

  private onCdsRejected(error: Error): void {
    this.cdsStats.rejected();
    if (error instanceof ResourceRejection) {
      this.errors.set(error.resourceName, {
        failedConfiguration: error.failedConfiguration,
        lastUpdateAttemptMs: this.deps.clock.wallMs(),
        details: error.message,
        versionInfo: this.cdsVersion,
      });
    }
    // CdsApiImpl::onConfigUpdateFailed: startup continues even with a bad config.
    this.isCdsInitialFetchDone = true;
    this.condition.changed();
  }

  private startWarming(applied: AppliedResource<ClusterConfig>): void {
    const name = applied.config.name;
    const timeoutMs = applied.config.edsConfig?.initialFetchTimeoutMs ?? 0;
    const timer =
      timeoutMs > 0 ? this.timers.set(timeoutMs, () => this.onWarmingTimeout(name, applied)) : undefined;
    this.warming.set(name, { ...applied, timer });
  }

  private async onWarmingTimeout(name: string, applied: AppliedResource<ClusterConfig>): Promise<void> {
    const warming = this.warming.get(name);
    if (warming === undefined || warming.json !== applied.json) return;
    this.statsFor(applied.config).fetchTimedOut();
    await this.finishWarmingWithoutUpdate(warming);
    this.publish();
  }

  /**
   * Warming that ends without a fresh assignment (timeout, rejected EDS): the last assignment known
   * for the service name, if any, else no endpoints.
   */
  private async finishWarmingWithoutUpdate(warming: WarmingCluster): Promise<void> {
    const serviceName = warming.config.edsServiceName ?? warming.config.name;
    const cached = this.endpoints.get(serviceName);
    if (cached !== undefined)
      this.deps.stats
        .scope('cluster')
        .scope(warming.config.statName, 'cluster_name')
        .counter('assignment_use_cached')
        .inc();
    await this.activate(warming, cached?.config ?? emptyAssignment(serviceName));
  }

  private async activate(warming: WarmingCluster, assignment: ClusterLoadAssignmentConfig): Promise<void> {
    if (this.isClosed) return;
    warming.timer?.cancel();
    this.warming.delete(warming.config.name);
    await this.deps.clusterManager.addOrUpdate(warming.config, { assignment, addedViaApi: true });
    this.active.set(warming.config.name, {
      json: warming.json,
      config: warming.config,
      versionInfo: warming.versionInfo,
      lastUpdatedMs: warming.lastUpdatedMs,
    });
    log.info({ cluster: warming.config.name }, 'cluster warmed');
  }

  private removeCluster(name: string): void {
    const warming = this.warming.get(name);
    warming?.timer?.cancel();
    this.warming.delete(name);
    if (this.active.delete(name)) this.deps.clusterManager.remove(name);
    this.edsStats.delete(name);
  }

  /** Every EDS cluster (static, active, warming) by service name. */
  private edsClusters(): Array<{
    readonly config: ClusterConfig;
    readonly warming: WarmingCluster | undefined;
  }> {
    const out: Array<{ config: ClusterConfig; warming: WarmingCluster | undefined }> = [];
    for (const config of this.staticClusters.values())
      if (config.type === 'EDS') out.push({ config, warming: undefined });
    for (const applied of this.active.values()) {
      if (applied.config.type === 'EDS' && !this.warming.has(applied.config.name))
        out.push({ config: applied.config, warming: undefined });
    }
    for (const warming of this.warming.values()) out.push({ config: warming.config, warming });
    return out;
  }

  private updateEdsNames(force: boolean): void {
    const names = new Set(this.edsClusters().map(({ config }) => config.edsServiceName ?? config.name));
    for (const name of [...this.endpoints.keys()]) if (!names.has(name)) this.endpoints.delete(name);
    const mux = this.deps.mux;
    if (!mux.isSubscribed(XdsTypeUrl.clusterLoadAssignment)) {
      if (names.size === 0) return;
      mux.subscribe(
        XdsTypeUrl.clusterLoadAssignment,
        {
          onUpdate: (resources, versionInfo) => this.onEdsUpdate(resources, versionInfo),
          onRejected: () => this.onEdsRejected(),
          onConnectionFailure: () => {
            for (const { config } of this.edsClusters()) this.statsFor(config).connectionFailure();
          },
        },
        names,
      );
      return;
    }
    mux.setResourceNames(XdsTypeUrl.clusterLoadAssignment, names, force);
  }

  private async onEdsUpdate(resources: readonly DecodedResource[], versionInfo: string): Promise<void> {
    const built = resources.map((resource) => ({
      resource,
      assignment: buildOrReject('cluster load assignment', resource.name, resource.json, () =>
        buildClusterLoadAssignment(resource.json, { path: '' }),
      ),
    }));
    const now = this.deps.clock.wallMs();
    const subscribed = new Set(this.deps.mux.resourceNames(XdsTypeUrl.clusterLoadAssignment));
    const byService = new Map<
      string,
      Array<{ config: ClusterConfig; warming: WarmingCluster | undefined }>
    >();
    for (const entry of this.edsClusters()) {
      const service = entry.config.edsServiceName ?? entry.config.name;
      byService.set(service, [...(byService.get(service) ?? []), entry]);
    }
    for (const { resource, assignment } of built) {
      // xDS protocol: resources that were not requested are ignored.
      if (!subscribed.has(resource.name)) continue;
      this.endpoints.set(resource.name, {
        json: resource.json,
        config: assignment,
        versionInfo,
        lastUpdatedMs: now,
      });
      for (const { config, warming } of byService.get(resource.name) ?? []) {
        this.statsFor(config).accepted(versionInfo, now);
        if (warming !== undefined) {
          await this.activate(warming, assignment);
        } else {
          const cluster = this.deps.clusterManager.get(config.name);
          // An update changes membership in place; outlier state of persisting hosts stays (ADR 0005).
          if (!this.isClosed) await cluster?.setLoadAssignment(assignment);
          this.staticPending.delete(config.name);
        }
      }
    }
    this.publish();
  }

  private async onEdsRejected(): Promise<void> {
    for (const { config, warming } of this.edsClusters()) {
      this.statsFor(config).rejected();
      if (warming !== undefined) await this.finishWarmingWithoutUpdate(warming);
      else this.staticPending.delete(config.name);
    }
    this.publish();
  }

  private publish(): void {
    this.deps.clusterManager.setWarmingCount(this.warming.size);
    this.condition.changed();
  }
}

/** Two decoded resources are the same configuration (the codec emits fields in proto order). */
export function sameResource(a: XdsResourceJson, b: XdsResourceJson): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
