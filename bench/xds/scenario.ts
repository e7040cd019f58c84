/**
 * The objects of a scenario: two Kubernetes clusters (regions cn-hangzhou and ap-northeast-1, two
 * zones each, as the seed), Nodes labelled with region and zone, selector-less Services present in
 * both clusters (Istio "namespace sameness": one mesh service), EndpointSlices written by hand - as a
 * controller other than Kubernetes' own would (`endpointslice.kubernetes.io/managed-by`) - with
 * `nodeName` and `zone` on every endpoint, and one DestinationRule per service with outlier
 * detection, so that Istio's default locality failover gives every proxy priorities relative to its
 * own zone (spec 3.2; Istio `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`
 * applyLocalityFailover, enabled only when outlier detection is set).
 *
 * Every address is 127.95.x.y and nothing listens on them: no traffic goes to an endpoint.
 */

export type ClusterId = 'cluster-1' | 'cluster-2';

export const CLUSTERS: readonly ClusterId[] = ['cluster-1', 'cluster-2'];

export const TOPOLOGY: Record<ClusterId, { region: string; zones: readonly [string, string] }> = {
  'cluster-1': { region: 'cn-hangzhou', zones: ['cn-hangzhou-h', 'cn-hangzhou-k'] },
  'cluster-2': { region: 'ap-northeast-1', zones: ['ap-northeast-1a', 'ap-northeast-1b'] },
};

export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

export interface ScenarioSpec {
  readonly name: 'A' | 'B';
  readonly proxies: number;
  readonly services: number;
  /** Endpoints of each service in each cluster. */
  readonly endpointsPerServicePerCluster: number;
  readonly namespaces: number;
  readonly nodesPerZone: number;
  /** The target for p99 "change written -> every proxy ACKed", ms. */
  readonly p99TargetMs: number;
}

/** Issue 4's two scenarios. Endpoints = services x clusters x endpointsPerServicePerCluster. */
export const SCENARIOS: Record<'A' | 'B', ScenarioSpec> = {
  A: {
    name: 'A',
    proxies: 100,
    services: 100,
    endpointsPerServicePerCluster: 5,
    namespaces: 10,
    nodesPerZone: 2,
    p99TargetMs: 100,
  },
  B: {
    name: 'B',
    proxies: 1000,
    services: 1000,
    endpointsPerServicePerCluster: 5,
    namespaces: 10,
    nodesPerZone: 2,
    p99TargetMs: 250,
  },
};

export function totalEndpoints(spec: ScenarioSpec): number {
  return spec.services * CLUSTERS.length * spec.endpointsPerServicePerCluster;
}

export const SERVICE_PORT = 8000;
const TARGET_PORT = 8080;

type Json = Record<string, unknown>;

/** A Kubernetes object to create, with the plural it is created under. */
export interface ScenarioObject {
  readonly resource: string;
  readonly object: Json & { metadata: { name: string; namespace?: string; labels?: Record<string, string> } };
}

export function namespaceOf(spec: ScenarioSpec, serviceIndex: number): string {
  return `bench-${serviceIndex % spec.namespaces}`;
}

export function serviceName(serviceIndex: number): string {
  return `svc-${serviceIndex}`;
}

export function serviceHost(spec: ScenarioSpec, serviceIndex: number): string {
  return `${serviceName(serviceIndex)}.${namespaceOf(spec, serviceIndex)}.svc.cluster.local`;
}

/** The EDS / CDS name Istio gives the service's port (`outbound|<port>||<fqdn>`). */
export function outboundClusterName(spec: ScenarioSpec, serviceIndex: number): string {
  return `outbound|${SERVICE_PORT}||${serviceHost(spec, serviceIndex)}`;
}

export function sliceName(serviceIndex: number, clusterId: ClusterId): string {
  return `${serviceName(serviceIndex)}-${clusterId}`;
}

function nodeName(clusterId: ClusterId, index: number): string {
  return `node-${clusterId.slice(-1)}-${index}`;
}

/** The i-th endpoint address of the whole scenario: 127.95.1.1 .. 127.95.80.250 (never contacted). */
function endpointAddress(index: number): string {
  return `127.95.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

/** The k-th change's extra endpoint: 127.95.200.1 onwards. */
export function markerAddress(change: number): string {
  return `127.95.${200 + Math.floor(change / 250)}.${1 + (change % 250)}`;
}

/** Node and zone of the j-th endpoint of a service in a cluster: spread over every node. */
function placement(
  spec: ScenarioSpec,
  clusterId: ClusterId,
  serviceIndex: number,
  j: number,
): { nodeName: string; zone: string } {
  const nodes = 2 * spec.nodesPerZone;
  const n = (serviceIndex + j) % nodes;
  return { nodeName: nodeName(clusterId, n), zone: TOPOLOGY[clusterId].zones[n < spec.nodesPerZone ? 0 : 1] };
}

export function sliceEndpoint(
  address: string,
  where: { nodeName: string; zone: string },
): Json & { addresses: string[] } {
  return {
    addresses: [address],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: where.nodeName,
    zone: where.zone,
  };
}

/** Where the k-th change's marker endpoint is placed (any node of that cluster). */
export function markerPlacement(
  spec: ScenarioSpec,
  clusterId: ClusterId,
  change: number,
): { nodeName: string; zone: string } {
  return placement(spec, clusterId, change, 0);
}

/** Namespaces, Nodes, Services and EndpointSlices of one cluster. */
export function clusterObjects(spec: ScenarioSpec, clusterId: ClusterId): ScenarioObject[] {
  const out: ScenarioObject[] = [];
  for (let n = 0; n < spec.namespaces; n++)
    out.push({
      resource: 'namespaces',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${n}` } },
    });
  const { region, zones } = TOPOLOGY[clusterId];
  for (let i = 0; i < 2 * spec.nodesPerZone; i++) {
    out.push({
      resource: 'nodes',
      object: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName(clusterId, i),
          labels: { [REGION_LABEL]: region, [ZONE_LABEL]: zones[i < spec.nodesPerZone ? 0 : 1] },
        },
      },
    });
  }
  const clusterOffset = CLUSTERS.indexOf(clusterId) * spec.services * spec.endpointsPerServicePerCluster;
  for (let s = 0; s < spec.services; s++) {
    const namespace = namespaceOf(spec, s);
    const name = serviceName(s);
    out.push({
      resource: 'services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace, labels: { app: name } },
        // No selector: Kubernetes' EndpointSlice controller leaves the slices to whoever writes them.
        spec: {
          type: 'ClusterIP',
          ports: [{ name: 'http', port: SERVICE_PORT, targetPort: TARGET_PORT, protocol: 'TCP' }],
        },
      },
    });
    const endpoints = [];
    for (let j = 0; j < spec.endpointsPerServicePerCluster; j++) {
      const address = endpointAddress(clusterOffset + s * spec.endpointsPerServicePerCluster + j);
      endpoints.push(sliceEndpoint(address, placement(spec, clusterId, s, j)));
    }
    out.push({
      resource: 'endpointslices',
      object: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: sliceName(s, clusterId),
          namespace,
          labels: { [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: 'spillway-bench' },
        },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: TARGET_PORT, protocol: 'TCP' }],
        endpoints,
      },
    });
  }
  return out;
}

/**
 * One DestinationRule per service with outlier detection (every field set, as real-peers.md asks
 * for gRPC clients), in the service's namespace. Only the measured control plane's own cluster
 * needs them: Istio multi-primary reads Istio config from the config cluster only.
 */
export function destinationRules(spec: ScenarioSpec): ScenarioObject[] {
  const out: ScenarioObject[] = [];
  for (let s = 0; s < spec.services; s++) {
    out.push({
      resource: 'destinationrules',
      object: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: serviceName(s), namespace: namespaceOf(spec, s) },
        spec: {
          host: serviceHost(spec, s),
          trafficPolicy: {
            outlierDetection: {
              consecutive5xxErrors: 3,
              interval: '5s',
              baseEjectionTime: '30s',
              maxEjectionPercent: 100,
            },
          },
        },
      },
    });
  }
  return out;
}

/** One simulated sidecar: its xDS node as Envoy sends it (proto3 JSON). */
export interface SimulatedProxy {
  readonly index: number;
  readonly clusterId: ClusterId;
  readonly node: Json;
}

/**
 * The i-th sidecar: spread round-robin over both clusters, both zones of each and every namespace.
 * Node id and metadata as istio-agent writes them (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`,
 * `CLUSTER_ID`, `NAMESPACE`, `LABELS`, `WORKLOAD_NAME`; Istio `pkg/bootstrap/config.go`); there is no
 * Pod behind it, so the control plane takes its locality from `node.locality` (as Istio does when
 * the pod is unknown, `pilot/pkg/model/context.go` ParseServiceNodeWithMetadata).
 */
export function simulatedProxy(spec: ScenarioSpec, index: number): SimulatedProxy {
  const clusterId = CLUSTERS[index % 2] as ClusterId;
  const { region, zones } = TOPOLOGY[clusterId];
  const zone = zones[Math.floor(index / 2) % 2] as string;
  const namespace = `bench-${Math.floor(index / 4) % spec.namespaces}`;
  const ip = `127.95.${100 + Math.floor(index / 250)}.${1 + (index % 250)}`;
  const workload = `client-${index}`;
  const pod = `${workload}-5d8f9c7b4-${(index % 100000).toString(36).padStart(5, 'x')}`;
  return {
    index,
    clusterId,
    node: {
      id: `sidecar~${ip}~${pod}.${namespace}~${namespace}.svc.cluster.local`,
      cluster: `${workload}.${namespace}`,
      locality: { region, zone },
      metadata: {
        CLUSTER_ID: clusterId,
        NAMESPACE: namespace,
        LABELS: { app: workload, version: 'v1' },
        WORKLOAD_NAME: workload,
        ISTIO_VERSION: '1.24.0',
      },
      user_agent_name: 'envoy',
    },
  };
}
