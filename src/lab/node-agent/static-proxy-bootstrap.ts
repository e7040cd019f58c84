/**
 * A static bootstrap for a lab proxy: the same node, admin and status listeners as the ADS
 * bootstrap, with the listeners a control plane would send written in (ADR 0008's shapes):
 * - a sidecar gets one inbound listener per app container port on `<podIP>:<port>` -> STATIC
 *   `inbound|<port>||` at `<localhost>:<port>` (Istio's inbound route: no timeout, `server_name:
 *   istio-envoy`, stat prefix `inbound_0.0.0.0_<port>`), and the outbound HTTP-proxy listener on
 *   `<localhost>:15001` whose virtual hosts come from `routes`. The inbound route has no retry
 *   policy: Istio added `reset-before-request` inbound retries only in 1.24 (istio/istio#51704,
 *   `ENABLE_INBOUND_RETRY_POLICY`), and with them Envoy's local reply for a refused app reads
 *   "retried and the latest reset reason: ..." instead of the seed's "reset reason: ...";
 * - a router gets `routes` on `<podIP>:<gatewayPort>`.
 * For tests and for running without a control plane; `routes` is what the caller derived (e.g. from
 * the cluster's Services and pods). A host not in `routes` gets Istio's `block_all` 502.
 */
import {
  bootstrapBase,
  httpListener,
  proxyAdminPort,
  socketAddress,
  staticCluster,
  statusResources,
  type ProxyIdentity,
} from './proxy-bootstrap.js';

type Json = Record<string, unknown>;

export interface StaticService {
  /** The service FQDN, e.g. `mockb.default.svc.cluster.local`. */
  readonly host: string;
  readonly port: number;
  /** Names the virtual host answers to (e.g. `mockb:8000`, `mockb.default:8000`, the FQDN with port). */
  readonly domains: readonly string[];
  readonly endpoints: ReadonlyArray<{ readonly address: string; readonly port: number }>;
}

export interface StaticRoutes {
  readonly services: readonly StaticService[];
  /** For routers: the gateway port on the pod IP (8080 in the lab). */
  readonly gatewayPort?: number;
}

export const httpProxyListenerPort = 15001;

function outboundCluster(service: StaticService): Json {
  const name = `outbound|${service.port}||${service.host}`;
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: service.endpoints.map((e) => ({
            endpoint: { address: socketAddress(e.address, e.port) },
          })),
        },
      ],
    },
  };
}

function routeTable(name: string, services: readonly StaticService[]): Json {
  return {
    name,
    virtual_hosts: [
      ...services.map((s) => ({
        name: `${s.host}:${s.port}`,
        domains: [...s.domains],
        routes: [{ match: { prefix: '/' }, route: { cluster: `outbound|${s.port}||${s.host}` } }],
      })),
      {
        name: 'block_all',
        domains: ['*'],
        routes: [{ match: { prefix: '/' }, direct_response: { status: 502 } }],
      },
    ],
  };
}

function inbound(identity: ProxyIdentity, port: number): { listener: Json; cluster: Json } {
  const clusterName = `inbound|${port}||`;
  const listener = httpListener(
    identity.podIP,
    port,
    `inbound_0.0.0.0_${port}`,
    {
      name: clusterName,
      virtual_hosts: [
        {
          name: `inbound|http|${port}`,
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: { cluster: clusterName, timeout: '0s' },
            },
          ],
        },
      ],
    },
    { server_name: 'istio-envoy' },
  );
  return { listener, cluster: staticCluster(clusterName, identity.localhost, port) };
}

/** The static bootstrap of `identity` with `routes`. */
export function staticProxyBootstrap(identity: ProxyIdentity, routes: StaticRoutes): Json {
  const status = statusResources(identity);
  const listeners: Json[] = [];
  const clusters: Json[] = [];
  const outbound = routes.services.map(outboundCluster);
  if (identity.role === 'sidecar') {
    for (const port of [...new Set(identity.appPorts)].sort((a, b) => a - b)) {
      // The admin and status ports belong to the proxy itself.
      if (port === proxyAdminPort || port === httpProxyListenerPort) continue;
      const { listener, cluster } = inbound(identity, port);
      listeners.push(listener);
      clusters.push(cluster);
    }
    listeners.push(
      httpListener(
        identity.localhost,
        httpProxyListenerPort,
        `outbound_${identity.localhost}_15001`,
        routeTable('http_proxy', routes.services),
      ),
    );
  } else if (routes.gatewayPort !== undefined) {
    listeners.push(
      httpListener(
        identity.podIP,
        routes.gatewayPort,
        `outbound_${identity.podIP}_${routes.gatewayPort}`,
        routeTable(`http.${routes.gatewayPort}`, routes.services),
        { server_name: 'istio-envoy', use_remote_address: true },
      ),
    );
  }
  return {
    ...bootstrapBase(identity),
    static_resources: {
      listeners: [...listeners, ...status.listeners],
      clusters: [...clusters, ...outbound, ...status.clusters],
    },
  };
}
