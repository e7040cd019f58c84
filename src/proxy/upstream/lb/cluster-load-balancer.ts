/**
 * A cluster's load balancer: Envoy's ROUND_ROBIN / LEAST_REQUEST / RANDOM balancers with priorities,
 * panic mode and locality-weighted LB (spec §2.4 pipeline):
 *   1. priority and availability class from the priority loads (a retry-priority plugin may rewrite them);
 *   2. a priority in panic → all its hosts (`lb_healthy_panic`++);
 *   3. else with locality-weighted LB → an EDF-picked locality's healthy (or degraded) hosts;
 *   4. else → the priority's healthy (or degraded) hosts, ignoring localities;
 *   5. the endpoint pick of the policy;
 *   6. host-selection retries while the context's predicate rejects the host, then the last host anyway.
 *
 * Envoy sources: `source/extensions/load_balancing_policies/common/load_balancer_impl.cc`
 * (`LoadBalancerBase`, `ZoneAwareLoadBalancerBase::hostSourceToUse`, `::chooseHost`,
 * `EdfLoadBalancerBase::chooseHostOnce`), `.../random/random_lb.cc` (`peekOrChoose`),
 * `source/common/upstream/upstream_impl.cc` (membership gauges in the `ClusterImplBase` update callback).
 * Zone-aware routing (§2.6) is not implemented: Istio 1.28 configures no local cluster.
 */
import type { Random } from '../../../core/random.js';
import type { LbPolicy } from '../../config/cluster-config.js';
import type { Counter, Gauge, StatsScope } from '../../stats/stats-store.js';
import type { Host } from '../host.js';
import type { PrioritySet } from '../priority-set.js';
import { EdfHostPicker } from './edf-host-picker.js';
import type { HostsSource } from './hosts-source.js';
import { hostsOfSource } from './hosts-source.js';
import { LocalityWrr } from './locality-wrr.js';
import type { PriorityLoad, PriorityLoadResult } from './priority-load.js';
import { choosePriority, computePriorityLoad } from './priority-load.js';

export interface ClusterLoadBalancerConfig {
  readonly lbPolicy: LbPolicy;
  /** `least_request_lb_config.choice_count` (Envoy default 2). */
  readonly leastRequestChoiceCount: number;
  /** `common_lb_config.healthy_panic_threshold` in percent; 0 disables panic. */
  readonly healthyPanicThresholdPct: number;
  /** `common_lb_config.locality_weighted_lb_config` is set. */
  readonly localityWeightedLb: boolean;
}

export interface ClusterLoadBalancerDeps {
  readonly random: Random;
  /** The cluster's scope (`cluster.<name>.`). */
  readonly stats: StatsScope;
}

/** Per-request hooks, Envoy's `LoadBalancerContext` (all optional). */
export interface LbContext {
  /** The retry host predicate (e.g. `previous_hosts`): true rejects the host and asks for another. */
  shouldSelectAnotherHost?(host: Host): boolean;
  /** `host_selection_retry_max_attempts`: extra picks allowed while the predicate rejects hosts. */
  hostSelectionRetryCount?(): number;
  /** A retry priority plugin (e.g. `previous_priorities`) rewriting the priority loads. */
  determinePriorityLoad?(prioritySet: PrioritySet, original: PriorityLoad): PriorityLoad;
}

/** A snapshot of the balancer's state, for admin and explain output. */
export interface LoadBalancerState {
  priorityLoad: { healthy: number[]; degraded: number[] };
  perPriorityHealth: number[];
  perPriorityPanic: boolean[];
  totalPanic: boolean;
}

interface MembershipGauges {
  readonly total: Gauge;
  readonly healthy: Gauge;
  readonly degraded: Gauge;
  readonly excluded: Gauge;
}

export class ClusterLoadBalancer {
  private readonly random: Random;
  private readonly healthyPanic: Counter;
  private readonly membership: MembershipGauges;
  /** ROUND_ROBIN and LEAST_REQUEST only; RANDOM ignores host weights (random_lb.cc). */
  private readonly edfPicker: EdfHostPicker | undefined;
  private localityWrr: LocalityWrr[] = [];
  private result: PriorityLoadResult;
  private readonly unsubscribe: () => void;

  /**
   * Subscribes to `prioritySet` changes itself (as Envoy's balancers register priority-update callbacks),
   * so callers need not call `refresh()` after `PrioritySet.update` or `refreshHealth`.
   *
   * Random numbers are drawn in Envoy's constructor order: one locality seed per priority (with
   * locality-weighted LB), then the balancer seed (ROUND_ROBIN / LEAST_REQUEST).
   */
  constructor(
    private readonly prioritySet: PrioritySet,
    private readonly config: ClusterLoadBalancerConfig,
    deps: ClusterLoadBalancerDeps,
  ) {
    this.random = deps.random;
    this.healthyPanic = deps.stats.counter('lb_healthy_panic');
    this.membership = {
      total: deps.stats.gauge('membership_total'),
      healthy: deps.stats.gauge('membership_healthy'),
      degraded: deps.stats.gauge('membership_degraded'),
      excluded: deps.stats.gauge('membership_excluded'),
    };
    this.result = computePriorityLoad(prioritySet.hostSets, config.healthyPanicThresholdPct);
    this.rebuildLocalityWrr();
    this.edfPicker =
      config.lbPolicy === 'RANDOM'
        ? undefined
        : new EdfHostPicker(
            config.lbPolicy,
            config.leastRequestChoiceCount,
            this.random,
            this.random.nextU32(),
          );
    this.edfPicker?.refresh(prioritySet);
    this.updateMembershipGauges();
    this.unsubscribe = prioritySet.onChange(() => this.refresh());
  }

  /**
   * Recomputes loads, panic flags, locality schedules (each with a fresh random seed) and endpoint
   * schedules after membership or health changed. Called automatically on `PrioritySet` changes.
   */
  refresh(): void {
    this.result = computePriorityLoad(this.prioritySet.hostSets, this.config.healthyPanicThresholdPct);
    this.rebuildLocalityWrr();
    this.edfPicker?.refresh(this.prioritySet);
    this.updateMembershipGauges();
  }

  /** Stops following the priority set. */
  close(): void {
    this.unsubscribe();
  }

  /**
   * Envoy `ZoneAwareLoadBalancerBase::chooseHost`: up to `hostSelectionRetryCount() + 1` picks while
   * the predicate rejects the host; a failed pick (no host) is returned at once; after the last
   * attempt the last host is returned even if rejected.
   */
  chooseHost(ctx?: LbContext): Host | undefined {
    const maxAttempts = ctx?.hostSelectionRetryCount !== undefined ? ctx.hostSelectionRetryCount() + 1 : 1;
    let host: Host | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      host = this.chooseHostOnce(ctx);
      if (host === undefined || ctx?.shouldSelectAnotherHost === undefined) return host;
      if (!ctx.shouldSelectAnotherHost(host)) return host;
    }
    return host;
  }

  /** The current loads and panic flags (copies). */
  state(): LoadBalancerState {
    return {
      priorityLoad: { healthy: [...this.result.load.healthy], degraded: [...this.result.load.degraded] },
      perPriorityHealth: [...this.result.health],
      perPriorityPanic: [...this.result.perPriorityPanic],
      totalPanic: this.result.totalPanic,
    };
  }

  /** One pick: a single random number chooses the priority (and, for RANDOM, also the host). */
  private chooseHostOnce(ctx: LbContext | undefined): Host | undefined {
    const hash = this.random.nextU32();
    const source = this.hostSourceToUse(ctx, hash);
    const hostSet = this.prioritySet.hostSets[source.priority];
    if (hostSet === undefined) return undefined;
    const hosts = hostsOfSource(hostSet, source);
    if (this.edfPicker === undefined) {
      // random_lb.cc `peekOrChoose`: the same random number indexes the host list.
      return hosts.length === 0 ? undefined : hosts[hash % hosts.length];
    }
    return this.edfPicker.pick(source, hosts);
  }

  /** Envoy `hostSourceToUse` (without zone-aware routing and `fail_traffic_on_panic`). */
  private hostSourceToUse(ctx: LbContext | undefined, hash: number): HostsSource {
    const load =
      ctx?.determinePriorityLoad !== undefined
        ? ctx.determinePriorityLoad(this.prioritySet, this.result.load)
        : this.result.load;
    const { priority, availability } = choosePriority(load, hash);
    if (this.result.perPriorityPanic[priority] === true) {
      this.healthyPanic.inc();
      return { priority, type: 'all', localityIndex: 0 };
    }
    if (this.config.localityWeightedLb) {
      const wrr = this.localityWrr[priority];
      const locality =
        availability === 'degraded' ? wrr?.chooseDegradedLocality() : wrr?.chooseHealthyLocality();
      if (locality !== undefined) {
        const type = availability === 'degraded' ? 'localityDegraded' : 'localityHealthy';
        return { priority, type, localityIndex: locality };
      }
    }
    return { priority, type: availability, localityIndex: 0 };
  }

  /** Envoy `rebuildLocalityWrrForPriority`: one new random seed per priority. */
  private rebuildLocalityWrr(): void {
    if (!this.config.localityWeightedLb) return;
    this.localityWrr = this.prioritySet.hostSets.map(
      (hostSet) => new LocalityWrr(hostSet, this.random.nextU32()),
    );
  }

  /** `membership_*` gauges summed over every priority (`ClusterImplBase` priority-update callback). */
  private updateMembershipGauges(): void {
    let total = 0;
    let healthy = 0;
    let degraded = 0;
    let excluded = 0;
    for (const hostSet of this.prioritySet.hostSets) {
      total += hostSet.hosts.length;
      healthy += hostSet.healthyHosts.length;
      degraded += hostSet.degradedHosts.length;
      excluded += hostSet.excludedHosts.length;
    }
    this.membership.total.set(total);
    this.membership.healthy.set(healthy);
    this.membership.degraded.set(degraded);
    this.membership.excluded.set(excluded);
  }
}
