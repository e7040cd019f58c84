/**
 * The service registry of one Kubernetes cluster: the Services, EndpointSlices, Pods, Nodes and
 * Namespaces its informers deliver, and what the mesh derives from them - per-cluster services,
 * endpoints by service hostname, workloads. Every event recomputes only what it can affect (a pod
 * change: that pod's workload and the services whose endpoints read that pod; a node change: the
 * pods on it and the services whose endpoints read it) and reports which service hostnames and
 * workloads really changed, so consumers rebuild only those.
 */
import type { DiscoveryKind } from '../kube/informers/watched-kinds.js';
import {
  buildServiceEndpoints,
  sameEndpoints,
  type EndpointContext,
  type EndpointDependencies,
  type EndpointLookups,
} from './endpoint-builder.js';
import {
  objectKey,
  parseEndpointSlice,
  parseNamespace,
  parseNode,
  parsePod,
  parseService,
  type NamespaceRecord,
  type NodeRecord,
  type PodRecord,
  type ServiceRecord,
  type SliceRecord,
} from './kube-records.js';
import { TopologyLabel, workloadKey, type MeshEndpoint, type WorkloadInstance } from './mesh-model.js';
import { serviceHostname, toClusterService, type ClusterService } from './service-mapping.js';
import { toWorkload } from './workload-mapping.js';

export interface ClusterRegistryOptions {
  readonly clusterId: string;
  /** The cluster's network ('' = the default network). */
  readonly network: string;
  readonly trustDomain: string;
  readonly domainSuffix: string;
  /** The namespace whose `topology.istio.io/network` label sets the cluster's network (`istio-system`). */
  readonly systemNamespace: string;
}

/** What one change did: service hostnames whose service or endpoints changed, workload keys that changed. */
export interface ClusterDelta {
  readonly services: Set<string>;
  readonly workloads: Set<string>;
}

export type ObjectChange = 'upsert' | 'delete';

const emptyEndpoints: readonly MeshEndpoint[] = Object.freeze([]);

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class ClusterRegistry {
  readonly clusterId: string;
  /** Objects refused because they had no name. */
  droppedObjects = 0;
  private readonly services = new Map<string, ServiceRecord>();
  private readonly slices = new Map<string, SliceRecord>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly podsByIp = new Map<string, Set<string>>();
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly views = new Map<string, ClusterService>();
  private readonly endpointsByHost = new Map<string, readonly MeshEndpoint[]>();
  private readonly deps = new Map<string, EndpointDependencies>();
  private readonly podDependents = new Map<string, Set<string>>();
  private readonly ipDependents = new Map<string, Set<string>>();
  private readonly nodeDependents = new Map<string, Set<string>>();
  private readonly workloadMap = new Map<string, WorkloadInstance>();
  private readonly lookups: EndpointLookups;

  constructor(private readonly options: ClusterRegistryOptions) {
    this.clusterId = options.clusterId;
    this.lookups = {
      podByKey: (namespace, name) => this.pods.get(objectKey(namespace, name)),
      podsByIp: (ip) => [...(this.podsByIp.get(ip) ?? [])].flatMap((k) => this.pods.get(k) ?? []),
      node: (name) => this.nodes.get(name),
    };
  }

  /** This cluster's part of the service with this hostname, if the cluster has the Service. */
  service(hostname: string): ClusterService | undefined {
    return this.views.get(hostname);
  }

  /** This cluster's endpoints of the service (every port and health state). */
  endpoints(hostname: string): readonly MeshEndpoint[] {
    return this.endpointsByHost.get(hostname) ?? emptyEndpoints;
  }

  hostnames(): IterableIterator<string> {
    return this.views.keys();
  }

  workload(key: string): WorkloadInstance | undefined {
    return this.workloadMap.get(key);
  }

  workloads(): IterableIterator<WorkloadInstance> {
    return this.workloadMap.values();
  }

  /** Applies one informer event; returns what changed. Malformed objects are counted and ignored. */
  apply(kind: DiscoveryKind, type: ObjectChange, object: unknown): ClusterDelta {
    const delta: ClusterDelta = { services: new Set(), workloads: new Set() };
    switch (kind) {
      case 'Service':
        this.applyService(type, parseService(object), delta);
        break;
      case 'EndpointSlice':
        this.applySlice(type, parseEndpointSlice(object), delta);
        break;
      case 'Pod':
        this.applyPod(type, parsePod(object), delta);
        break;
      case 'Node':
        this.applyNode(type, parseNode(object), delta);
        break;
      case 'Namespace':
        this.applyNamespace(type, parseNamespace(object), delta);
        break;
    }
    return delta;
  }

  /** Forgets everything (the cluster leaves the mesh); returns what disappeared. */
  clear(): ClusterDelta {
    const delta: ClusterDelta = {
      services: new Set(this.views.keys()),
      workloads: new Set(this.workloadMap.keys()),
    };
    for (const map of [
      this.services,
      this.slices,
      this.slicesByService,
      this.pods,
      this.podsByIp,
      this.podsByNode,
      this.nodes,
      this.namespaces,
      this.views,
      this.endpointsByHost,
      this.deps,
      this.podDependents,
      this.ipDependents,
      this.nodeDependents,
      this.workloadMap,
    ])
      map.clear();
    return delta;
  }

  private context(): EndpointContext {
    const systemNetwork = this.namespaces.get(this.options.systemNamespace)?.labels[TopologyLabel.network];
    return {
      clusterId: this.clusterId,
      clusterNetwork: this.options.network,
      ...(systemNetwork !== undefined && systemNetwork !== ''
        ? { systemNamespaceNetwork: systemNetwork }
        : {}),
      trustDomain: this.options.trustDomain,
    };
  }

  private applyService(type: ObjectChange, service: ServiceRecord | undefined, delta: ClusterDelta): void {
    if (service === undefined) return void this.droppedObjects++;
    const key = objectKey(service.namespace, service.name);
    if (type === 'delete') this.services.delete(key);
    else this.services.set(key, service);
    this.recomputeService(key, delta);
  }

  private applySlice(type: ObjectChange, slice: SliceRecord | undefined, delta: ClusterDelta): void {
    if (slice === undefined) return void this.droppedObjects++;
    const key = objectKey(slice.namespace, slice.name);
    const old = this.slices.get(key);
    const affected = new Set<string>();
    if (old !== undefined && old.serviceName !== '') {
      const oldService = objectKey(old.namespace, old.serviceName);
      removeFrom(this.slicesByService, oldService, key);
      affected.add(oldService);
    }
    if (type === 'delete') this.slices.delete(key);
    else {
      this.slices.set(key, slice);
      if (slice.serviceName !== '') {
        const service = objectKey(slice.namespace, slice.serviceName);
        addTo(this.slicesByService, service, key);
        affected.add(service);
      }
    }
    for (const service of affected) this.recomputeService(service, delta);
  }

  private applyPod(type: ObjectChange, pod: PodRecord | undefined, delta: ClusterDelta): void {
    if (pod === undefined) return void this.droppedObjects++;
    const key = objectKey(pod.namespace, pod.name);
    const old = this.pods.get(key);
    if (old?.podIP !== undefined) removeFrom(this.podsByIp, old.podIP, key);
    if (old?.nodeName !== undefined) removeFrom(this.podsByNode, old.nodeName, key);
    if (type === 'delete') this.pods.delete(key);
    else {
      this.pods.set(key, pod);
      if (pod.podIP !== undefined) addTo(this.podsByIp, pod.podIP, key);
      if (pod.nodeName !== undefined) addTo(this.podsByNode, pod.nodeName, key);
    }
    this.recomputeWorkload(key, delta);
    const services = new Set(this.podDependents.get(key));
    for (const ip of [old?.podIP, pod.podIP])
      if (ip !== undefined) for (const s of this.ipDependents.get(ip) ?? []) services.add(s);
    for (const service of services) this.recomputeService(service, delta);
  }

  private applyNode(type: ObjectChange, node: NodeRecord | undefined, delta: ClusterDelta): void {
    if (node === undefined) return void this.droppedObjects++;
    if (type === 'delete') this.nodes.delete(node.name);
    else this.nodes.set(node.name, node);
    for (const pod of [...(this.podsByNode.get(node.name) ?? [])]) this.recomputeWorkload(pod, delta);
    for (const service of [...(this.nodeDependents.get(node.name) ?? [])])
      this.recomputeService(service, delta);
  }

  private applyNamespace(type: ObjectChange, ns: NamespaceRecord | undefined, delta: ClusterDelta): void {
    if (ns === undefined) return void this.droppedObjects++;
    if (type === 'delete') this.namespaces.delete(ns.name);
    else this.namespaces.set(ns.name, ns);
    if (ns.name === this.options.systemNamespace) {
      // The system namespace's network label is every endpoint's and workload's default network.
      for (const service of [...this.services.keys()]) this.recomputeService(service, delta);
      for (const pod of [...this.pods.keys()]) this.recomputeWorkload(pod, delta);
      return;
    }
    // Namespace annotations can set a service's traffic distribution.
    for (const [key, service] of this.services)
      if (service.namespace === ns.name) this.recomputeService(key, delta);
  }

  private recomputeService(serviceKey: string, delta: ClusterDelta): void {
    const { namespace, name } = splitKey(serviceKey);
    const hostname = serviceHostname(name, namespace, this.options.domainSuffix);
    const record = this.services.get(serviceKey);
    let view: ClusterService | undefined;
    let endpoints: readonly MeshEndpoint[] = emptyEndpoints;
    if (record !== undefined) {
      view = toClusterService(
        this.clusterId,
        record,
        this.namespaces.get(namespace),
        this.options.domainSuffix,
      );
      const slices = [...(this.slicesByService.get(serviceKey) ?? [])].flatMap(
        (k) => this.slices.get(k) ?? [],
      );
      const built = buildServiceEndpoints(hostname, record, slices, this.lookups, this.context());
      endpoints = built.endpoints.length === 0 ? emptyEndpoints : Object.freeze(built.endpoints);
      this.setDependencies(serviceKey, built.deps);
    } else {
      this.setDependencies(serviceKey, undefined);
    }
    const oldView = this.views.get(hostname);
    const isViewChanged = JSON.stringify(oldView) !== JSON.stringify(view);
    const isEndpointsChanged = !sameEndpoints(this.endpoints(hostname), endpoints);
    if (isViewChanged) {
      if (view === undefined) this.views.delete(hostname);
      else this.views.set(hostname, view);
    }
    if (isEndpointsChanged) {
      if (endpoints.length === 0) this.endpointsByHost.delete(hostname);
      else this.endpointsByHost.set(hostname, endpoints);
    }
    if (isViewChanged || isEndpointsChanged) delta.services.add(hostname);
  }

  private setDependencies(serviceKey: string, next: EndpointDependencies | undefined): void {
    const old = this.deps.get(serviceKey);
    if (old !== undefined) {
      for (const pod of old.podKeys) removeFrom(this.podDependents, pod, serviceKey);
      for (const ip of old.ips) removeFrom(this.ipDependents, ip, serviceKey);
      for (const node of old.nodes) removeFrom(this.nodeDependents, node, serviceKey);
    }
    if (next === undefined) {
      this.deps.delete(serviceKey);
      return;
    }
    this.deps.set(serviceKey, next);
    for (const pod of next.podKeys) addTo(this.podDependents, pod, serviceKey);
    for (const ip of next.ips) addTo(this.ipDependents, ip, serviceKey);
    for (const node of next.nodes) addTo(this.nodeDependents, node, serviceKey);
  }

  private recomputeWorkload(podKey: string, delta: ClusterDelta): void {
    const { namespace, name } = splitKey(podKey);
    const key = workloadKey(this.clusterId, namespace, name);
    const pod = this.pods.get(podKey);
    const node = pod?.nodeName === undefined ? undefined : this.nodes.get(pod.nodeName);
    const next = pod === undefined ? undefined : toWorkload(pod, node, this.context());
    const prev = this.workloadMap.get(key);
    if (JSON.stringify(prev) === JSON.stringify(next)) return;
    if (next === undefined) this.workloadMap.delete(key);
    else this.workloadMap.set(key, next);
    delta.workloads.add(key);
  }
}
