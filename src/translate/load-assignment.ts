/**
 * ClusterLoadAssignments, per proxy (istio/istio `pilot/pkg/xds/endpoints/endpoint_builder.go`
 * BuildClusterLoadAssignment, generate, filterIstioEndpoint, buildEnvoyLbEndpoint): endpoints of
 * the service port (and subset), healthy only unless the service takes unhealthy ones, grouped by
 * locality (sorted by locality), each group weighted by the sum of its endpoints' weights; then
 * locality priorities or weights relative to the proxy (spec §3.4).
 *
 * Multi-network gateway collapse (spec §4.3) is not implemented yet: every endpoint is sent by its
 * pod address, which is right for one flat network.
 */
import { localityKey, type Locality } from '../core/locality.js';
import type { MeshEndpoint } from '../registry/mesh-model.js';
import { isIpv4 } from './hostnames.js';
import {
  applyFailoverPriorities,
  applyLocalityFailover,
  applyLocalityWeights,
  type GroupEndpoint,
  type LocalityGroup,
} from './locality-priorities.js';
import type { LocalityLbDecision } from './locality-lb-setting.js';

type Json = Record<string, unknown>;

const edsHealth: Record<MeshEndpoint['health'], string> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
  terminating: 'TIMEOUT',
};

/** Canonical service name/revision from workload labels (istio `pkg/kube/labels` CanonicalService). */
function canonicalService(labels: Readonly<Record<string, string>>, workloadName: string): [string, string] {
  const name =
    labels['service.istio.io/canonical-name'] ??
    labels['app.kubernetes.io/name'] ??
    labels['app'] ??
    workloadName;
  const revision =
    labels['service.istio.io/canonical-revision'] ??
    labels['app.kubernetes.io/version'] ??
    labels['version'] ??
    'latest';
  return [name, revision];
}

/**
 * The `LbEndpoint` JSON of one endpoint. Metadata as util.AppendLbEndpointMetadata writes it:
 * `envoy.transport_socket_match.tlsMode` for mTLS-capable endpoints, and the compressed telemetry
 * label `istio.workload` = `workload;namespace;canonical-name;canonical-revision;cluster`
 * (revision empty when it is "latest"). Spillway adds `spillway.io: {pod, namespace}` (Istio sends no
 * pod name to proxies): the proxy's `spillway_outlier_ejected` metric names the ejected endpoint's pod.
 */
export function lbEndpointResource(endpoint: MeshEndpoint, mtls: boolean): Json {
  const workloadName = endpoint.workloadName ?? endpoint.podName ?? '';
  const [name, revision] = canonicalService(endpoint.labels, workloadName);
  const filterMetadata: Json = {
    istio: {
      workload: [
        workloadName,
        endpoint.namespace,
        name,
        revision === 'latest' ? '' : revision,
        endpoint.clusterId,
      ].join(';'),
    },
  };
  if (endpoint.podName !== undefined)
    filterMetadata['spillway.io'] = { pod: endpoint.podName, namespace: endpoint.namespace };
  if (mtls && endpoint.tlsMode === 'istio')
    filterMetadata['envoy.transport_socket_match'] = { tlsMode: 'istio' };
  return {
    endpoint: {
      address: { socket_address: { address: endpoint.address, port_value: endpoint.endpointPort } },
    },
    health_status: edsHealth[endpoint.health],
    metadata: { filter_metadata: filterMetadata },
    load_balancing_weight: Math.max(1, endpoint.weight),
  };
}

export interface EndpointSelection {
  readonly servicePortName: string;
  /** Subset labels; every one must be on the endpoint. */
  readonly subsetLabels: Readonly<Record<string, string>> | undefined;
  readonly includeUnhealthy: boolean;
  /** Whether mTLS metadata is sent (the cluster's TLS mode allows Istio mTLS). */
  readonly mtls: boolean;
}

/** Istio's `filterIstioEndpoint` and port/subset filters, for one cluster. */
export function selectEndpoints(
  endpoints: readonly MeshEndpoint[],
  selection: EndpointSelection,
): MeshEndpoint[] {
  return endpoints.filter((e) => {
    if (e.servicePortName !== selection.servicePortName) return false;
    if (!isIpv4(e.address)) return false;
    if (selection.subsetLabels !== undefined) {
      for (const [k, v] of Object.entries(selection.subsetLabels)) if (e.labels[k] !== v) return false;
    }
    // Terminating endpoints never count; draining ones only for persistent sessions (not supported).
    if (e.health === 'terminating' || e.health === 'draining') return false;
    return e.health === 'healthy' || selection.includeUnhealthy;
  });
}

function groupKey(locality: Locality): string {
  return `${locality.region}/${locality.zone}/${locality.subZone}`;
}

/** Groups endpoints by locality, sorted by the locality label (endpoint_builder.go generate). */
export function groupByLocality(endpoints: readonly MeshEndpoint[], mtls: boolean): LocalityGroup[] {
  const byKey = new Map<string, { locality: Locality; endpoints: GroupEndpoint[] }>();
  for (const e of endpoints) {
    const key = groupKey(e.locality);
    let group = byKey.get(key);
    if (group === undefined) {
      group = { locality: e.locality, endpoints: [] };
      byKey.set(key, group);
    }
    const resource = lbEndpointResource(e, mtls);
    group.endpoints.push({ endpoint: e, resource, weight: resource['load_balancing_weight'] as number });
  }
  return [...byKey.keys()].sort().map((key) => {
    const group = byKey.get(key) as { locality: Locality; endpoints: GroupEndpoint[] };
    const weight = Math.min(
      2 ** 32 - 1,
      group.endpoints.reduce((sum, e) => sum + e.weight, 0),
    );
    return { locality: group.locality, endpoints: group.endpoints, weight, priority: 0 };
  });
}

export interface ProxyLocalityView {
  readonly locality: Locality;
  readonly labels: Readonly<Record<string, string>>;
}

/** Applies the locality LB decision for one proxy (loadbalancer.go ApplyLocalityLoadBalancer). */
export function applyLocalityLb(
  groups: readonly LocalityGroup[],
  decision: LocalityLbDecision,
  proxy: ProxyLocalityView,
): LocalityGroup[] {
  const setting = decision.setting;
  if (setting === undefined) return [...groups];
  if ((setting.distribute?.length ?? 0) > 0)
    return applyLocalityWeights(proxy.locality, groups, setting.distribute ?? []);
  if (!decision.enableFailover) return [...groups];
  if ((setting.failoverPriority?.length ?? 0) > 0) {
    const byLabels = applyFailoverPriorities(groups, proxy.labels, setting.failoverPriority ?? []);
    return (setting.failover?.length ?? 0) > 0
      ? applyLocalityFailover(proxy.locality, byLabels, setting.failover)
      : byLabels;
  }
  return applyLocalityFailover(proxy.locality, groups, setting.failover);
}

function localityResource(locality: Locality): Json {
  const out: Json = {};
  if (locality.region !== '') out['region'] = locality.region;
  if (locality.zone !== '') out['zone'] = locality.zone;
  if (locality.subZone !== '') out['sub_zone'] = locality.subZone;
  return out;
}

/** The ClusterLoadAssignment JSON (normalized: priority 0 and empty lists left out). */
export function clusterLoadAssignmentResource(clusterName: string, groups: readonly LocalityGroup[]): Json {
  const out: Json = {
    '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    cluster_name: clusterName,
  };
  const endpoints = groups
    .filter((g) => g.endpoints.length > 0)
    .map((g) => {
      const group: Json = {
        locality: localityResource(g.locality),
        lb_endpoints: g.endpoints.map((e) => e.resource),
        load_balancing_weight: Math.max(1, g.weight),
      };
      if (g.priority > 0) group['priority'] = g.priority;
      return group;
    });
  if (endpoints.length > 0) out['endpoints'] = endpoints;
  return out;
}

/** `region/zone/subzone` of a proxy, the cache key part that priorities depend on. */
export function proxyLocalityKey(locality: Locality): string {
  return localityKey(locality);
}
