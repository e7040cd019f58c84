/**
 * Listeners for proxyless gRPC clients (istio/istio `pilot/pkg/networking/grpcgen/lds.go`
 * buildOutboundListeners, tryFindFQDN): an `api_listener` per `<host>:<port>` a client may dial
 * (`xds:///mockb:8000`), whose HCM takes routes by RDS from `outbound|<port>||<fqdn>` and ends with
 * the router filter. Istio answers the names a client asks for; a full set is generated here with
 * the FQDN and, for services of the client's own namespace, `name`, `name.ns` and `name.ns.svc`
 * (the forms tryFindFQDN resolves).
 */
import type { MeshService } from '../registry/mesh-model.js';
import { outboundClusterName } from './cluster-names.js';
import { hcmTypeUrl, httpFilters, listenerTypeUrl, rdsResource } from './http-connection-manager.js';
import { serviceAddressForProxy } from './virtual-host-domains.js';

type Json = Record<string, unknown>;

/** The host forms a gRPC client in `namespace` can use for `service`. */
export function grpcListenerHosts(service: MeshService, namespace: string): string[] {
  if (service.namespace !== namespace) return [service.hostname];
  const ns = `${service.name}.${service.namespace}`;
  return [service.hostname, `${ns}.svc`, ns, service.name];
}

export function grpcListeners(service: MeshService, namespace: string, clusterId: string): Json[] {
  const out: Json[] = [];
  const address = serviceAddressForProxy(service, clusterId) ?? '0.0.0.0';
  for (const port of service.ports) {
    if (port.protocol === 'UDP') continue;
    for (const host of grpcListenerHosts(service, namespace)) {
      const name = `${host}:${port.port}`;
      out.push({
        '@type': listenerTypeUrl,
        name,
        address: { socket_address: { address, port_value: port.port } },
        api_listener: {
          api_listener: {
            '@type': hcmTypeUrl,
            // Istio leaves stat_prefix empty (gRPC ignores it); Envoy's PGV rule requires one.
            stat_prefix: name,
            http_filters: httpFilters(),
            rds: rdsResource(outboundClusterName(service.hostname, port.port), true),
          },
        },
      });
    }
  }
  return out;
}
