/**
 * Locality-weighted round robin within one priority (`locality_weighted_lb_config`): an EDF schedule over
 * the localities' effective weights, one for the healthy pick and one for the degraded pick.
 *
 * Envoy source: `source/extensions/load_balancing_policies/common/locality_wrr.cc` (`LocalityWrr`,
 * `effectiveLocalityWeight`; older releases: `HostSetImpl::rebuildLocalityScheduler` in
 * `source/common/upstream/upstream_impl.cc`); spec §2.5.
 *
 * effective_weight(L) = weight(L) · min(1, OPF/100 · eligible(L) / (hosts(L) − excluded(L)))
 *
 * Example (spec §2.5): X weight 1 with half its hosts healthy, Y weight 2 fully healthy:
 * X = 1 · min(1, 1.4 · 0.5) = 0.7, Y = 2 → X gets 0.7 / 2.7 ≈ 26 % of this priority's traffic.
 */
import type { HostSet, LocalityHostGroup } from '../priority-set.js';
import { EdfScheduler } from './edf-scheduler.js';

interface LocalityEntry {
  readonly index: number;
  readonly effectiveWeight: number;
}

/** Effective weight of a locality for the healthy (or degraded) pick; 0 for an empty locality. */
export function effectiveLocalityWeight(
  group: LocalityHostGroup,
  eligible: 'healthy' | 'degraded',
  overprovisioningFactor: number,
): number {
  const hostCount = group.hosts.length - group.excludedHosts.length;
  if (hostCount <= 0) return 0;
  const eligibleCount = eligible === 'healthy' ? group.healthyHosts.length : group.degradedHosts.length;
  const availability = Math.min(1, (overprovisioningFactor / 100) * (eligibleCount / hostCount));
  return group.weight * availability;
}

/** The locality schedulers of one priority, rebuilt (with a fresh random seed) on every update. */
export class LocalityWrr {
  private readonly healthy: EdfScheduler<LocalityEntry> | undefined;
  private readonly degraded: EdfScheduler<LocalityEntry> | undefined;

  /** `seed` is the number of picks the schedules start after, spreading load across proxies. */
  constructor(hostSet: HostSet, seed: number) {
    this.healthy = buildScheduler(hostSet, 'healthy', seed);
    this.degraded = buildScheduler(hostSet, 'degraded', seed);
  }

  /** Index into `hostSet.localities`, or undefined when no locality has a positive effective weight. */
  chooseHealthyLocality(): number | undefined {
    return this.healthy?.pickAndAdd(weightOfEntry)?.index;
  }

  chooseDegradedLocality(): number | undefined {
    return this.degraded?.pickAndAdd(weightOfEntry)?.index;
  }
}

function weightOfEntry(entry: LocalityEntry): number {
  return entry.effectiveWeight;
}

/**
 * No schedule without localities or without any eligible host in the priority; localities whose
 * effective weight is 0 (no weight, or nothing eligible) are left out, so they are never picked.
 */
function buildScheduler(
  hostSet: HostSet,
  eligible: 'healthy' | 'degraded',
  seed: number,
): EdfScheduler<LocalityEntry> | undefined {
  const eligibleHosts = eligible === 'healthy' ? hostSet.healthyHosts : hostSet.degradedHosts;
  if (hostSet.localities.length === 0 || eligibleHosts.length === 0) return undefined;
  const entries: LocalityEntry[] = [];
  hostSet.localities.forEach((group, index) => {
    const effectiveWeight = effectiveLocalityWeight(group, eligible, hostSet.overprovisioningFactor);
    if (effectiveWeight > 0) entries.push({ index, effectiveWeight });
  });
  if (entries.length === 0) return undefined;
  return EdfScheduler.createWithPicks(entries, weightOfEntry, seed);
}
