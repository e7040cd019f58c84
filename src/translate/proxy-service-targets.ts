/**
 * The service ports a proxy's own pod backs (Istio's `proxy.ServiceTargets`, found from the
 * registry by the proxy's IP addresses in its cluster): inbound listeners for sidecars, and the
 * Gateway port -> target port mapping for gateways.
 */
import type { MeshService, RegistrySnapshot, ServicePort } from '../registry/mesh-model.js';
import type { ProxyContext } from './proxy-context.js';

export interface ServiceTarget {
  readonly service: MeshService;
  readonly port: ServicePort;
  /** The container port the pod serves it on. */
  readonly targetPort: number;
}

export function proxyServiceTargets(registry: RegistrySnapshot, proxy: ProxyContext): ServiceTarget[] {
  const ips = new Set(proxy.ipAddresses);
  const out: ServiceTarget[] = [];
  const seen = new Set<string>();
  for (const hostname of [...registry.endpoints.keys()].sort()) {
    const service = registry.services.get(hostname);
    if (service === undefined) continue;
    for (const e of registry.endpoints.get(hostname) ?? []) {
      if (!ips.has(e.address) || e.clusterId !== proxy.clusterId) continue;
      const port = service.ports.find((p) => p.port === e.servicePort);
      const key = `${hostname}|${e.servicePort}`;
      if (port === undefined || seen.has(key)) continue;
      seen.add(key);
      out.push({ service, port, targetPort: e.endpointPort });
    }
  }
  return out;
}
