/**
 * The endpoint pick of ROUND_ROBIN and LEAST_REQUEST, inside one hosts source (spec §2.4 step 6).
 *
 * Envoy sources: `source/extensions/load_balancing_policies/common/load_balancer_impl.cc`
 * (`EdfLoadBalancerBase::refresh`, `chooseHostOnce`, `hostWeightsAreEqual`),
 * `source/extensions/load_balancing_policies/round_robin/round_robin_lb.h` (`refreshHostSource`,
 * `unweightedHostPick`), `source/extensions/load_balancing_policies/least_request/least_request_lb.cc`
 * (`hostWeight`, `unweightedHostPickNChoices`).
 *
 * - When every host of a source has the same weight (or there is at most one host), no schedule is
 *   built: ROUND_ROBIN walks an index per source, LEAST_REQUEST samples `choiceCount` random hosts and
 *   keeps the first one with strictly fewer active requests.
 * - Otherwise an EDF schedule over the hosts is built with `createWithPicks(seed)`. ROUND_ROBIN uses the
 *   host weight; LEAST_REQUEST uses weight / (active requests + 1) (`active_request_bias` 1.0), read
 *   again each time a host is re-added.
 * - `seed` is one random number drawn when the balancer is created. Each round-robin index starts at it
 *   and survives membership changes (Envoy inserts the index only for a new source); every rebuilt EDF
 *   schedule starts `seed` picks in.
 */
import type { Random } from '../../../core/random.js';
import type { Host } from '../host.js';
import type { PrioritySet } from '../priority-set.js';
import { EdfScheduler } from './edf-scheduler.js';
import type { HostsSource } from './hosts-source.js';
import { allHostsSources, hostsOfSource, hostsSourceKey } from './hosts-source.js';
import { effectiveHostWeight } from './priority-load.js';

export type EdfPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST';

export class EdfHostPicker {
  private readonly schedulers = new Map<string, EdfScheduler<Host>>();
  private readonly rrIndexes = new Map<string, number>();
  private readonly weightOf: (host: Host) => number;

  constructor(
    private readonly policy: EdfPolicy,
    private readonly choiceCount: number,
    private readonly random: Random,
    private readonly seed: number,
  ) {
    if (policy === 'LEAST_REQUEST' && !(Number.isInteger(choiceCount) && choiceCount >= 1)) {
      throw new Error(`least request choice count must be a positive integer, got ${choiceCount}`);
    }
    this.weightOf =
      policy === 'ROUND_ROBIN'
        ? (host) => effectiveHostWeight(host)
        : (host) => effectiveHostWeight(host) / (Math.max(0, host.activeRequests) + 1);
  }

  /** Rebuilds the schedules of every source of every priority (Envoy: `refresh(priority)` per priority). */
  refresh(prioritySet: PrioritySet): void {
    this.schedulers.clear();
    for (const hostSet of prioritySet.hostSets) {
      for (const source of allHostsSources(hostSet)) {
        const key = hostsSourceKey(source);
        if (!this.rrIndexes.has(key)) this.rrIndexes.set(key, this.seed);
        const hosts = hostsOfSource(hostSet, source);
        if (hosts.length <= 1 || weightsAreEqual(hosts)) continue;
        this.schedulers.set(key, EdfScheduler.createWithPicks(hosts, this.weightOf, this.seed));
      }
    }
  }

  /** One endpoint from `hosts` (the current list of `source`); undefined when there is none. */
  pick(source: HostsSource, hosts: readonly Host[]): Host | undefined {
    const key = hostsSourceKey(source);
    const scheduler = this.schedulers.get(key);
    if (scheduler !== undefined) return scheduler.pickAndAdd(this.weightOf);
    if (hosts.length === 0) return undefined;
    return this.policy === 'ROUND_ROBIN' ? this.roundRobin(key, hosts) : this.leastRequest(hosts);
  }

  private roundRobin(key: string, hosts: readonly Host[]): Host {
    const index = this.rrIndexes.get(key) ?? this.seed;
    this.rrIndexes.set(key, index + 1);
    return hosts[index % hosts.length] as Host;
  }

  /** Power of N choices: later samples replace the candidate only with strictly fewer active requests. */
  private leastRequest(hosts: readonly Host[]): Host {
    let candidate: Host | undefined;
    for (let i = 0; i < this.choiceCount; i++) {
      const sampled = hosts[this.random.nextU32() % hosts.length] as Host;
      if (candidate === undefined || sampled.activeRequests < candidate.activeRequests) candidate = sampled;
    }
    return candidate as Host;
  }
}

/** Envoy `hostWeightsAreEqual`, on the configured weights (not the least-request dynamic ones). */
function weightsAreEqual(hosts: readonly Host[]): boolean {
  const first = hosts[0];
  if (first === undefined) return true;
  const weight = effectiveHostWeight(first);
  return hosts.every((h) => effectiveHostWeight(h) === weight);
}
