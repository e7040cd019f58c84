/**
 * A cluster's membership as Envoy sees it: a `PrioritySet` of `HostSet`s, one per priority, each split
 * into per-locality groups. Health lists (healthy, degraded, excluded) are derived from the hosts' flags
 * and recomputed on `refreshHealth()`; the load balancer listens through `onChange`.
 *
 * Envoy sources: `source/common/upstream/upstream_impl.cc` (`PrioritySetImpl::getOrCreateHostSet`,
 * `HostSetImpl::updateHosts`, `ClusterImplBase::partitionHostList` / `partitionHostsPerLocality`,
 * `ClusterImplBase::reloadHealthyHostsHelper`) and `source/common/upstream/eds.cc` /
 * `PriorityStateManager::updateClusterPrioritySet` (locality grouping and ordering).
 */
import type { Locality } from '../../core/locality.js';
import type { Host } from './host.js';

/** One `LocalityLbEndpoints` entry as the cluster hands it over. */
export interface LocalityGroupInput {
  readonly priority: number;
  readonly locality: Locality;
  /** The locality's `load_balancing_weight`; undefined when unset. */
  readonly weight: number | undefined;
  readonly hosts: readonly Host[];
}

/** `ClusterLoadAssignment.policy` fields that shape the priority math. */
export interface PrioritySetPolicy {
  /** `overprovisioning_factor` in percent (140 means 1.4). Must be > 0. */
  readonly overprovisioningFactor: number;
  readonly weightedPriorityHealth: boolean;
}

/** The hosts of one locality inside one priority (Envoy's `HostsPerLocality` entry plus its weight). */
export interface LocalityHostGroup {
  readonly locality: Locality;
  /** Locality weight; 0 when unset (Envoy reads a missing map entry as 0, so the locality is never picked). */
  readonly weight: number;
  readonly hosts: readonly Host[];
  readonly healthyHosts: readonly Host[];
  readonly degradedHosts: readonly Host[];
  readonly excludedHosts: readonly Host[];
}

/** The default `overprovisioning_factor` (envoyproxy/envoy `api/envoy/config/endpoint/v3/endpoint.proto`). */
export const defaultOverprovisioningFactor = 140;

/** The hosts of one priority level. Lists are replaced, never mutated, so callers may keep references. */
export class HostSet {
  readonly priority: number;
  private hostList: readonly Host[] = [];
  private healthyList: readonly Host[] = [];
  private degradedList: readonly Host[] = [];
  private excludedList: readonly Host[] = [];
  private localityList: readonly LocalityHostGroup[] = [];
  private opf = defaultOverprovisioningFactor;
  private isWeightedPriorityHealth = false;

  constructor(priority: number) {
    this.priority = priority;
  }

  get hosts(): readonly Host[] {
    return this.hostList;
  }
  /** Hosts whose coarse health is healthy (excluded hosts included, as in Envoy's partition). */
  get healthyHosts(): readonly Host[] {
    return this.healthyList;
  }
  get degradedHosts(): readonly Host[] {
    return this.degradedList;
  }
  /** Hosts removed from the denominators of the priority and locality math. */
  get excludedHosts(): readonly Host[] {
    return this.excludedList;
  }
  /** Per-locality groups, ordered by (region, zone, sub_zone). */
  get localities(): readonly LocalityHostGroup[] {
    return this.localityList;
  }
  get overprovisioningFactor(): number {
    return this.opf;
  }
  get weightedPriorityHealth(): boolean {
    return this.isWeightedPriorityHealth;
  }

  /** Replaces membership (called by `PrioritySet.update`); `groups` are already merged and sorted. */
  setMembership(
    hosts: readonly Host[],
    groups: ReadonlyArray<{ locality: Locality; weight: number; hosts: readonly Host[] }>,
    policy: PrioritySetPolicy,
  ): void {
    this.hostList = hosts;
    this.opf = policy.overprovisioningFactor;
    this.isWeightedPriorityHealth = policy.weightedPriorityHealth;
    this.localityList = groups.map((g) => partitionGroup(g.locality, g.weight, g.hosts));
    this.recomputeHealth();
  }

  /** Re-partitions every list from the hosts' current health flags. */
  recomputeHealth(): void {
    const all = partitionHosts(this.hostList);
    this.healthyList = all.healthy;
    this.degradedList = all.degraded;
    this.excludedList = all.excluded;
    this.localityList = this.localityList.map((g) => partitionGroup(g.locality, g.weight, g.hosts));
  }
}

/**
 * Envoy's `ClusterImplBase::partitionHostList`: healthy and degraded follow `coarseHealth()`; the
 * excluded list is independent of both (a host can be healthy and excluded at once).
 */
function partitionHosts(hosts: readonly Host[]): {
  healthy: Host[];
  degraded: Host[];
  excluded: Host[];
} {
  const healthy: Host[] = [];
  const degraded: Host[] = [];
  const excluded: Host[] = [];
  for (const host of hosts) {
    const health = host.coarseHealth();
    if (health === 'healthy') healthy.push(host);
    else if (health === 'degraded') degraded.push(host);
    if (host.isExcluded()) excluded.push(host);
  }
  return { healthy, degraded, excluded };
}

function partitionGroup(locality: Locality, weight: number, hosts: readonly Host[]): LocalityHostGroup {
  const parts = partitionHosts(hosts);
  return {
    locality,
    weight,
    hosts,
    healthyHosts: parts.healthy,
    degradedHosts: parts.degraded,
    excludedHosts: parts.excluded,
  };
}

/** Envoy's `LocalityLess`: lexicographic on (region, zone, sub_zone). */
export function compareLocality(a: Locality, b: Locality): number {
  for (const key of ['region', 'zone', 'subZone'] as const) {
    if (a[key] < b[key]) return -1;
    if (a[key] > b[key]) return 1;
  }
  return 0;
}

/** All host sets of a cluster, indexed by priority. There is always at least a (possibly empty) P0. */
export class PrioritySet {
  private sets: HostSet[] = [new HostSet(0)];
  private readonly listeners = new Set<() => void>();

  /** Host sets indexed by priority; a priority with no endpoints is an empty set. */
  get hostSets(): readonly HostSet[] {
    return this.sets;
  }

  /**
   * Replaces the membership of every priority. Like Envoy's EDS, the set never shrinks: a priority that
   * existed before but is absent now becomes empty (`eds.cc`: priorities missing from an update are
   * emptied, not removed). Hosts get their `priority` and `localityWeight` fields updated to match.
   */
  update(groups: readonly LocalityGroupInput[], policy: PrioritySetPolicy): void {
    if (!(policy.overprovisioningFactor > 0)) {
      throw new Error(`overprovisioning factor must be > 0, got ${policy.overprovisioningFactor}`);
    }
    let maxPriority = this.sets.length - 1;
    for (const g of groups) {
      if (!Number.isInteger(g.priority) || g.priority < 0) {
        throw new Error(`priority must be a non-negative integer, got ${g.priority}`);
      }
      maxPriority = Math.max(maxPriority, g.priority);
    }
    while (this.sets.length <= maxPriority) this.sets.push(new HostSet(this.sets.length));

    for (const hostSet of this.sets) {
      const mine = groups.filter((g) => g.priority === hostSet.priority);
      // Hosts keep their EDS order; locality groups follow `LocalityLess` order (eds.cc builds them
      // from a std::map keyed by locality), and repeated localities are merged into one group.
      const hosts = mine.flatMap((g) => g.hosts);
      const byLocality: Array<{ locality: Locality; weight: number; hosts: Host[] }> = [];
      for (const g of mine) {
        let entry = byLocality.find((e) => compareLocality(e.locality, g.locality) === 0);
        if (entry === undefined) {
          entry = { locality: g.locality, weight: 0, hosts: [] };
          byLocality.push(entry);
        }
        // eds.cc `initializePriorityFor`: a later entry for the same locality overwrites the weight,
        // an entry without a weight leaves it alone.
        if (g.weight !== undefined) entry.weight = g.weight;
        entry.hosts.push(...g.hosts);
      }
      const nonEmpty = byLocality
        .filter((e) => e.hosts.length > 0)
        .sort((a, b) => compareLocality(a.locality, b.locality));
      for (const entry of nonEmpty) {
        for (const host of entry.hosts) {
          host.priority = hostSet.priority;
          host.localityWeight = entry.weight;
        }
      }
      hostSet.setMembership(hosts, nonEmpty, policy);
    }
    this.notify();
  }

  /**
   * Recomputes every health list after host health flags changed (an ejection, an EDS health update).
   * Envoy's `reloadHealthyHostsHelper` re-runs the update for every priority whether or not anything
   * changed, so listeners always fire.
   */
  refreshHealth(): void {
    for (const hostSet of this.sets) hostSet.recomputeHealth();
    this.notify();
  }

  /** Every host of every priority, in priority order. */
  allHosts(): Host[] {
    return this.sets.flatMap((s) => [...s.hosts]);
  }

  /** Registers a listener for membership or health changes; returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
