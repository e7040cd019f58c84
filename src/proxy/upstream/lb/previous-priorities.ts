/**
 * The `envoy.retry_priorities.previous_priorities` retry priority plugin: after every `update_frequency`
 * attempts, the priorities of the hosts already attempted are excluded and the load is spread over the
 * remaining priorities in proportion to their availability. One instance lives for one request.
 *
 * Envoy source: `source/extensions/retry/priority/previous_priorities/previous_priorities.cc`
 * (`determinePriorityLoad`, `adjustForAttemptedPriorities`, `adjustedAvailability`).
 *
 * Example: P0 and P1 fully healthy, update_frequency 1. The first attempt goes to P0 (load [100, 0]);
 * after `onHostAttempted(p0Host)` the retry sees P0 excluded, availability [0, 100] → load [0, 100].
 * When every priority with availability has been attempted, the exclusions and attempts are reset and
 * the load is recomputed over all priorities, so retries keep going instead of failing.
 */
import type { Host } from '../host.js';
import type { PrioritySet } from '../priority-set.js';
import type { PriorityLoad } from './priority-load.js';
import { priorityAvailability } from './priority-load.js';

export class PreviousPrioritiesRetryPriority {
  private readonly updateFrequency: number;
  private attemptedHosts: Host[] = [];
  private excludedPriorities: boolean[] = [];
  /** The last adjusted load, returned between updates. */
  private adjustedLoad: PriorityLoad | undefined;

  /** `update_frequency` must be > 0 (the proto validates it). */
  constructor(updateFrequency: number) {
    if (!(Number.isInteger(updateFrequency) && updateFrequency > 0)) {
      throw new Error(
        `previous_priorities update_frequency must be a positive integer, got ${updateFrequency}`,
      );
    }
    this.updateFrequency = updateFrequency;
  }

  /** Records an attempted host (the router calls this for every attempt). */
  onHostAttempted(host: Host): void {
    this.attemptedHosts.push(host);
  }

  /**
   * The load for the next pick. Before `update_frequency` attempts: the original load. On each multiple
   * of `update_frequency`: recomputed without the attempted priorities. In between: the last recomputed
   * load. The original load is also returned when no priority has any availability at all.
   */
  determinePriorityLoad(prioritySet: PrioritySet, original: PriorityLoad): PriorityLoad {
    const attempts = this.attemptedHosts.length;
    if (attempts < this.updateFrequency) return original;
    if (attempts % this.updateFrequency === 0) {
      const levels = prioritySet.hostSets.length;
      while (this.excludedPriorities.length < levels) this.excludedPriorities.push(false);
      // Envoy's default priority mapping is the host's own priority.
      for (const host of this.attemptedHosts) {
        while (this.excludedPriorities.length <= host.priority) this.excludedPriorities.push(false);
        this.excludedPriorities[host.priority] = true;
      }
      const adjusted = this.adjustForAttemptedPriorities(prioritySet);
      if (adjusted === undefined) return original;
      this.adjustedLoad = adjusted;
    }
    // Envoy would return whatever its per-priority load buffer holds after a failed adjustment; we
    // return the last successful adjustment, or the original load if there has been none.
    return this.adjustedLoad ?? original;
  }

  private adjustForAttemptedPriorities(prioritySet: PrioritySet): PriorityLoad | undefined {
    const availability = prioritySet.hostSets.map(priorityAvailability);
    let adjusted = this.adjustedAvailability(availability);
    if (adjusted.total === 0) {
      // Everything left has been attempted: start over with every priority, so the request can still
      // be routed (Envoy clears the exclusions and the attempted hosts).
      this.excludedPriorities = this.excludedPriorities.map(() => false);
      this.attemptedHosts = [];
      adjusted = this.adjustedAvailability(availability);
    }
    // Still nothing: every priority is down; keep the balancer's own handling (panic or no host).
    if (adjusted.total === 0) return undefined;

    const healthy = adjusted.health.map(() => 0);
    const degraded = adjusted.degraded.map(() => 0);
    let remaining = 100;
    // Repeated passes hand rounding leftovers to the first priorities with availability; each pass
    // assigns at least 1 % because every non-zero availability is >= 1 and the total is <= 100.
    while (remaining !== 0) {
      adjusted.health.forEach((h, i) => {
        const delta = Math.min(remaining, Math.floor((h * 100) / adjusted.total));
        (healthy[i] as number) += delta;
        remaining -= delta;
      });
      adjusted.degraded.forEach((d, i) => {
        const delta = Math.min(remaining, Math.floor((d * 100) / adjusted.total));
        (degraded[i] as number) += delta;
        remaining -= delta;
      });
    }
    return { healthy, degraded };
  }

  /** Availability with excluded priorities zeroed; total capped at 100. */
  private adjustedAvailability(availability: ReadonlyArray<{ health: number; degraded: number }>): {
    health: number[];
    degraded: number[];
    total: number;
  } {
    let total = 0;
    const health: number[] = [];
    const degraded: number[] = [];
    availability.forEach((a, i) => {
      const excluded = this.excludedPriorities[i] === true;
      health.push(excluded ? 0 : a.health);
      degraded.push(excluded ? 0 : a.degraded);
      if (!excluded) total += a.health + a.degraded;
    });
    return { health, degraded, total: Math.min(100, total) };
  }
}
