/**
 * `--service <host>[:port]` -> the proxy's outbound clusters for it. The host is resolved as a pod's
 * DNS resolver would in the pod's namespace: Kubernetes gives pods the search list
 * `<ns>.svc.<suffix> svc.<suffix> <suffix>` with `ndots:5` (kubernetes/kubernetes
 * `pkg/kubelet/network/dns/dns.go` generateSearchesForDNSClusterFirst; resolv.conf(5) for ndots), so
 * `mockb` is `mockb.<ns>.svc.cluster.local`, `mockb.other` is `mockb.other.svc.cluster.local`, and a
 * name with a trailing dot is taken as written. Istio names the clusters `outbound|<port>|<subset>|<fqdn>`
 * (istio/istio `pilot/pkg/model/service.go` BuildSubsetKey).
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';

export interface ServiceQuery {
  readonly host: string;
  readonly port: number | undefined;
}

export interface OutboundClusterName {
  readonly name: string;
  readonly port: number;
  readonly subset: string;
  readonly host: string;
}

/** `outbound|8000||mockb.default.svc.cluster.local` -> its parts; undefined for other names. */
export function parseOutboundClusterName(name: string): OutboundClusterName | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return { name, port, subset: parts[2] ?? '', host: parts[3] ?? '' };
}

/** `mockb`, `mockb:8000`, `mockb.default.svc.cluster.local:8000`. */
export function parseServiceQuery(text: string): ServiceQuery {
  const m = /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (m === null || m[1] === undefined || (port !== undefined && (port < 1 || port > 65535))) {
    throw new SpillwayError(
      ErrorCode.explainUsage,
      `--service '${text}': expected <host>[:port], e.g. mockb, mockb.default:8000 or mockb.default.svc.cluster.local:8000`,
    );
  }
  return { host: m[1].toLowerCase(), port };
}

/** The names a pod in `namespace` would look up for `host`, in order. */
export function dnsCandidates(host: string, namespace: string, dnsSuffix = 'cluster.local'): string[] {
  if (host.endsWith('.')) return [host.slice(0, -1)];
  const search = [`${namespace}.svc.${dnsSuffix}`, `svc.${dnsSuffix}`, dnsSuffix];
  const searched = search.map((d) => `${host}.${d}`);
  const dots = host.split('.').length - 1;
  return dots >= 5 ? [host, ...searched] : [...searched, host];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * The outbound clusters whose host looks most like `host` (at most `limit`); on equal likeness,
 * default (subset-less) clusters and services of the pod's namespace first.
 */
export function closestClusters(
  host: string,
  clusters: readonly OutboundClusterName[],
  namespace: string,
  limit = 5,
): string[] {
  const first = host.split('.')[0] ?? host;
  const scored = clusters.map((c) => {
    const [label = c.host, ns = ''] = c.host.split('.');
    const contains = label.includes(first) || first.includes(label);
    const tie = (c.subset === '' ? 0 : 2) + (ns === namespace ? 0 : 1);
    return { name: c.name, score: editDistance(first, label) - (contains ? 2 : 0), tie };
  });
  scored.sort(
    (a, b) => a.score - b.score || a.tie - b.tie || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return scored.slice(0, limit).map((s) => s.name);
}

/**
 * The clusters for `query` among the proxy's cluster names: every port (or the one asked for) and
 * every subset of the first DNS candidate the proxy has clusters for, ordered by port then subset
 * (the default, subset-less cluster first). Throws SPILLWAY_ERR_EXPLAIN_SERVICE_UNKNOWN with the
 * closest outbound clusters when there is none.
 */
export function resolveServiceClusters(
  query: ServiceQuery,
  namespace: string,
  clusterNames: readonly string[],
  dnsSuffix = 'cluster.local',
): { host: string; clusters: OutboundClusterName[] } {
  const outbound = clusterNames
    .map(parseOutboundClusterName)
    .filter((c): c is OutboundClusterName => c !== undefined);
  for (const candidate of dnsCandidates(query.host, namespace, dnsSuffix)) {
    const forHost = outbound.filter((c) => c.host === candidate);
    if (forHost.length === 0) continue;
    const chosen = forHost
      .filter((c) => query.port === undefined || c.port === query.port)
      .sort((a, b) => a.port - b.port || (a.subset < b.subset ? -1 : a.subset > b.subset ? 1 : 0));
    if (chosen.length === 0) {
      const ports = [...new Set(forHost.map((c) => c.port))].sort((a, b) => a - b);
      throw new SpillwayError(
        ErrorCode.explainServiceUnknown,
        `the proxy knows ${candidate} only on port(s) ${ports.join(', ')}, not ${query.port}`,
      );
    }
    return { host: candidate, clusters: chosen };
  }
  const closest = closestClusters(query.host, outbound, namespace);
  throw new SpillwayError(
    ErrorCode.explainServiceUnknown,
    `the proxy has no outbound cluster for '${query.host}' (looked up from namespace ${namespace} as ` +
      `${dnsCandidates(query.host, namespace, dnsSuffix).join(', ')})` +
      (closest.length > 0 ? `; closest: ${closest.join(', ')}` : '; it has no outbound clusters at all'),
  );
}
