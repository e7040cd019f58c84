/**
 * Envoy's priority load math, as pure functions: per-priority health with the overprovisioning factor,
 * the split of 100 % of traffic over priorities (healthy first, then degraded), the panic flags and the
 * total-panic split by host count.
 *
 * Envoy source: `source/extensions/load_balancing_policies/common/load_balancer_impl.cc`
 * (`LoadBalancerBase::recalculatePerPriorityState`, `distributeLoad`, `recalculatePerPriorityPanic`,
 * `isHostSetInPanic`, `recalculateLoadInTotalPanic`, `choosePriority`); spec §2.2, §2.3.
 *
 * Worked example (spec §2.7 A, OPF 140): P0 has 1 of 2 hosts healthy, P1 and P2 are fully healthy.
 * health = [⌊140·1/2⌋, 100, 100] = [70, 100, 100]; NTA = min(100, 270) = 100;
 * healthy load = [min(100, 70), min(30, 100), min(0, 100)] = [70, 30, 0]. No panic since NTA is 100.
 */

/** Percent of traffic per priority, for healthy and for degraded hosts; the two sum to 100. */
export interface PriorityLoad {
  readonly healthy: readonly number[];
  readonly degraded: readonly number[];
}

/** What the math reads from one priority level (a `HostSet` satisfies it). */
export interface PriorityLevel {
  readonly hosts: ReadonlyArray<{ readonly weight: number }>;
  readonly healthyHosts: ReadonlyArray<{ readonly weight: number }>;
  readonly degradedHosts: ReadonlyArray<{ readonly weight: number }>;
  readonly excludedHosts: ReadonlyArray<{ readonly weight: number }>;
  readonly overprovisioningFactor: number;
  readonly weightedPriorityHealth: boolean;
}

/** Health and degraded availability of one priority, each 0-100. */
export interface PriorityAvailability {
  readonly health: number;
  readonly degraded: number;
}

export interface PriorityLoadResult {
  readonly load: PriorityLoad;
  /** Per-priority healthy availability (0-100). */
  readonly health: readonly number[];
  /** Per-priority degraded availability (0-100). */
  readonly degraded: readonly number[];
  /** Normalized total availability: min(100, Σ health + Σ degraded). */
  readonly normalizedTotalAvailability: number;
  readonly perPriorityPanic: readonly boolean[];
  /** Every priority is in panic, so the load was split by host count. */
  readonly totalPanic: boolean;
}

export type HostAvailability = 'healthy' | 'degraded';

/** Envoy's weights are at least 1 (`HostImpl::weight` clamps with max(1, w)). */
export function effectiveHostWeight(host: { readonly weight: number }): number {
  return Math.max(1, host.weight);
}

function sumWeights(hosts: ReadonlyArray<{ readonly weight: number }>): number {
  let sum = 0;
  for (const h of hosts) sum += effectiveHostWeight(h);
  return sum;
}

/**
 * Envoy `recalculatePerPriorityState`: health = min(100, ⌊OPF · healthy / (hosts − excluded)⌋), by host
 * count or, with `weighted_priority_health`, by summed host weights. An empty level has 0 availability.
 */
export function priorityAvailability(level: PriorityLevel): PriorityAvailability {
  const hostCount = level.hosts.length - level.excludedHosts.length;
  if (hostCount <= 0) return { health: 0, degraded: 0 };
  let healthyWeight: number;
  let degradedWeight: number;
  let totalWeight: number;
  if (level.weightedPriorityHealth) {
    healthyWeight = sumWeights(level.healthyHosts);
    degradedWeight = sumWeights(level.degradedHosts);
    totalWeight = sumWeights(level.hosts) - sumWeights(level.excludedHosts);
  } else {
    healthyWeight = level.healthyHosts.length;
    degradedWeight = level.degradedHosts.length;
    totalWeight = hostCount;
  }
  if (totalWeight <= 0) return { health: 0, degraded: 0 };
  const opf = level.overprovisioningFactor;
  return {
    health: Math.min(100, Math.floor((opf * healthyWeight) / totalWeight)),
    degraded: Math.min(100, Math.floor((opf * degradedWeight) / totalWeight)),
  };
}

/** min(100, Σ health + Σ degraded): Envoy's `calculateNormalizedTotalAvailability`. */
export function normalizedTotalAvailability(health: readonly number[], degraded: readonly number[]): number {
  let total = 0;
  for (const h of health) total += h;
  for (const d of degraded) total += d;
  return Math.min(100, total);
}

/**
 * Envoy `distributeLoad`: each priority in turn takes min(remaining, ⌊availability · 100 / NTA⌋).
 * Returns the loads, the first priority with availability > 0 (-1 if none) and what is left over.
 */
function distribute(
  availability: readonly number[],
  totalLoad: number,
  nta: number,
): { loads: number[]; firstAvailable: number; remaining: number } {
  const loads: number[] = [];
  let firstAvailable = -1;
  let remaining = totalLoad;
  availability.forEach((a, i) => {
    if (firstAvailable < 0 && a > 0) firstAvailable = i;
    const share = Math.min(remaining, Math.floor((a * 100) / nta));
    loads.push(share);
    remaining -= share;
  });
  return { loads, firstAvailable, remaining };
}

/**
 * Splits 100 % over priorities from their availabilities (spec §2.2): healthy loads first, then degraded
 * loads from what is left, and any rounding remainder to the first priority with healthy availability
 * (else the first with degraded availability). Returns undefined when NTA is 0 (nothing is available).
 *
 * Example (§2.2 docs-vs-code): health [35, 35, 28] → NTA 98 → [35, 35, 28] + remainder 2 to P0 = [37, 35, 28].
 */
export function distributePriorityLoad(
  health: readonly number[],
  degraded: readonly number[],
): PriorityLoad | undefined {
  const nta = normalizedTotalAvailability(health, degraded);
  if (nta === 0) return undefined;
  const h = distribute(health, 100, nta);
  const d = distribute(degraded, h.remaining, nta);
  if (d.remaining !== 0) {
    if (h.firstAvailable !== -1) (h.loads[h.firstAvailable] as number) += d.remaining;
    else (d.loads[d.firstAvailable] as number) += d.remaining;
  }
  return { healthy: h.loads, degraded: d.loads };
}

/** Envoy `isHostSetInPanic`: healthy % + degraded % (of non-excluded hosts) below the threshold. */
export function isLevelInPanic(level: PriorityLevel, panicThresholdPct: number): boolean {
  const hostCount = level.hosts.length - level.excludedHosts.length;
  const healthyPct = hostCount <= 0 ? 0 : (100 * level.healthyHosts.length) / hostCount;
  const degradedPct = hostCount <= 0 ? 0 : (100 * level.degradedHosts.length) / hostCount;
  return healthyPct + degradedPct < panicThresholdPct;
}

/**
 * `healthy_panic_threshold` as the LB uses it: the proto percent truncated to an integer
 * (`ProtobufPercentHelper::convertPercent` casts to uint64) and capped at 100.
 */
export function effectivePanicThreshold(healthyPanicThresholdPct: number): number {
  return Math.min(100, Math.max(0, Math.trunc(healthyPanicThresholdPct)));
}

/**
 * The whole per-cluster computation (spec §2.2 + §2.3):
 * - loads from availability (`distributePriorityLoad`);
 * - T = 0 and NTA = 0: 100 % to P0 healthy, no panic, so every pick finds no host;
 * - otherwise, when NTA < 100, each priority is in panic if its healthy+degraded % is below T;
 * - all priorities in panic: load by host count (all hosts, excluded ones too), remainder to the first
 *   non-empty priority, nothing to degraded.
 *
 * Where Envoy leaves loads stale (NTA = 0 but not every priority panics, possible only with a small
 * overprovisioning factor), this returns 100 % to P0 healthy: a fresh Envoy LB has all-zero loads there
 * and its `choosePriority` falls back to P0 healthy, so every pick behaves the same.
 */
export function computePriorityLoad(
  levels: readonly PriorityLevel[],
  healthyPanicThresholdPct: number,
): PriorityLoadResult {
  const count = Math.max(1, levels.length);
  const availability = levels.map(priorityAvailability);
  const health = availability.map((a) => a.health);
  const degraded = availability.map((a) => a.degraded);
  while (health.length < count) health.push(0);
  while (degraded.length < count) degraded.push(0);
  const nta = normalizedTotalAvailability(health, degraded);
  const threshold = effectivePanicThreshold(healthyPanicThresholdPct);

  const allToP0 = (): PriorityLoad => ({
    healthy: health.map((_, i) => (i === 0 ? 100 : 0)),
    degraded: degraded.map(() => 0),
  });
  const base = { health, degraded, normalizedTotalAvailability: nta };
  const noPanic = health.map(() => false);

  if (threshold === 0 && nta === 0) {
    return { ...base, load: allToP0(), perPriorityPanic: noPanic, totalPanic: false };
  }
  const perPriorityPanic =
    nta === 100 ? noPanic : health.map((_, i) => isLevelInPanic(levelAt(levels, i), threshold));
  const totalPanic = perPriorityPanic.every((p) => p);
  if (totalPanic) {
    return { ...base, load: loadByHostCount(levels, count), perPriorityPanic, totalPanic };
  }
  const load = distributePriorityLoad(health, degraded) ?? allToP0();
  return { ...base, load, perPriorityPanic, totalPanic };
}

const emptyLevel: PriorityLevel = {
  hosts: [],
  healthyHosts: [],
  degradedHosts: [],
  excludedHosts: [],
  overprovisioningFactor: 140,
  weightedPriorityHealth: false,
};

function levelAt(levels: readonly PriorityLevel[], i: number): PriorityLevel {
  return levels[i] ?? emptyLevel;
}

/** Envoy `recalculateLoadInTotalPanic`: ⌊100 · hosts_p / Σ hosts⌋, remainder to the first non-empty priority. */
function loadByHostCount(levels: readonly PriorityLevel[], count: number): PriorityLoad {
  const sizes = Array.from({ length: count }, (_, i) => levelAt(levels, i).hosts.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const healthy = sizes.map(() => 0);
  const degraded = sizes.map(() => 0);
  if (total === 0) {
    healthy[0] = 100;
    return { healthy, degraded };
  }
  let remaining = 100;
  let firstNonEmpty = -1;
  sizes.forEach((n, i) => {
    if (firstNonEmpty === -1 && n !== 0) firstNonEmpty = i;
    healthy[i] = Math.floor((100 * n) / total);
    remaining -= healthy[i] as number;
  });
  (healthy[firstNonEmpty] as number) += remaining;
  return { healthy, degraded };
}

/**
 * Envoy `choosePriority`: h = hash % 100 + 1, walk the cumulative healthy loads of P0..Pn, then the
 * degraded loads; the first bucket with h <= cumulative wins. If the loads do not reach h (they always
 * sum to 100, so this is a broken invariant) Envoy falls back to P0 healthy, and so do we.
 */
export function choosePriority(
  load: PriorityLoad,
  hash: number,
): { priority: number; availability: HostAvailability } {
  const h = (hash % 100) + 1;
  let cumulative = 0;
  for (let p = 0; p < load.healthy.length; p++) {
    cumulative += load.healthy[p] as number;
    if (h <= cumulative) return { priority: p, availability: 'healthy' };
  }
  for (let p = 0; p < load.degraded.length; p++) {
    cumulative += load.degraded[p] as number;
    if (h <= cumulative) return { priority: p, availability: 'degraded' };
  }
  return { priority: 0, availability: 'healthy' };
}
