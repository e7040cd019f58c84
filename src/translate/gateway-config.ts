/**
 * Ingress gateway listeners and routes from Istio `Gateway` + `VirtualService` (istio/istio
 * `pilot/pkg/model/gateway.go` MergeGateways, resolvePorts, gatewayRDSRouteName;
 * `pilot/pkg/networking/core/gateway.go` buildGatewayListeners, buildGatewayHTTPRouteConfig,
 * collapseDuplicateRoutes). Plain HTTP servers only; TLS servers arrive with TLS support.
 *
 * Port mapping: a Gateway server port is the gateway Service's port; when the gateway pod backs a
 * Service with that port, the listener binds the Service's target port (80 -> 8080), else the
 * number as written (resolvePorts with the legacy label selector).
 */
import type { MeshService } from '../registry/mesh-model.js';
import { delimitedStatPrefix } from './cluster-names.js';
import type { ConfigIndex, ConfigRef, IndexedVirtualService } from './config-index.js';
import { domainName, isWildcard } from './hostnames.js';
import {
  httpConnectionManagerResource,
  istioServerName,
  listenerName,
  listenerResource,
} from './http-connection-manager.js';
import { virtualServiceRoutes, type RouteContext } from './http-route.js';
import type { GatewayServerView } from './istio-api.js';
import type { ProxyContext } from './proxy-context.js';
import type { ServiceTarget } from './proxy-service-targets.js';
import { isCatchAllMatch } from './route-match.js';
import { isHttpProtocol, parseProtocol } from './service-protocol.js';
import { maxDirectResponseBodyBytes, routeConfigurationTypeUrl, sortVirtualHosts } from './sidecar-routes.js';

type Json = Record<string, unknown>;

interface BoundServer {
  readonly server: GatewayServerView;
  readonly gateway: string;
  readonly gatewayRef: ConfigRef;
}

export interface GatewayResources {
  readonly listeners: Json[];
  readonly routeConfigurations: Json[];
  /** Route configuration name -> the Gateways and VirtualServices behind it. */
  readonly sources: Map<string, ConfigRef[]>;
}

function selects(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** `Name.SubsetOf`: a concrete host is inside a wildcard; a wildcard is never inside a concrete host. */
function subsetOf(a: string, b: string): boolean {
  if (isWildcard(b)) return b === '*' || a === b || a.endsWith(b.slice(1));
  return !isWildcard(a) && a === b;
}

/** Server hosts (`host`, `ns/host`, `./host`) the VirtualService may use, intersected with its hosts. */
function intersectingHosts(
  server: GatewayServerView,
  gatewayNamespace: string,
  vs: IndexedVirtualService,
): string[] {
  const serverHosts: string[] = [];
  for (const raw of server.hosts ?? []) {
    const slash = raw.indexOf('/');
    const ns = slash < 0 ? '*' : raw.slice(0, slash);
    const h = (slash < 0 ? raw : raw.slice(slash + 1)).toLowerCase();
    if (ns === '*' || ns === vs.namespace || (ns === '.' && gatewayNamespace === vs.namespace))
      serverHosts.push(h);
  }
  const out = new Set<string>();
  for (const a of serverHosts) {
    for (const b of vs.hosts) {
      if (subsetOf(a, b)) out.add(a);
      else if (subsetOf(b, a)) out.add(b);
    }
  }
  return [...out];
}

/**
 * Domains of a gateway virtual host. Istio emits just the host and sets
 * `ignore_port_in_host_matching`, which the Spillway proxy does not implement yet, so `host:*` is
 * added to match a Host header with a port (Istio's form before that field existed).
 */
function gatewayDomains(hostname: string): string[] {
  return hostname === '*' ? ['*'] : [hostname, `${hostname}:*`];
}

export function gatewayResources(
  proxy: ProxyContext,
  index: ConfigIndex,
  targets: readonly ServiceTarget[],
  lookupService: (hostname: string) => MeshService | undefined,
): GatewayResources {
  const ip = proxy.ipAddresses[0];
  const byPort = new Map<number, BoundServer[]>();
  for (const gw of index.gateways) {
    if (!selects(gw.spec.selector, proxy.labels)) continue;
    for (const server of gw.spec.servers ?? []) {
      const number = server.port?.number;
      if (number === undefined || server.tls !== undefined || server.bind !== undefined) continue;
      if (!isHttpProtocol(parseProtocol(server.port?.protocol ?? ''))) continue;
      const resolved = targets.find((t) => t.port.port === number)?.targetPort ?? number;
      byPort.set(resolved, [
        ...(byPort.get(resolved) ?? []),
        { server, gateway: gw.qualifiedName, gatewayRef: gw.ref },
      ]);
    }
  }
  const listeners: Json[] = [];
  const routeConfigurations: Json[] = [];
  const sources = new Map<string, ConfigRef[]>();
  if (ip === undefined) return { listeners, routeConfigurations, sources };
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const routeName = `http.${port}`;
    const servers = byPort.get(port) ?? [];
    const name = listenerName(ip, port);
    const hcm = httpConnectionManagerResource({
      statPrefix: delimitedStatPrefix(`outbound_${name}`),
      rds: routeName,
      serverName: istioServerName,
      useRemoteAddress: true,
      telemetry: 'gateway',
    });
    listeners.push(listenerResource(name, ip, port, 'OUTBOUND', hcm));
    const refs: ConfigRef[] = [];
    const vhosts = new Map<string, { vhost: Json; routes: Json[] }>();
    for (const bound of servers) {
      refs.push(bound.gatewayRef);
      const gatewayNamespace = bound.gateway.slice(0, bound.gateway.indexOf('/'));
      const serverPort = bound.server.port?.number ?? port;
      for (const vs of index.virtualServicesFor(bound.gateway, proxy.namespace)) {
        const hosts = intersectingHosts(bound.server, gatewayNamespace, vs);
        if (hosts.length === 0) continue;
        const ctx: RouteContext = {
          proxyNamespace: proxy.namespace,
          proxyLabels: proxy.labels,
          gatewayNames: new Set([bound.gateway]),
          listenerPort: serverPort,
          domainSuffix: index.mesh.dnsDomainSuffix,
          isProxylessGrpc: false,
          lookupService,
        };
        const routes = virtualServiceRoutes(vs, ctx);
        if (routes === undefined) continue;
        refs.push(vs.ref);
        for (const h of hosts) {
          const existing = vhosts.get(h);
          if (existing !== undefined) existing.routes.push(...routes);
          else
            vhosts.set(h, {
              vhost: {
                name: domainName(h, serverPort),
                domains: gatewayDomains(h),
                include_request_attempt_count: true,
              },
              routes: [...routes],
            });
        }
      }
    }
    let list: Json[];
    if (vhosts.size === 0) {
      // No VirtualService: Istio's default vhost with no routes, so every request gets 404 NR.
      list = [{ name: domainName('blackhole', servers[0]?.server.port?.number ?? port), domains: ['*'] }];
    } else {
      list = collapse(vhosts);
    }
    sources.set(routeName, refs);
    routeConfigurations.push({
      '@type': routeConfigurationTypeUrl,
      name: routeName,
      virtual_hosts: sortVirtualHosts(list),
      validate_clusters: false,
      max_direct_response_body_size_bytes: maxDirectResponseBodyBytes,
    });
  }
  return { listeners, routeConfigurations, sources };
}

/** SortVHostRoutes (catch-alls last), then collapseDuplicateRoutes (hosts with the same routes share a vhost). */
function collapse(vhosts: Map<string, { vhost: Json; routes: Json[] }>): Json[] {
  const out = new Map<string, Json>();
  const ids = new Map<object, number>();
  for (const h of [...vhosts.keys()].sort()) {
    const entry = vhosts.get(h) as { vhost: Json; routes: Json[] };
    const routes = [
      ...entry.routes.filter((r) => !isCatchAllMatch(r['match'] as Json)),
      ...entry.routes.filter((r) => isCatchAllMatch(r['match'] as Json)),
    ];
    const key = routeIdentity(routes, ids);
    const same = out.get(key);
    if (same !== undefined)
      same['domains'] = [...(same['domains'] as string[]), ...(entry.vhost['domains'] as string[])];
    else out.set(key, { ...entry.vhost, routes });
  }
  return [...out.values()];
}

/** Istio hashes the route pointers; identical VirtualService routes are the same objects here too. */
function routeIdentity(routes: readonly Json[], ids: Map<object, number>): string {
  return routes
    .map((r) => {
      let id = ids.get(r);
      if (id === undefined) {
        id = ids.size;
        ids.set(r, id);
      }
      return id;
    })
    .join(',');
}
