/**
 * The endpoints of one Service in one cluster, built from its EndpointSlices as Istio's EndpointSlice
 * controller does (`pilot/pkg/serviceregistry/kube/controller/endpointslice.go`
 * updateEndpointCacheForSlice, `endpoint_builder.go`): one endpoint per address and slice port, the
 * pod behind the address (by `targetRef`, else by IP in the slice's namespace) supplying labels,
 * locality, service account and TLS mode, health from the endpoint's conditions. Pure: lookups are
 * passed in, and the objects consulted are reported so the caller knows what to recompute when a pod
 * or node changes.
 */
import type { EndpointHealth, MeshEndpoint } from './mesh-model.js';
import { endpointHealth, supportsDrainingEndpoints } from './endpoint-health.js';
import {
  augmentLabels,
  endpointLocality,
  endpointNetwork,
  podTlsMode,
  spiffeIdentity,
} from './endpoint-topology.js';
import {
  objectKey,
  type NodeRecord,
  type PodRecord,
  type ServiceRecord,
  type SliceRecord,
} from './kube-records.js';

export interface EndpointContext {
  readonly clusterId: string;
  /** The cluster's configured network ('' = default). */
  readonly clusterNetwork: string;
  /** `topology.istio.io/network` of the cluster's system namespace, if labelled. */
  readonly systemNamespaceNetwork?: string;
  readonly trustDomain: string;
}

export interface EndpointLookups {
  podByKey(namespace: string, name: string): PodRecord | undefined;
  /** Pods with this IP (hostNetwork pods may share one). */
  podsByIp(ip: string): readonly PodRecord[];
  node(name: string): NodeRecord | undefined;
}

/** The pods, pod IPs and nodes an endpoint computation read (found or not). */
export interface EndpointDependencies {
  readonly podKeys: Set<string>;
  readonly ips: Set<string>;
  readonly nodes: Set<string>;
}

/** Istio's label on MCS-imported slices; Istio's controller ignores them (`endpointSliceSelector`). */
const mcsServiceNameLabel = 'multicluster.kubernetes.io/service-name';

/** Slices the registry takes endpoints from: IPv4 slices of a named service, not MCS imports. */
export function isServiceSlice(slice: SliceRecord): boolean {
  // Istio skips FQDN slices (istio/istio#34995); the mesh model carries IPv4 addresses only.
  return (
    slice.serviceName !== '' &&
    slice.labels[mcsServiceNameLabel] === undefined &&
    slice.addressType === 'IPv4'
  );
}

function findPod(
  lookups: EndpointLookups,
  namespace: string,
  address: string,
  targetRef: SliceRecord['endpoints'][number]['targetRef'],
  deps: EndpointDependencies,
): PodRecord | undefined {
  if (targetRef !== undefined && targetRef.kind === 'Pod') {
    const ns = targetRef.namespace ?? namespace;
    deps.podKeys.add(objectKey(ns, targetRef.name));
    return lookups.podByKey(ns, targetRef.name);
  }
  // A manually managed slice: Istio guesses the pod by IP within the namespace (controller.getPod).
  deps.ips.add(address);
  return lookups.podsByIp(address).find((p) => p.namespace === namespace);
}

/**
 * Endpoints of `service` from `slices` (any order; taken by slice name). The same address and port
 * name in two slices (a pod moving between slices) yields one endpoint, the first (Istio
 * `endpointSliceCache.get` dedupes on address and port name).
 */
export function buildServiceEndpoints(
  hostname: string,
  service: ServiceRecord,
  slices: readonly SliceRecord[],
  lookups: EndpointLookups,
  ctx: EndpointContext,
): { endpoints: MeshEndpoint[]; deps: EndpointDependencies } {
  const deps: EndpointDependencies = { podKeys: new Set(), ips: new Set(), nodes: new Set() };
  const endpoints: MeshEndpoint[] = [];
  const seen = new Set<string>();
  const portsByName = new Map(service.ports.map((p) => [p.name, p]));
  const isDrainingSupported = supportsDrainingEndpoints(service.labels);
  const ordered = [...slices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const slice of ordered) {
    if (!isServiceSlice(slice)) continue;
    for (const ep of slice.endpoints) {
      const health: EndpointHealth = endpointHealth(ep.conditions, isDrainingSupported);
      for (const address of ep.addresses) {
        const pod = findPod(lookups, slice.namespace, address, ep.targetRef, deps);
        const nodeName = pod?.nodeName ?? ep.nodeName;
        if (nodeName !== undefined) deps.nodes.add(nodeName);
        const node = nodeName === undefined ? undefined : lookups.node(nodeName);
        const locality = endpointLocality({
          ...(pod !== undefined ? { pod } : {}),
          ...(node !== undefined ? { node } : {}),
          ...(ep.zone !== undefined ? { sliceZone: ep.zone } : {}),
        });
        const network = endpointNetwork(pod?.labels, ctx.systemNamespaceNetwork, ctx.clusterNetwork);
        const labels = Object.freeze(
          augmentLabels(pod?.labels ?? {}, ctx.clusterId, locality, nodeName, network),
        );
        const tlsMode = podTlsMode(pod);
        for (const slicePort of slice.ports) {
          // Slice ports carry the service port's name and the resolved target port.
          const servicePort = portsByName.get(slicePort.name);
          if (servicePort === undefined || slicePort.port <= 0) continue;
          const key = `${address}|${slicePort.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          endpoints.push(
            Object.freeze({
              serviceHostname: hostname,
              servicePortName: servicePort.name,
              servicePort: servicePort.port,
              address,
              endpointPort: slicePort.port,
              labels,
              locality: Object.freeze(locality),
              clusterId: ctx.clusterId,
              network,
              namespace: pod?.namespace ?? slice.namespace,
              ...(pod !== undefined ? { podName: pod.name, workloadName: pod.workloadName ?? pod.name } : {}),
              ...(nodeName !== undefined ? { nodeName } : {}),
              ...(pod !== undefined
                ? { serviceAccount: spiffeIdentity(ctx.trustDomain, pod.namespace, pod.serviceAccountName) }
                : {}),
              health,
              tlsMode,
              weight: 1,
            }),
          );
        }
      }
    }
  }
  return { endpoints, deps };
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k]);
}

function sameEndpoint(a: MeshEndpoint, b: MeshEndpoint): boolean {
  return (
    a.serviceHostname === b.serviceHostname &&
    a.servicePortName === b.servicePortName &&
    a.servicePort === b.servicePort &&
    a.address === b.address &&
    a.endpointPort === b.endpointPort &&
    a.locality.region === b.locality.region &&
    a.locality.zone === b.locality.zone &&
    a.locality.subZone === b.locality.subZone &&
    a.clusterId === b.clusterId &&
    a.network === b.network &&
    a.namespace === b.namespace &&
    a.podName === b.podName &&
    a.workloadName === b.workloadName &&
    a.nodeName === b.nodeName &&
    a.serviceAccount === b.serviceAccount &&
    a.health === b.health &&
    a.tlsMode === b.tlsMode &&
    a.weight === b.weight &&
    sameLabels(a.labels, b.labels)
  );
}

/** True when both lists hold equal endpoints in the same order. */
export function sameEndpoints(a: readonly MeshEndpoint[], b: readonly MeshEndpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => sameEndpoint(e, b[i] as MeshEndpoint));
}
