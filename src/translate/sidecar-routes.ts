/**
 * Outbound route configurations of sidecars and proxyless gRPC clients (istio/istio
 * `pilot/pkg/networking/core/httproute.go` buildSidecarOutboundHTTPRouteConfig,
 * BuildSidecarOutboundVirtualHosts, mergeAllVirtualHosts, buildCatchAllVirtualHost;
 * `route/route.go` BuildSidecarVirtualHostWrapper, separateVSHostsAndServices;
 * `grpcgen/rds.go`).
 *
 * Deliberate difference for the HTTP-proxy route (`http_proxy`, ADR 0008): Istio computes its
 * VirtualService routes once with listener port 0, so port matches never apply and a destination
 * without a port on a multi-port service names port 0. Spillway computes them per virtual host
 * port, as the per-port route configurations of Envoy sidecars do.
 */
import type { MeshService } from '../registry/mesh-model.js';
import type { IndexedVirtualService } from './config-index.js';
import { domainName, hostsMatch, isWildcard } from './hostnames.js';
import { defaultOutboundRoute, virtualServiceRoutes, type RouteContext } from './http-route.js';
import { isHttpOrSniffed, servicePortProtocol } from './service-protocol.js';
import { dedupeDomains, serviceVirtualHostDomains } from './virtual-host-domains.js';

type Json = Record<string, unknown>;

export const routeConfigurationTypeUrl = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
/** `model.RDSHttpProxy`. */
export const httpProxyRouteName = 'http_proxy';
/** DefaultMaxDirectResponseBodySizeBytes (1 MiB, the webhook's limit). */
export const maxDirectResponseBodyBytes = 1024 * 1024;

export interface OutboundRouteInput {
  /** Services visible to the proxy, sorted by hostname. */
  readonly services: readonly MeshService[];
  /** VirtualServices bound to `mesh` and visible to the proxy, oldest first. */
  readonly virtualServices: readonly IndexedVirtualService[];
  readonly proxyNamespace: string;
  readonly proxyLabels: Readonly<Record<string, string>>;
  readonly dnsDomain: string;
  readonly clusterId: string;
  readonly domainSuffix: string;
  readonly isProxylessGrpc: boolean;
}

interface Wrapper {
  readonly port: number;
  readonly services: readonly MeshService[];
  readonly vsHosts: readonly string[];
  readonly routes: readonly Json[];
}

function httpPorts(service: MeshService, listenerPort: number): number[] {
  return service.ports
    .filter((p) => p.protocol !== 'UDP' && isHttpOrSniffed(servicePortProtocol(p)))
    .map((p) => p.port)
    .filter((p) => listenerPort === 0 || p === listenerPort);
}

/** The service a VirtualService's wildcard host applies to: the most specific wildcard, oldest first. */
function wildcardOwners(
  vss: readonly IndexedVirtualService[],
  services: readonly MeshService[],
): Map<string, IndexedVirtualService> {
  const owners = new Map<string, { vs: IndexedVirtualService; length: number }>();
  for (const vs of vss) {
    for (const h of vs.hosts) {
      if (!isWildcard(h)) continue;
      for (const svc of services) {
        if (!hostsMatch(h, svc.hostname)) continue;
        const current = owners.get(svc.hostname);
        if (current === undefined || h.length > current.length)
          owners.set(svc.hostname, { vs, length: h.length });
      }
    }
  }
  return new Map([...owners].map(([k, v]) => [k, v.vs]));
}

/** VirtualHostWrappers for one listener port (0 = the HTTP proxy: every port). */
function wrappers(input: OutboundRouteInput, listenerPort: number): Wrapper[] {
  const byName = new Map(
    input.services
      .filter((s) => httpPorts(s, listenerPort).length > 0 || listenerPort === 0)
      .map((s) => [s.hostname, s]),
  );
  let vss = input.virtualServices;
  if (listenerPort !== 80) {
    // selectVirtualServices: only VirtualServices naming a known service.
    vss = vss.filter((vs) =>
      vs.hosts.some(
        (h) => byName.has(h) || (isWildcard(h) && [...byName.keys()].some((s) => hostsMatch(h, s))),
      ),
    );
  }
  const owners = wildcardOwners(vss, [...byName.values()]);
  const out: Wrapper[] = [];
  const covered = new Set<string>();
  for (const vs of vss) {
    const vsHosts: string[] = [];
    const matched: MeshService[] = [];
    for (const h of vs.hosts) {
      if (!isWildcard(h)) {
        const svc = byName.get(h);
        if (svc !== undefined) matched.push(svc);
        else vsHosts.push(h);
        continue;
      }
      let found = false;
      for (const svc of byName.values()) {
        if (!hostsMatch(h, svc.hostname)) continue;
        found = true;
        if (owners.get(svc.hostname) === vs) matched.push(svc);
      }
      if (!found) vsHosts.push(h);
    }
    const byPort = new Map<number, MeshService[]>();
    for (const svc of matched)
      for (const p of httpPorts(svc, listenerPort)) byPort.set(p, [...(byPort.get(p) ?? []), svc]);
    if (byPort.size === 0 && listenerPort === 80) byPort.set(80, []);
    for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
      const routes = virtualServiceRoutes(vs, routeContext(input, port));
      if (routes === undefined) continue;
      const services = byPort.get(port) ?? [];
      for (const s of services) covered.add(s.hostname);
      out.push({ port, services, vsHosts, routes });
    }
  }
  for (const svc of byName.values()) {
    if (covered.has(svc.hostname)) continue;
    for (const port of httpPorts(svc, listenerPort)) {
      out.push({
        port,
        services: [svc],
        vsHosts: [],
        routes: [defaultOutboundRoute(svc.hostname, port, routeContext(input, port))],
      });
    }
  }
  return out;
}

export function routeContext(input: OutboundRouteInput, listenerPort: number): RouteContext {
  const byName = new Map(input.services.map((s) => [s.hostname, s]));
  return {
    proxyNamespace: input.proxyNamespace,
    proxyLabels: input.proxyLabels,
    gatewayNames: new Set(['mesh']),
    listenerPort,
    domainSuffix: input.domainSuffix,
    isProxylessGrpc: input.isProxylessGrpc,
    lookupService: (h) => byName.get(h),
  };
}

/** BuildSidecarOutboundVirtualHosts for one listener port (0 = HTTP proxy). */
export function outboundVirtualHosts(input: OutboundRouteInput, listenerPort: number): Json[] {
  const list = wrappers(input, listenerPort);
  const known = new Set<string>();
  for (const w of list) for (const s of w.services) known.add(domainName(s.hostname, w.port)).add(s.hostname);
  const names = new Set<string>();
  const used = new Set<string>();
  const byPort = new Map<number, Json[]>();
  const build = (hostname: string, w: Wrapper, svc: MeshService | undefined): Json | undefined => {
    const name = domainName(hostname, w.port);
    if (names.has(name)) return undefined;
    names.add(name);
    let domains: string[];
    let alt: string[] = [];
    if (svc === undefined) {
      // SidecarIgnorePort: Envoy sidecars match without the port; gRPC clients send it.
      domains = input.isProxylessGrpc ? [hostname, name] : [hostname];
    } else {
      // With a listener port the port is ignored in matching (except for gRPC); the HTTP proxy keeps it.
      const port = !input.isProxylessGrpc && listenerPort !== 0 ? 0 : w.port;
      ({ domains, altHosts: alt } = serviceVirtualHostDomains(svc, port, input.dnsDomain, input.clusterId));
    }
    domains = dedupeDomains(domains, used, alt, known);
    if (domains.length === 0) return undefined;
    return { name, domains, routes: w.routes, include_request_attempt_count: true };
  };
  for (const w of list) {
    if (w.routes.length === 0) continue;
    const vhosts = byPort.get(w.port) ?? [];
    for (const h of w.vsHosts) {
      const v = build(h, w, undefined);
      if (v !== undefined) vhosts.push(v);
    }
    for (const s of w.services) {
      const v = build(s.hostname, w, s);
      if (v !== undefined) vhosts.push(v);
    }
    byPort.set(w.port, vhosts);
  }
  if (listenerPort !== 0) return byPort.get(listenerPort) ?? [];
  // mergeAllVirtualHosts: port 80 keeps its port-less domains; other ports only `host:port` forms.
  const merged: Json[] = [];
  for (const [port, vhosts] of byPort) {
    for (const v of vhosts) {
      if (port === 80) merged.push(v);
      else {
        const domains = (v['domains'] as string[]).filter((d) => d.includes(':'));
        if (domains.length > 0) merged.push({ ...v, domains });
      }
    }
  }
  return merged;
}

function byName(a: Json, b: Json): number {
  const x = a['name'] as string;
  const y = b['name'] as string;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The catch-all virtual host. Istio sends unknown hosts to PassthroughCluster (ALLOW_ANY) or answers
 * 502 (REGISTRY_ONLY); the Spillway proxy has no ORIGINAL_DST cluster, so both modes answer 502.
 */
function blockAllVirtualHost(): Json {
  return {
    name: 'block_all',
    domains: ['*'],
    routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
    include_request_attempt_count: true,
  };
}

/** The sidecar's `http_proxy` RouteConfiguration. */
export function httpProxyRouteConfiguration(input: OutboundRouteInput): Json {
  const vhosts = outboundVirtualHosts(input, 0).sort(byName);
  vhosts.push(blockAllVirtualHost());
  return {
    '@type': routeConfigurationTypeUrl,
    name: httpProxyRouteName,
    virtual_hosts: vhosts,
    validate_clusters: false,
    max_direct_response_body_size_bytes: maxDirectResponseBodyBytes,
  };
}

/** grpcgen/rds.go buildHTTPRoute: `outbound|<port>||<fqdn>` with the virtual hosts of that port. */
export function grpcRouteConfiguration(name: string, virtualHosts: readonly Json[]): Json {
  const out: Json = { '@type': routeConfigurationTypeUrl, name };
  if (virtualHosts.length > 0) out['virtual_hosts'] = virtualHosts;
  return out;
}

export function sortVirtualHosts(vhosts: Json[]): Json[] {
  return vhosts.sort(byName);
}
