/**
 * A Kubernetes Service as the registry keeps it per cluster, and the mesh service merged over
 * clusters (Istio `pilot/pkg/serviceregistry/kube/conversion.go` ConvertService for the per-cluster
 * part; "namespace sameness": one hostname, one service, whatever the cluster).
 */
import type { MeshService, ServiceInCluster, ServicePort } from './mesh-model.js';
import type { NamespaceRecord, ServiceRecord } from './kube-records.js';

export const ExportToAnnotation = 'networking.istio.io/exportTo';
export const TrafficDistributionAnnotation = 'networking.istio.io/traffic-distribution';

/** One cluster's contribution to a mesh service. */
export interface ClusterService {
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePort[];
  readonly exportTo: readonly string[];
  readonly inCluster: ServiceInCluster;
}

/** `<name>.<namespace>.svc.<domain suffix>` (`conversion.go` ServiceHostname). */
export function serviceHostname(name: string, namespace: string, domainSuffix: string): string {
  return `${name}.${namespace}.svc.${domainSuffix}`;
}

/**
 * The `networking.istio.io/exportTo` annotation: comma-separated namespaces (`.` = own, `*` = all,
 * `~` = none), trimmed; no annotation means visible everywhere (`["*"]`, the mesh default).
 */
export function exportToOf(annotations: Readonly<Record<string, string>>): string[] {
  const value = annotations[ExportToAnnotation];
  if (value === undefined || value.trim() === '') return ['*'];
  return value
    .split(',')
    .map((ns) => ns.trim())
    .filter((ns) => ns !== '');
}

function normalizeDistribution(value: string): 'PreferSameZone' | 'PreferSameNode' | 'Any' {
  switch (value.toLowerCase()) {
    case 'preferclose':
    case 'prefersamezone':
      return 'PreferSameZone';
    case 'prefersamenode':
      return 'PreferSameNode';
    default:
      return 'Any';
  }
}

/**
 * Istio `pilot/pkg/model/service.go` GetTrafficDistribution: `spec.trafficDistribution`, else the
 * service's `networking.istio.io/traffic-distribution` annotation, else the namespace's. `PreferClose`
 * is the same as `PreferSameZone`; an unknown value means no preference (undefined).
 */
export function trafficDistributionOf(
  service: ServiceRecord,
  namespace: NamespaceRecord | undefined,
): 'PreferSameZone' | 'PreferSameNode' | undefined {
  let chosen: 'PreferSameZone' | 'PreferSameNode' | 'Any' = 'Any';
  const spec = service.trafficDistribution;
  const specValue = spec === undefined ? 'Any' : normalizeDistribution(spec);
  if (specValue !== 'Any') chosen = specValue;
  else {
    const fromService = service.annotations[TrafficDistributionAnnotation];
    const fromNamespace = namespace?.annotations[TrafficDistributionAnnotation];
    if (fromService !== undefined && fromService !== '') chosen = normalizeDistribution(fromService);
    else if (fromNamespace !== undefined && fromNamespace !== '')
      chosen = normalizeDistribution(fromNamespace);
  }
  return chosen === 'Any' ? undefined : chosen;
}

export function toClusterService(
  clusterId: string,
  service: ServiceRecord,
  namespace: NamespaceRecord | undefined,
  domainSuffix: string,
): ClusterService {
  const trafficDistribution = trafficDistributionOf(service, namespace);
  const inCluster: ServiceInCluster = {
    clusterId,
    labels: service.labels,
    annotations: service.annotations,
    ...(service.selector !== undefined ? { selector: service.selector } : {}),
    ...(trafficDistribution !== undefined ? { trafficDistribution } : {}),
    ...(service.clusterIP !== undefined ? { clusterIP: service.clusterIP } : {}),
    publishNotReadyAddresses: service.publishNotReadyAddresses,
  };
  return {
    hostname: serviceHostname(service.name, service.namespace, domainSuffix),
    namespace: service.namespace,
    name: service.name,
    ports: service.ports,
    exportTo: exportToOf(service.annotations),
    inCluster,
  };
}

/**
 * One mesh service from every cluster's Service of that hostname, taken in cluster-id order so that
 * every control plane merges alike: ports are the union by port number (the first cluster's
 * definition of a number wins), exportTo is the first cluster's.
 */
export function mergeMeshService(parts: readonly ClusterService[]): MeshService | undefined {
  const sorted = [...parts].sort((a, b) => (a.inCluster.clusterId < b.inCluster.clusterId ? -1 : 1));
  const first = sorted[0];
  if (first === undefined) return undefined;
  const ports: ServicePort[] = [];
  const numbers = new Set<number>();
  const clusters = new Map<string, ServiceInCluster>();
  for (const part of sorted) {
    clusters.set(part.inCluster.clusterId, part.inCluster);
    for (const port of part.ports) {
      if (numbers.has(port.port)) continue;
      numbers.add(port.port);
      ports.push(port);
    }
  }
  return Object.freeze({
    hostname: first.hostname,
    namespace: first.namespace,
    name: first.name,
    kind: 'kubernetes',
    ports: Object.freeze(ports),
    clusters,
    exportTo: first.exportTo,
  });
}
