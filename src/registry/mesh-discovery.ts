/**
 * Multi-cluster discovery for one control plane, wired as Istio multi-primary wires it: one
 * `KubeClusterWatch` per cluster feeding the `AggregateRegistry`; the control plane's own (config)
 * cluster also feeds the `IstioConfigStore` - Istio config is read only from there, remote clusters
 * contribute services, endpoints, pods and nodes (Istio's remote secrets;
 * `pilot/pkg/serviceregistry/kube/controller/multicluster.go` NewMulticluster,
 * `pilot/pkg/bootstrap/configcontroller.go`).
 *
 * Readiness follows istiod: the config cluster must have synced; a remote gets a bounded wait
 * (`PILOT_REMOTE_CLUSTER_TIMEOUT`, default 30 s, `pkg/kube/multicluster/cluster.go` Run), after which
 * its status is `timeout` and the control plane serves without it. Its informers keep retrying, and it
 * joins the served view whenever it syncs.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, type Clock, type Timer } from '../core/clock.js';
import { createLogger, type Logger } from '../core/logger.js';
import { SystemRandom, type Random } from '../core/random.js';
import { IstioConfigStore } from '../istio/istio-config-store.js';
import {
  KubeClusterWatch,
  type KubeClusterWatchState,
  type KubeObjectEvent,
} from '../kube/informers/kube-cluster-watch.js';
import type { BackoffOptions } from '../kube/informers/reconnect-backoff.js';
import { discoveryKinds, type DiscoveryKind } from '../kube/informers/watched-kinds.js';
import { AggregateRegistry, type ReportedSyncState } from './aggregate-registry.js';
import type { ClusterSyncState } from './mesh-model.js';

/** One cluster to discover (the shape of `spillway control-plane`'s `WatchedCluster`). */
export interface DiscoveredCluster {
  readonly clusterId: string;
  /** Network of its endpoints unless pods or the system namespace say otherwise ('' = default). */
  readonly network: string;
  /** kubeconfig path, a loaded KubeConfig, or undefined for client-node's default loading. */
  readonly kubeconfig?: string | KubeConfig;
  /** Context in the kubeconfig; undefined = its current context. */
  readonly context?: string;
}

export interface MeshDiscoveryOptions {
  /** The control plane's own cluster: discovery and Istio config. */
  readonly local: DiscoveredCluster;
  /** Other clusters: discovery only. More can be added with `addRemote`. */
  readonly remotes?: readonly DiscoveredCluster[];
  readonly trustDomain?: string;
  readonly domainSuffix?: string;
  readonly systemNamespace?: string;
  /** Bounded initial wait for each remote (Istio `PILOT_REMOTE_CLUSTER_TIMEOUT`, default 30 s). */
  readonly remoteSyncTimeoutMs?: number;
  /** Informer retry delays (default client-go's 800 ms .. 30 s with jitter). */
  readonly backoff?: BackoffOptions;
  /** Abort and retry a list after this long (default 30 s). */
  readonly listTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
}

interface Member {
  readonly watch: KubeClusterWatch;
  readonly network: string;
  readonly isLocal: boolean;
  syncStatus: 'syncing' | 'synced' | 'timeout';
  timeoutTimer?: Timer;
  unsubscribe: Array<() => void>;
}

const discoverySet: ReadonlySet<string> = new Set(discoveryKinds);

export class MeshDiscovery {
  readonly registry: AggregateRegistry;
  readonly config: IstioConfigStore;
  private readonly members = new Map<string, Member>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly remoteSyncTimeoutMs: number;
  private readyWaiters: Array<() => void> = [];
  private isStarted = false;

  /** Loads every kubeconfig (throws `SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID`); connects on `start()`. */
  constructor(private readonly options: MeshDiscoveryOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random ?? new SystemRandom();
    this.log = options.log ?? createLogger('mesh-discovery');
    this.remoteSyncTimeoutMs = options.remoteSyncTimeoutMs ?? 30_000;
    this.registry = new AggregateRegistry({
      ...(options.trustDomain !== undefined ? { trustDomain: options.trustDomain } : {}),
      ...(options.domainSuffix !== undefined ? { domainSuffix: options.domainSuffix } : {}),
      ...(options.systemNamespace !== undefined ? { systemNamespace: options.systemNamespace } : {}),
      log: this.log,
    });
    this.config = new IstioConfigStore({ clock: this.clock, log: this.log });
    this.add(options.local, true);
    for (const remote of options.remotes ?? []) this.add(remote, false);
  }

  get localClusterId(): string {
    return this.options.local.clusterId;
  }

  /** Starts every cluster's informers; returns at once (see `whenReady`). */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    for (const [clusterId, member] of this.members) this.startMember(clusterId, member);
  }

  /** The config cluster has synced, and every remote has synced or had its bounded wait. */
  isReady(): boolean {
    for (const member of this.members.values()) {
      if (member.syncStatus === 'synced') continue;
      if (member.isLocal || member.syncStatus !== 'timeout') return false;
    }
    return true;
  }

  /** Resolves when `isReady()` first holds. */
  whenReady(): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Adds a remote cluster at run time (started at once if discovery is running). */
  addRemote(cluster: DiscoveredCluster): void {
    const member = this.add(cluster, false);
    if (this.isStarted) this.startMember(cluster.clusterId, member);
  }

  /** Stops watching a remote cluster and removes everything it contributed. */
  async removeRemote(clusterId: string): Promise<void> {
    const member = this.members.get(clusterId);
    if (member === undefined || member.isLocal) return;
    this.members.delete(clusterId);
    await this.stopMember(member);
    this.registry.removeCluster(clusterId);
    this.checkReady();
  }

  /** Every cluster's sync state now (live: last update time included), in cluster-id order. */
  syncStates(): ClusterSyncState[] {
    return [...this.members.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([clusterId, m]) => ({ clusterId, network: m.network, ...this.reported(m, m.watch.state()) }));
  }

  /** Per-kind informer detail of one cluster (`/debug/syncz`). */
  watchState(clusterId: string): KubeClusterWatchState | undefined {
    return this.members.get(clusterId)?.watch.state();
  }

  async stop(): Promise<void> {
    this.isStarted = false;
    await Promise.all([...this.members.values()].map((m) => this.stopMember(m)));
  }

  private add(cluster: DiscoveredCluster, isLocal: boolean): Member {
    if (this.members.has(cluster.clusterId))
      throw new Error(`cluster id '${cluster.clusterId}' is already discovered`);
    const watch = new KubeClusterWatch({
      clusterId: cluster.clusterId,
      ...(cluster.kubeconfig !== undefined ? { kubeconfig: cluster.kubeconfig } : {}),
      ...(cluster.context !== undefined ? { context: cluster.context } : {}),
      isConfigCluster: isLocal,
      clock: this.clock,
      random: this.random,
      log: this.log,
      ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
      ...(this.options.listTimeoutMs !== undefined ? { listTimeoutMs: this.options.listTimeoutMs } : {}),
    });
    const member: Member = {
      watch,
      network: cluster.network,
      isLocal,
      syncStatus: 'syncing',
      unsubscribe: [],
    };
    this.members.set(cluster.clusterId, member);
    this.registry.addCluster(cluster.clusterId, cluster.network);
    return member;
  }

  private startMember(clusterId: string, member: Member): void {
    member.unsubscribe.push(
      member.watch.onObject((event) => this.onObject(member, event)),
      member.watch.onStateChange((state) => this.onState(clusterId, member, state)),
    );
    if (!member.isLocal && this.remoteSyncTimeoutMs > 0) {
      member.timeoutTimer = this.clock.setTimer(this.remoteSyncTimeoutMs, () => {
        if (member.syncStatus !== 'syncing' || !this.members.has(clusterId)) return;
        member.syncStatus = 'timeout';
        this.log.error(
          { clusterId, timeoutMs: this.remoteSyncTimeoutMs, lastError: member.watch.state().lastError },
          'remote cluster failed to sync in time; serving without it',
        );
        this.onState(clusterId, member, member.watch.state());
      });
    }
    member.watch.start();
  }

  private async stopMember(member: Member): Promise<void> {
    member.timeoutTimer?.cancel();
    for (const unsubscribe of member.unsubscribe) unsubscribe();
    member.unsubscribe = [];
    await member.watch.stop();
  }

  private onObject(member: Member, event: KubeObjectEvent): void {
    if (discoverySet.has(event.kind)) {
      this.registry.apply(event.clusterId, event.kind as DiscoveryKind, event.type, event.object);
    } else if (member.isLocal) {
      if (event.type === 'delete') this.config.delete(event.object);
      else this.config.upsert(event.clusterId, event.object);
    }
  }

  private onState(clusterId: string, member: Member, state: KubeClusterWatchState): void {
    if (state.hasSynced && member.syncStatus !== 'synced') {
      member.syncStatus = 'synced';
      member.timeoutTimer?.cancel();
    }
    this.registry.setSyncState(clusterId, this.reported(member, state));
    this.checkReady();
  }

  private reported(member: Member, state: KubeClusterWatchState): ReportedSyncState {
    return {
      hasSynced: state.hasSynced,
      isConnected: state.isConnected,
      ...(state.lastUpdateWallMs !== undefined ? { lastUpdateWallMs: state.lastUpdateWallMs } : {}),
      ...(state.lastError !== undefined ? { lastError: state.lastError } : {}),
      syncStatus: member.syncStatus,
      ...(state.disconnectedSinceWallMs !== undefined
        ? { disconnectedSinceWallMs: state.disconnectedSinceWallMs }
        : {}),
    };
  }

  private checkReady(): void {
    if (this.readyWaiters.length === 0 || !this.isReady()) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
