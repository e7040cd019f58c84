/**
 * Spillway's failover metrics, computed when `/stats/prometheus` is scraped from the live cluster
 * state (no per-request cost). None of them exists in Envoy or Istio: Envoy's outlier stats count
 * ejections per cluster and Istio labels them by the *calling* pod, so nobody can tell which endpoint
 * is out, why, and for how long (spec/user-pain.md items 2, 6, 11). Names are fixed (alert rules use them):
 *
 * - `spillway_outlier_ejected{cluster_name, upstream_url, upstream_pod, upstream_namespace,
 *   upstream_locality, upstream_cluster, type}` 1 per currently ejected endpoint;
 * - `spillway_outlier_ejection_remaining_seconds{same labels}`: time until the host may come back;
 * - `spillway_cluster_priority_load{cluster_name, priority, locality_scope}`: percent of the load
 *   (healthy + degraded, spec §2.2) each priority that has hosts gets now;
 * - `spillway_cluster_panic{cluster_name}`: 1 while the balancer is in total panic (spec §2.3).
 *
 * Label sources: `cluster_name` is the cluster's stat name (as on `envoy_cluster_*`: Istio's
 * `alt_stat_name` without the `;`); `upstream_url` is `ip:port` like the outlier event log's field;
 * `upstream_locality` is `region/zone/subzone` as Istio prints localities (istio/istio
 * `pilot/pkg/networking/util/util.go` LocalityToString); `upstream_cluster` is the cluster ID of
 * the endpoint's `istio.workload` metadata (`workload;ns;canonical;revision;cluster`, util.go
 * AppendLbEndpointMetadata); `upstream_pod`/`upstream_namespace` come from the endpoint metadata
 * `spillway.io: {pod, namespace}` the translator writes (Istio puts no pod name there); `type` is the
 * ejection type as the event log spells it, lower-cased (`consecutive_5xx`, `success_rate`, ...).
 */
import { localityKey, type Locality } from '../../core/locality.js';
import { escapeLabelValue } from '../stats/prometheus-format.js';
import type { Cluster } from './cluster.js';
import type { Host } from './host.js';
import type { LoadBalancerState } from './lb/cluster-load-balancer.js';
import type { HostEjectionState } from './outlier/ejection-state.js';

/** What the metrics read from one cluster. */
export interface FailoverClusterView {
  /** The cluster's stat name (the `cluster_name` label). */
  readonly statName: string;
  readonly hostSets: ReadonlyArray<{ readonly priority: number; readonly hosts: readonly Host[] }>;
  loadBalancerState(): LoadBalancerState;
  /** Undefined when the cluster has no outlier detection or does not monitor the host. */
  ejectionState(host: Host): HostEjectionState | undefined;
}

/** The view of a live cluster. */
export function failoverViewOf(cluster: Cluster): FailoverClusterView {
  return {
    statName: cluster.config.statName,
    hostSets: cluster.prioritySet.hostSets,
    loadBalancerState: () => cluster.loadBalancerState(),
    ejectionState: (host) => cluster.outlierDetector?.ejectionState(host),
  };
}

/** The relation between this proxy's locality and an endpoint's, widest last. */
export type LocalityScope = 'same_zone' | 'same_region' | 'other_region' | 'unknown';

const scopeRank: Readonly<Record<LocalityScope, number>> = {
  unknown: -1,
  same_zone: 0,
  same_region: 1,
  other_region: 2,
};

export function localityScopeOf(proxy: Locality, host: Locality): LocalityScope {
  // An endpoint without a locality (e.g. a static cluster such as the gateway's `agent`) is not
  // "another region": nothing is known about where it runs.
  if (proxy.region === '' || host.region === '') return 'unknown';
  if (host.region !== proxy.region) return 'other_region';
  return host.zone === proxy.zone ? 'same_zone' : 'same_region';
}

/**
 * The widest relation between the proxy and any of `hosts` whose locality is known; `unknown` without
 * a proxy locality or when no host has one.
 */
export function widestLocalityScope(proxy: Locality, hosts: readonly Host[]): LocalityScope {
  if (proxy.region === '') return 'unknown';
  let widest: LocalityScope = 'unknown';
  for (const host of hosts) {
    const scope = localityScopeOf(proxy, host.locality);
    if (scopeRank[scope] > scopeRank[widest]) widest = scope;
  }
  return widest;
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

/** The endpoint labels of one host, from its EDS metadata. */
export interface EndpointIdentity {
  readonly pod: string;
  readonly namespace: string;
  readonly locality: string;
  readonly cluster: string;
}

export function endpointIdentityOf(host: Host): EndpointIdentity {
  const spillway = host.metadata['spillway.io'];
  const workload = stringField(host.metadata['istio'], 'workload')?.split(';');
  const fromWorkload = (i: number): string | undefined => {
    const part = workload !== undefined && workload.length >= 5 ? workload[i] : undefined;
    return part === undefined || part === '' ? undefined : part;
  };
  const locality = localityKey(host.locality);
  return {
    pod: stringField(spillway, 'pod') ?? 'unknown',
    namespace: stringField(spillway, 'namespace') ?? fromWorkload(1) ?? 'unknown',
    locality: locality === '' ? 'unknown' : locality,
    cluster: fromWorkload(4) ?? 'unknown',
  };
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly lines: string[];
}

function labels(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
}

/** A gauge value: integers as is, fractions with the shortest round-trip digits. */
function sample(value: number): string {
  return String(value);
}

/**
 * The four families as Prometheus text (HELP and TYPE once per family, even without series, so the
 * names are discoverable). `proxyLocality` is the bootstrap's `node.locality`.
 */
export function renderFailoverMetrics(
  clusters: readonly FailoverClusterView[],
  proxyLocality: Locality,
): string {
  const ejected: Family = {
    name: 'spillway_outlier_ejected',
    help: 'Endpoint currently ejected by outlier detection (1 per ejected endpoint)',
    lines: [],
  };
  const remaining: Family = {
    name: 'spillway_outlier_ejection_remaining_seconds',
    help: 'Seconds until an ejected endpoint may be brought back (0 when due)',
    lines: [],
  };
  const load: Family = {
    name: 'spillway_cluster_priority_load',
    help: 'Percent of the cluster load (healthy plus degraded) each priority receives now',
    lines: [],
  };
  const panic: Family = {
    name: 'spillway_cluster_panic',
    help: '1 while the cluster load balancer is in total panic, else 0',
    lines: [],
  };
  const sorted = [...clusters].sort((a, b) =>
    a.statName < b.statName ? -1 : a.statName > b.statName ? 1 : 0,
  );
  for (const cluster of sorted) {
    const clusterLabel: readonly [string, string] = ['cluster_name', cluster.statName];
    const ejectedHosts: Array<{ host: Host; state: HostEjectionState }> = [];
    for (const hostSet of cluster.hostSets) {
      for (const host of hostSet.hosts) {
        const state = cluster.ejectionState(host);
        if (state?.isEjected === true) ejectedHosts.push({ host, state });
      }
    }
    ejectedHosts.sort((a, b) => (a.host.addressKey < b.host.addressKey ? -1 : 1));
    for (const { host, state } of ejectedHosts) {
      const id = endpointIdentityOf(host);
      const hostLabels = labels([
        clusterLabel,
        ['upstream_url', host.addressKey],
        ['upstream_pod', id.pod],
        ['upstream_namespace', id.namespace],
        ['upstream_locality', id.locality],
        ['upstream_cluster', id.cluster],
        ['type', state.ejectionType?.toLowerCase() ?? 'unknown'],
      ]);
      ejected.lines.push(`${ejected.name}{${hostLabels}} 1`);
      remaining.lines.push(`${remaining.name}{${hostLabels}} ${sample(state.remainingMs / 1000)}`);
    }
    const lbState = cluster.loadBalancerState();
    for (const hostSet of cluster.hostSets) {
      if (hostSet.hosts.length === 0) continue;
      const p = hostSet.priority;
      const percent = (lbState.priorityLoad.healthy[p] ?? 0) + (lbState.priorityLoad.degraded[p] ?? 0);
      const loadLabels = labels([
        clusterLabel,
        ['priority', String(p)],
        ['locality_scope', widestLocalityScope(proxyLocality, hostSet.hosts)],
      ]);
      load.lines.push(`${load.name}{${loadLabels}} ${percent}`);
    }
    panic.lines.push(`${panic.name}{${labels([clusterLabel])}} ${lbState.totalPanic ? 1 : 0}`);
  }
  let out = '';
  for (const family of [ejected, remaining, load, panic]) {
    out += `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} gauge\n`;
    for (const line of family.lines) out += `${line}\n`;
  }
  return out;
}
