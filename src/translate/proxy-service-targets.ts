/**
 * The service ports a proxy's own pod backs (Istio's `proxy.ServiceTargets`, found from the
 * registry by the proxy's IP addresses in its cluster): inbound listeners for sidecars, and the
 * Gateway port -> target port mapping for gateways.
 *
 * Every proxy asks on every recompute, so the registry's endpoints are indexed once per snapshot
 * (by cluster and address, keeping the order of a scan: hostnames sorted, endpoints in their
 * order) and a proxy's lookup costs its own endpoints only.
 */
import type { MeshEndpoint, MeshService, RegistrySnapshot, ServicePort } from '../registry/mesh-model.js';
import type { ProxyContext } from './proxy-context.js';

export interface ServiceTarget {
  readonly service: MeshService;
  readonly port: ServicePort;
  /** The container port the pod serves it on. */
  readonly targetPort: number;
}

interface IndexedEndpoint {
  /** Position in the scan order (hostname rank, then endpoint order). */
  readonly position: number;
  readonly hostname: string;
  readonly endpoint: MeshEndpoint;
}

type EndpointIndex = ReadonlyMap<string, readonly IndexedEndpoint[]>;

const indexes = new WeakMap<RegistrySnapshot['endpoints'], EndpointIndex>();

function indexKey(clusterId: string, address: string): string {
  return `${clusterId}|${address}`;
}

function endpointIndex(endpoints: RegistrySnapshot['endpoints']): EndpointIndex {
  let index = indexes.get(endpoints);
  if (index === undefined) {
    const built = new Map<string, IndexedEndpoint[]>();
    let position = 0;
    for (const hostname of [...endpoints.keys()].sort()) {
      for (const endpoint of endpoints.get(hostname) ?? []) {
        const key = indexKey(endpoint.clusterId, endpoint.address);
        let list = built.get(key);
        if (list === undefined) built.set(key, (list = []));
        list.push({ position: position++, hostname, endpoint });
      }
    }
    index = built;
    indexes.set(endpoints, index);
  }
  return index;
}

export function proxyServiceTargets(registry: RegistrySnapshot, proxy: ProxyContext): ServiceTarget[] {
  const index = endpointIndex(registry.endpoints);
  const candidates: IndexedEndpoint[] = [];
  for (const ip of new Set(proxy.ipAddresses))
    candidates.push(...(index.get(indexKey(proxy.clusterId, ip)) ?? []));
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => a.position - b.position);
  const out: ServiceTarget[] = [];
  const seen = new Set<string>();
  for (const { hostname, endpoint: e } of candidates) {
    const service = registry.services.get(hostname);
    if (service === undefined) continue;
    const port = service.ports.find((p) => p.port === e.servicePort);
    const key = `${hostname}|${e.servicePort}`;
    if (port === undefined || seen.has(key)) continue;
    seen.add(key);
    out.push({ service, port, targetPort: e.endpointPort });
  }
  return out;
}
