/**
 * Per-proxy locality priorities and weights of an assignment (istio/istio
 * `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`; spec §3.4). Pure functions over
 * locality groups; every result is compacted to contiguous priorities 0..k-1 as Envoy and gRPC
 * require.
 *
 * Worked example (default failover, proxy in ap-northeast-1/ap-northeast-1a): groups
 * ap-northeast-1a -> raw 0, ap-northeast-1b -> 2 (same region), cn-hangzhou-h/-k -> 3; compacted
 * to 0, 1, 2, 2.
 */
import type { Locality } from '../core/locality.js';
import { TopologyLabel, type MeshEndpoint } from '../registry/mesh-model.js';
import type { LocalityLbSettingView } from './istio-api.js';

/** One endpoint of a group: the registry endpoint and its `LbEndpoint` JSON. */
export interface GroupEndpoint {
  readonly endpoint: MeshEndpoint;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly weight: number;
}

/** One `LocalityLbEndpoints` being built. */
export interface LocalityGroup {
  readonly locality: Locality;
  readonly endpoints: readonly GroupEndpoint[];
  readonly weight: number;
  readonly priority: number;
}

/** `util.LbPriority`: 0 same region/zone/subzone, 1 same zone, 2 same region, 3 otherwise. */
export function lbPriority(proxy: Locality, endpoint: Locality): number {
  if (proxy.region !== endpoint.region) return 3;
  if (proxy.zone !== endpoint.zone) return 2;
  return proxy.subZone === endpoint.subZone ? 0 : 1;
}

/** Renumbers the distinct priorities ascending to 0..k-1 (Envoy rejects gaps). */
export function compactPriorities(groups: readonly LocalityGroup[]): LocalityGroup[] {
  const distinct = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const rank = new Map(distinct.map((p, i) => [p, i]));
  return groups.map((g) => ({ ...g, priority: rank.get(g.priority) ?? 0 }));
}

/**
 * Default locality failover with optional region `failover` rules (applyLocalityFailover): raw
 * 0-3 by locality match, 4 when the proxy's region has a rule and the endpoint's region is not its
 * `to`; composed with an existing (failoverPriority) priority as `existing * 5 + raw`.
 */
export function applyLocalityFailover(
  proxy: Locality,
  groups: readonly LocalityGroup[],
  failover: LocalityLbSettingView['failover'],
): LocalityGroup[] {
  const rule = failover?.find((f) => f.from === proxy.region);
  const raised = groups.map((g) => {
    let raw = lbPriority(proxy, g.locality);
    if (raw === 3 && rule !== undefined && g.locality.region !== rule.to) raw = 4;
    return { ...g, priority: g.priority * 5 + raw };
  });
  return compactPriorities(raised);
}

/** `key` or `key=value` entries of failoverPriority (priorityLabelOverrides). */
function parseFailoverLabels(entries: readonly string[]): { key: string; override: string | undefined }[] {
  return entries.map((entry) => {
    const parts = entry.split('=');
    return { key: parts[0] ?? '', override: parts.length === 2 ? parts[1] : undefined };
  });
}

/**
 * The priority of one endpoint under failoverPriority (applyFailoverPriorityPerLocality): the
 * first label whose wanted value (the override, or the proxy's label) differs from the endpoint's
 * decides `N - j`. A network mismatch on the first label demotes by N but keeps comparing the rest
 * (spec §3.4; this network rule is Istio master, istio/istio#60829).
 */
export function failoverPriorityOf(
  proxyLabels: Readonly<Record<string, string>>,
  endpointLabels: Readonly<Record<string, string>>,
  failoverPriority: readonly string[],
): number {
  const labels = parseFailoverLabels(failoverPriority);
  const n = labels.length;
  const includesNetwork = n > 0 && labels[0]?.key === TopologyLabel.network;
  let priority = 0;
  let adjust = 0;
  for (let j = 0; j < n; j++) {
    const { key, override } = labels[j] as { key: string; override: string | undefined };
    const wanted = override ?? proxyLabels[key];
    if (wanted !== endpointLabels[key]) {
      if (j === 0 && includesNetwork) {
        adjust = n;
        continue;
      }
      priority = n - j;
      break;
    }
  }
  return priority + adjust;
}

/**
 * Label-based priorities (applyFailoverPriorities): each group splits into one group per distinct
 * priority (weight = sum of its endpoints' weights), then priorities are compacted. Istio skips
 * this when the proxy has no labels at all.
 */
export function applyFailoverPriorities(
  groups: readonly LocalityGroup[],
  proxyLabels: Readonly<Record<string, string>>,
  failoverPriority: readonly string[],
): LocalityGroup[] {
  if (Object.keys(proxyLabels).length === 0 || groups.length === 0) return [...groups];
  const split: LocalityGroup[] = [];
  for (const group of groups) {
    const byPriority = new Map<number, GroupEndpoint[]>();
    for (const e of group.endpoints) {
      const p = failoverPriorityOf(proxyLabels, e.endpoint.labels, failoverPriority);
      const list = byPriority.get(p) ?? [];
      list.push(e);
      byPriority.set(p, list);
    }
    for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
      const endpoints = byPriority.get(p) ?? [];
      split.push({
        locality: group.locality,
        endpoints,
        weight: endpoints.reduce((sum, e) => sum + e.weight, 0),
        priority: p,
      });
    }
  }
  return compactPriorities(split);
}

/** `util.LocalityMatch`: `*` or a missing zone/subzone in the rule matches anything. */
export function localityMatches(locality: Locality, rule: string): boolean {
  const [region = '', zone = '', subZone = ''] = rule.split('/');
  return (
    (region === '*' || locality.region === region) &&
    (zone === '*' || zone === '' || locality.zone === zone) &&
    (subZone === '*' || subZone === '' || locality.subZone === subZone)
  );
}

/**
 * `distribute` (applyLocalityWeights): for the first rule whose `from` matches the proxy, each `to`
 * pattern's weight W is split over the groups it matches (not yet matched by an earlier pattern) as
 * ceil(orig * W / sum(orig)); groups matching no pattern get no endpoints, so they are dropped
 * (Istio leaves them empty; Envoy gives an empty locality no traffic either way).
 */
export function applyLocalityWeights(
  proxy: Locality,
  groups: readonly LocalityGroup[],
  distribute: NonNullable<LocalityLbSettingView['distribute']>,
): LocalityGroup[] {
  const rule = distribute.find((d) => d.from !== undefined && localityMatches(proxy, d.from));
  if (rule === undefined) return [...groups];
  const weights = new Map<number, number>();
  const unmatched = new Set(groups.map((_, i) => i));
  for (const [pattern, weight] of Object.entries(rule.to ?? {})) {
    const matched = [...unmatched].filter((i) =>
      localityMatches((groups[i] as LocalityGroup).locality, pattern),
    );
    const total = matched.reduce((sum, i) => sum + (groups[i] as LocalityGroup).weight, 0);
    for (const i of matched) {
      unmatched.delete(i);
      const share = ((groups[i] as LocalityGroup).weight * weight) / total;
      if (share > 0) weights.set(i, Math.ceil(share));
    }
  }
  return groups.flatMap((g, i) => (unmatched.has(i) ? [] : [{ ...g, weight: weights.get(i) ?? g.weight }]));
}
