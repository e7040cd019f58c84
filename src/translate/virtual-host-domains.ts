/**
 * The `domains` of a service's virtual host (istio/istio `pilot/pkg/networking/core/httproute.go`
 * generateVirtualHostDomains, GenerateAltVirtualHosts, generateAltVirtualHostsForKubernetesService,
 * dedupeDomains): the FQDN, its absolute form with a trailing dot, the short forms a client in the
 * proxy's namespace may use (`mockb`, `mockb.default`, `mockb.default.svc`; only `.default` forms
 * from other namespaces), and the service VIP, each with `:port` unless the port is left out.
 */
import type { MeshService } from '../registry/mesh-model.js';
import { domainName, isIpLiteral } from './hostnames.js';

/** `port` 0 means "without port" (portNoAppendPortSuffix). */
function withPort(domains: string[], domain: string, port: number): void {
  domains.push(domain);
  if (port !== 0) domains.push(domainName(domain, port));
}

function kubernetesAltHosts(hostname: string, port: number, proxyDomain: string): string[] {
  const id = proxyDomain.indexOf('.svc.');
  const ih = hostname.indexOf('.svc.');
  if (ih <= 0) return [];
  const ns = hostname.indexOf('.');
  if (ns + 1 >= hostname.length || ns + 1 > ih) return [];
  const out: string[] = [];
  if (hostname.slice(ns + 1, ih) === proxyDomain.slice(0, id)) {
    withPort(out, hostname.slice(0, ns), port);
    withPort(out, `${hostname.slice(0, ih)}.svc`, port);
    withPort(out, hostname.slice(0, ih), port);
  } else {
    withPort(out, hostname.slice(0, ih), port);
    withPort(out, `${hostname.slice(0, ih)}.svc`, port);
  }
  return out;
}

/** GenerateAltVirtualHosts for a proxy whose DNS domain is `<ns>.svc.<suffix>`. */
export function altVirtualHosts(hostname: string, port: number, proxyDomain: string): string[] {
  // PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN (default true): the FQDN with a trailing dot.
  const out: string[] = [];
  if (!isIpLiteral(hostname)) out.push(`${hostname}.`);
  if (port !== 0) out.push(domainName(`${hostname}.`, port));
  const svc = proxyDomain.indexOf('.svc.');
  if (svc > 0) {
    if (hostname.endsWith(proxyDomain.slice(svc)))
      out.push(...kubernetesAltHosts(hostname, port, proxyDomain));
  }
  return out;
}

/** The VIP a proxy in `clusterId` uses for the service (its own cluster's ClusterIP, else any). */
export function serviceAddressForProxy(service: MeshService, clusterId: string): string | undefined {
  const usable = (ip: string | undefined) =>
    ip === undefined || ip === '' || ip === 'None' || ip === '0.0.0.0' ? undefined : ip;
  const own = usable(service.clusters.get(clusterId)?.clusterIP);
  if (own !== undefined) return own;
  for (const id of [...service.clusters.keys()].sort()) {
    const ip = usable(service.clusters.get(id)?.clusterIP);
    if (ip !== undefined) return ip;
  }
  return undefined;
}

export interface ServiceDomains {
  readonly domains: string[];
  /** The expanded (short or absolute) forms, which may not shadow another service's FQDN. */
  readonly altHosts: string[];
}

/** generateVirtualHostDomains; `port` 0 leaves the `:port` forms out. */
export function serviceVirtualHostDomains(
  service: MeshService,
  port: number,
  proxyDomain: string,
  clusterId: string,
): ServiceDomains {
  const domains: string[] = [];
  const altHosts = altVirtualHosts(service.hostname, port, proxyDomain);
  withPort(domains, service.hostname, port);
  domains.push(...altHosts);
  const vip = serviceAddressForProxy(service, clusterId);
  if (vip !== undefined) withPort(domains, vip, port);
  return { domains, altHosts };
}

/** dedupeDomains: a domain used by an earlier virtual host, or an expanded form equal to a known FQDN, is dropped. */
export function dedupeDomains(
  domains: readonly string[],
  used: Set<string>,
  altHosts: readonly string[],
  knownFqdns: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const d of domains) {
    const lower = d.toLowerCase();
    if (used.has(lower)) continue;
    if (altHosts.includes(d) && knownFqdns.has(d)) continue;
    out.push(d);
    used.add(lower);
  }
  return out;
}
