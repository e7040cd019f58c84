/**
 * The mesh-wide registry over every cluster (Istio's aggregate controller,
 * `pilot/pkg/serviceregistry/aggregate/controller.go`): clusters come and go at run time, a Service
 * with the same namespace/name anywhere is one mesh service, its endpoints are every cluster's. Data
 * of a cluster whose API server is unreachable stays until the cluster is removed or its informers
 * relist, as Istio keeps a remote's endpoints while its informers retry.
 *
 * `snapshot()` is an immutable view with a version that grows on every change. It is built lazily
 * and shares structure with the previous one: only the maps of a changed part are copied (an
 * O(services) copy of references, not of endpoints) and only the entries of changed hostnames or
 * workloads are rebuilt, so after a one-endpoint change the cost is one service's endpoints. Listeners
 * hear what changed once per burst (a relist of thousands of objects is one notification).
 */
import { createLogger, type Logger } from '../core/logger.js';
import type { DiscoveryKind } from '../kube/informers/watched-kinds.js';
import { ClusterRegistry, type ClusterDelta, type ObjectChange } from './cluster-registry.js';
import type {
  ClusterSyncState,
  MeshEndpoint,
  MeshService,
  RegistrySnapshot,
  WorkloadInstance,
} from './mesh-model.js';
import { mergeMeshService, type ClusterService } from './service-mapping.js';

export interface AggregateRegistryOptions {
  /** SPIFFE trust domain of endpoint and workload identities (mesh `trustDomain`, default `cluster.local`). */
  readonly trustDomain?: string;
  /** Kubernetes DNS suffix (default `cluster.local`). */
  readonly domainSuffix?: string;
  /** Namespace whose network label sets a cluster's default network (default `istio-system`). */
  readonly systemNamespace?: string;
  readonly log?: Logger;
}

/** What one burst of changes touched; `version` is the registry version after it. */
export interface RegistryChange {
  readonly version: number;
  /** Hostnames whose service definition or endpoints changed (including added and removed). */
  readonly services: ReadonlySet<string>;
  /** Workload keys (`<cluster>/<namespace>/<name>`) added, changed or removed. */
  readonly workloads: ReadonlySet<string>;
  /** Clusters added, removed, or whose sync state changed. */
  readonly clusters: ReadonlySet<string>;
}

export type RegistryListener = (change: RegistryChange) => void;

/** Sync state as reported for a cluster (`clusterId` and `network` are the registry's). */
export type ReportedSyncState = Omit<ClusterSyncState, 'clusterId' | 'network'>;

interface Member {
  readonly registry: ClusterRegistry;
  readonly network: string;
  sync: ReportedSyncState;
}

const emptyEndpoints: readonly MeshEndpoint[] = Object.freeze([]);

export class AggregateRegistry {
  private readonly members = new Map<string, Member>();
  private readonly listeners = new Set<RegistryListener>();
  private readonly log: Logger;
  private readonly trustDomain: string;
  private readonly domainSuffix: string;
  private readonly systemNamespace: string;
  private version = 0;
  private last: RegistrySnapshot;
  private readonly dirtyServices = new Set<string>();
  private readonly dirtyWorkloads = new Set<string>();
  private areClustersDirty = false;
  private pending: { services: Set<string>; workloads: Set<string>; clusters: Set<string> } | undefined;

  constructor(options: AggregateRegistryOptions = {}) {
    this.log = options.log ?? createLogger('registry');
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    this.domainSuffix = options.domainSuffix ?? 'cluster.local';
    this.systemNamespace = options.systemNamespace ?? 'istio-system';
    this.last = Object.freeze({
      version: 0,
      services: new Map(),
      endpoints: new Map(),
      workloads: new Map(),
      clusters: Object.freeze([]),
    });
  }

  /** Adds an (empty, not yet synced) cluster. Throws if the id is taken. */
  addCluster(clusterId: string, network = ''): void {
    if (this.members.has(clusterId)) throw new Error(`cluster ${clusterId} is already in the registry`);
    const registry = new ClusterRegistry({
      clusterId,
      network,
      trustDomain: this.trustDomain,
      domainSuffix: this.domainSuffix,
      systemNamespace: this.systemNamespace,
    });
    this.members.set(clusterId, { registry, network, sync: { hasSynced: false, isConnected: false } });
    this.record({ services: new Set(), workloads: new Set() }, clusterId);
  }

  /** Removes a cluster and everything it contributed. Unknown ids are ignored. */
  removeCluster(clusterId: string): void {
    const member = this.members.get(clusterId);
    if (member === undefined) return;
    const delta = member.registry.clear();
    this.members.delete(clusterId);
    this.record(delta, clusterId);
  }

  hasCluster(clusterId: string): boolean {
    return this.members.has(clusterId);
  }

  /** One informer event of one cluster (from `KubeClusterWatch.onObject`). */
  apply(clusterId: string, kind: DiscoveryKind, type: ObjectChange, object: unknown): void {
    const member = this.members.get(clusterId);
    if (member === undefined) {
      this.log.warn({ clusterId, kind }, 'event for a cluster not in the registry; ignored');
      return;
    }
    const delta = member.registry.apply(kind, type, object);
    if (delta.services.size > 0 || delta.workloads.size > 0) this.record(delta, undefined);
  }

  /** The cluster's sync state as its watch reports it; a change is part of the next snapshot. */
  setSyncState(clusterId: string, sync: ReportedSyncState): void {
    const member = this.members.get(clusterId);
    if (member === undefined) return;
    if (JSON.stringify(member.sync) === JSON.stringify(sync)) return;
    member.sync = sync;
    this.record({ services: new Set(), workloads: new Set() }, clusterId);
  }

  /** Every cluster's sync state now, in cluster-id order. */
  syncStates(): ClusterSyncState[] {
    return [...this.members.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([clusterId, m]) => Object.freeze({ clusterId, network: m.network, ...m.sync }));
  }

  /** The current immutable view (the same object until something changes). */
  snapshot(): RegistrySnapshot {
    if (this.last.version === this.version) return this.last;
    const prev = this.last;
    const order = [...this.members.keys()].sort();
    let services = prev.services;
    let endpoints = prev.endpoints;
    if (this.dirtyServices.size > 0) {
      const nextServices = new Map(prev.services);
      const nextEndpoints = new Map(prev.endpoints);
      for (const hostname of this.dirtyServices) {
        const parts: ClusterService[] = [];
        const all: MeshEndpoint[] = [];
        for (const id of order) {
          const registry = (this.members.get(id) as Member).registry;
          const part = registry.service(hostname);
          if (part === undefined) continue;
          parts.push(part);
          all.push(...registry.endpoints(hostname));
        }
        const merged: MeshService | undefined = mergeMeshService(parts);
        if (merged === undefined) {
          nextServices.delete(hostname);
          nextEndpoints.delete(hostname);
        } else {
          nextServices.set(hostname, merged);
          nextEndpoints.set(hostname, all.length === 0 ? emptyEndpoints : Object.freeze(all));
        }
      }
      services = nextServices;
      endpoints = nextEndpoints;
    }
    let workloads = prev.workloads;
    if (this.dirtyWorkloads.size > 0) {
      const next = new Map(prev.workloads);
      for (const key of this.dirtyWorkloads) {
        const clusterId = key.slice(0, key.indexOf('/'));
        const workload: WorkloadInstance | undefined = this.members.get(clusterId)?.registry.workload(key);
        if (workload === undefined) next.delete(key);
        else next.set(key, workload);
      }
      workloads = next;
    }
    const clusters = this.areClustersDirty ? Object.freeze(this.syncStates()) : prev.clusters;
    this.dirtyServices.clear();
    this.dirtyWorkloads.clear();
    this.areClustersDirty = false;
    this.last = Object.freeze({ version: this.version, services, endpoints, workloads, clusters });
    return this.last;
  }

  /** Called after each burst of changes (coalesced within one turn of the event loop's microtasks). */
  onChange(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(delta: ClusterDelta, clusterId: string | undefined): void {
    this.version++;
    for (const s of delta.services) this.dirtyServices.add(s);
    for (const w of delta.workloads) this.dirtyWorkloads.add(w);
    if (clusterId !== undefined) this.areClustersDirty = true;
    if (this.pending === undefined) {
      this.pending = { services: new Set(), workloads: new Set(), clusters: new Set() };
      queueMicrotask(() => this.flush());
    }
    for (const s of delta.services) this.pending.services.add(s);
    for (const w of delta.workloads) this.pending.workloads.add(w);
    if (clusterId !== undefined) this.pending.clusters.add(clusterId);
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    const change: RegistryChange = { version: this.version, ...pending };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err }, 'registry listener failed');
      }
    }
  }
}
