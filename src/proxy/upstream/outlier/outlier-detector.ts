/**
 * Outlier detection for one cluster: Envoy's `DetectorImpl`
 * (envoyproxy/envoy `source/common/upstream/outlier_detection_impl.cc`). It only changes host health
 * (`failedOutlierCheck`); it is never in the request path except for the inline consecutive-error
 * ejections that host monitors raise.
 *
 * Envoy posts consecutive-error events from workers to the main thread; Node has one thread, so they
 * are handled synchronously, in the order the monitor raised them (gateway before 5xx).
 *
 * Hosts are visited in the order they were first added. Envoy keeps them in a hash map, so its order
 * (which decides, within one sweep, which outlier hits the `max_ejection_percent` cap first) is
 * unspecified; insertion order is our deterministic choice.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import type { Random } from '../../../core/random.js';
import type { OutlierDetectionConfig } from '../../config/cluster-config.js';
import type { StatsScope } from '../../stats/stats-store.js';
import { HealthFlag, type Host } from '../host.js';
import {
  OutlierHostMonitor,
  successRateOriginOf,
  type HostMonitorOwner,
  type SuccessRateOrigin,
} from './host-monitor.js';
import { describeEjection, type HostEjectionState } from './ejection-state.js';
export type { HostEjectionState } from './ejection-state.js';
import { OutlierEventLog } from './outlier-event-log.js';
import type { ConsecutiveErrorType, OutlierEjectionType, OutlierEventSink } from './outlier-event.js';
import { OutlierStats } from './outlier-stats.js';
import { findSuccessRateOutliers, noSuccessRateNumbers, type SuccessRateNumbers } from './success-rate.js';

export interface OutlierDetectorDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** The cluster's stats scope (`cluster.<name>.`). */
  readonly stats: StatsScope;
  readonly eventSink?: OutlierEventSink;
}

/** Runs after each enforced ejection and each un-ejection (the load balancer recomputes its loads). */
export type OutlierChangeCallback = (host: Host) => void;

export class OutlierDetector implements HostMonitorOwner {
  private cfg: OutlierDetectionConfig;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly stats: OutlierStats;
  private readonly eventLog: OutlierEventLog | undefined;
  private readonly monitors = new Map<Host, OutlierHostMonitor>();
  private readonly callbacks: OutlierChangeCallback[] = [];
  private readonly srNumbers: Record<SuccessRateOrigin, SuccessRateNumbers> = {
    external: noSuccessRateNumbers,
    local: noSuccessRateNumbers,
  };
  /** Envoy keeps its own count next to the gauge (another detector may share the gauge's name). */
  private activeEjections = 0;
  private timer: Timer | undefined;
  private nextSweepMs: number | undefined;
  private isClosed = false;

  constructor(
    readonly clusterName: string,
    config: OutlierDetectionConfig,
    deps: OutlierDetectorDeps,
  ) {
    checkConfig(config);
    this.cfg = config;
    this.clock = deps.clock;
    this.random = deps.random;
    this.stats = new OutlierStats(deps.stats);
    this.eventLog =
      deps.eventSink === undefined ? undefined : new OutlierEventLog(clusterName, deps.clock, deps.eventSink);
    // Envoy arms the interval timer when the detector is created, not when hosts arrive.
    this.armIntervalTimer();
  }

  get config(): OutlierDetectionConfig {
    return this.cfg;
  }

  /**
   * Syncs the monitored hosts with the cluster's current hosts (all priorities). New hosts get a fresh
   * monitor; hosts still present keep theirs (counters, ejection, backoff). A removed host that was
   * ejected no longer counts in `ejections_active` (Envoy's member-update callback in
   * `DetectorImpl::initialize`); it keeps its monitor, whose reports are then ignored.
   */
  setHosts(hosts: readonly Host[]): void {
    if (this.isClosed) return;
    const current = new Set(hosts);
    for (const host of hosts) {
      if (!this.monitors.has(host)) this.addHostMonitor(host);
    }
    for (const [host, monitor] of [...this.monitors]) {
      if (current.has(host)) continue;
      if (monitor.isEjected) this.changeActiveEjections(-1);
      this.monitors.delete(host);
    }
  }

  private addHostMonitor(host: Host): void {
    // A Host object re-added after removal (or left ejected by a closed detector) may still carry the
    // flag; Envoy's added hosts are always new objects without it, so start clean.
    host.clearHealthFlag(HealthFlag.failedOutlierCheck);
    const monitor = new OutlierHostMonitor(host, this);
    this.monitors.set(host, monitor);
    host.outlier = monitor;
  }

  /** Registers a callback run after each ejection and un-ejection; returns its removal. */
  onChange(callback: OutlierChangeCallback): () => void {
    this.callbacks.push(callback);
    return () => {
      const index = this.callbacks.indexOf(callback);
      if (index >= 0) this.callbacks.splice(index, 1);
    };
  }

  hostsCount(): number {
    return this.monitors.size;
  }

  /** The monitor installed for `host`, if the host is monitored. */
  monitorOf(host: Host): OutlierHostMonitor | undefined {
    return this.monitors.get(host);
  }

  /** The success-rate detector's last cluster average (-1 when it did not run). */
  successRateAverage(origin: SuccessRateOrigin): number {
    return this.srNumbers[origin].average;
  }

  /** The success-rate detector's last ejection threshold (-1 when it did not run). */
  successRateEjectionThreshold(origin: SuccessRateOrigin): number {
    return this.srNumbers[origin].ejectionThreshold;
  }

  /** The host's ejection bookkeeping, or undefined when the host is not monitored. */
  ejectionState(host: Host): HostEjectionState | undefined {
    const monitor = this.monitors.get(host);
    if (monitor === undefined) return undefined;
    return describeEjection(monitor, this.clock.monotonicMs(), this.nextSweepMs, this.cfg.intervalMs);
  }

  /**
   * Applies a cluster update's new settings, keeping every host's state. The timer is re-armed from now
   * when the interval changed. (Envoy itself rebuilds the cluster, and so the detector, on a CDS update.)
   */
  updateConfig(config: OutlierDetectionConfig): void {
    checkConfig(config);
    const intervalChanged = config.intervalMs !== this.cfg.intervalMs;
    this.cfg = config;
    if (intervalChanged && !this.isClosed) {
      this.timer?.cancel();
      this.armIntervalTimer();
    }
  }

  /**
   * Stops the detector: cancels the timer, and (as Envoy's destructor does) takes the ejected hosts out
   * of `ejections_active`. Their `failedOutlierCheck` flags are cleared and the monitors uninstalled, so
   * hosts that outlive the detector are not left ejected; the owner recomputes its load balancer.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.nextSweepMs = undefined;
    for (const [host, monitor] of this.monitors) {
      if (monitor.isEjected) {
        this.changeActiveEjections(-1);
        host.clearHealthFlag(HealthFlag.failedOutlierCheck);
      }
      if (host.outlier === monitor) host.outlier = undefined;
    }
    this.monitors.clear();
  }

  /**
   * A consecutive-error threshold was reached (`DetectorImpl::onConsecutiveErrorWorker`). Ignored, with
   * no stats and no counter reset, when the host is no longer monitored or is already ejected.
   * Otherwise the detection is counted, ejection attempted, and the triggering counter reset so a new
   * run of errors can be detected even without an interleaved success.
   */
  onConsecutiveError(monitor: OutlierHostMonitor, type: ConsecutiveErrorType): void {
    if (this.isClosed || this.monitors.get(monitor.host) !== monitor) return;
    if (monitor.isEjected) return;
    this.stats.recordDetected(type);
    this.ejectHost(monitor, type);
    if (type === 'CONSECUTIVE_5XX') this.stats.ejectionsConsecutive5xx.inc();
    monitor.resetConsecutive(type);
  }

  /**
   * An active health-check result. With `successful_active_health_check_uneject_host`, a healthy result
   * on an outlier-ejected host that has not failed active checking un-ejects it at once (Envoy's
   * `addHostCheckCompleteCb` in `DetectorImpl::initialize`).
   */
  onHealthCheckResult(host: Host, isHealthy: boolean): void {
    if (this.isClosed || !this.cfg.successfulActiveHealthCheckUnejectHost || !isHealthy) return;
    const monitor = this.monitors.get(host);
    if (monitor === undefined || !monitor.isEjected || host.hasHealthFlag(HealthFlag.failedActiveHc)) return;
    this.unejectHost(monitor);
  }

  /**
   * Envoy `DetectorImpl::ejectHost`. The cap is strict and counts every monitored host of the cluster
   * (all priorities): ejecting must keep `100 * (active + 1) / hosts <= min(100, max_ejection_percent)`,
   * e.g. 10 % of 6 hosts refuses even the first ejection, 67 % of 3 hosts allows two (66.7 <= 67).
   * `always_eject_one_host` lets the first ejection through regardless. Refusals count as overflow.
   */
  private ejectHost(monitor: OutlierHostMonitor, type: OutlierEjectionType): void {
    if (this.monitors.get(monitor.host) !== monitor) return;
    const maxPercent = Math.min(100, this.cfg.maxEjectionPercent);
    const ejectedPercent = (100 * (this.activeEjections + 1)) / this.monitors.size;
    let shouldEject = ejectedPercent <= maxPercent;
    if (this.cfg.alwaysEjectOneHost) shouldEject = this.activeEjections === 0 || shouldEject;
    if (!shouldEject) {
      this.stats.ejectionsOverflow.inc();
      return;
    }
    // Deprecated counter: counted once past the cap, enforced or not.
    if (type === 'CONSECUTIVE_5XX' || type === 'SUCCESS_RATE') this.stats.ejectionsTotal.inc();
    // A host already ejected can only get here from the failure-percentage pass of the tick that just
    // ejected it by success rate. Envoy asserts this never happens (`DetectorHostMonitorImpl::eject`);
    // its release builds would count the host twice in `ejections_active` forever. We log the detection
    // as not enforced instead.
    const isEnforced = this.shouldEnforce(type) && !monitor.isEjected;
    if (!isEnforced) {
      this.eventLog?.eject(monitor, type, false, this.srNumbers[successRateOriginOf(type)]);
      return;
    }
    this.changeActiveEjections(1);
    this.stats.recordEnforced(type);
    // Jitter spreads un-ejections so hosts do not all return at once: random % (jitter_ms + 1).
    const jitterMs = this.random.nextU32() % (this.cfg.maxEjectionTimeJitterMs + 1);
    monitor.markEjected(this.clock.monotonicMs(), type, jitterMs);
    this.runCallbacks(monitor.host);
    this.eventLog?.eject(monitor, type, true, this.srNumbers[successRateOriginOf(type)]);
  }

  /**
   * Envoy's `runtime.featureEnabled(key, pct)`: 0 never and 100 always, without drawing a random
   * number; otherwise `random % 100 < pct`.
   */
  private shouldEnforce(type: OutlierEjectionType): boolean {
    const percent = Math.min(enforcingPercent(this.cfg, type), 100);
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    return this.random.nextU32() % 100 < percent;
  }

  /** Envoy `DetectorImpl::unejectHost`. */
  private unejectHost(monitor: OutlierHostMonitor): void {
    this.changeActiveEjections(-1);
    monitor.markUnejected(this.clock.monotonicMs());
    this.runCallbacks(monitor.host);
    this.eventLog?.uneject(monitor);
  }

  private changeActiveEjections(delta: number): void {
    this.activeEjections += delta;
    this.stats.ejectionsActive.inc(delta);
  }

  private runCallbacks(host: Host): void {
    for (const callback of [...this.callbacks]) callback(host);
  }

  private armIntervalTimer(): void {
    const intervalMs = this.cfg.intervalMs;
    this.nextSweepMs = this.clock.monotonicMs() + intervalMs;
    this.timer = this.clock.setTimer(intervalMs, () => this.onIntervalTimer());
  }

  /**
   * The interval sweep (`DetectorImpl::onIntervalTimer`), in Envoy's order: un-eject hosts whose
   * `min(base * backoff, max) + jitter` has elapsed since their ejection and swap every host's
   * success-rate buckets (clearing the shown rates); run the success-rate and failure-percentage
   * detectors for external then local origin; then, for each host not ejected that has been back for at
   * least one interval, lower its backoff by one. The timer is re-armed after the sweep.
   *
   * Timeline (interval 10 s, base 30 s): ejected at t=2 (backoff 1, 30 s); the t=30 tick sees 28 s and
   * keeps it out; t=40 sees 38 s and un-ejects; t=50 sees 10 s back and lowers backoff to 0. A new
   * ejection at t=45 instead makes backoff 2 (60 s), and the first tick with 60 s elapsed is t=110.
   */
  private onIntervalTimer(): void {
    if (this.isClosed) return;
    const nowMs = this.clock.monotonicMs();
    for (const monitor of [...this.monitors.values()]) {
      if (
        monitor.isEjected &&
        monitor.ejectionDurationMs() <= nowMs - (monitor.lastEjectionTimeMs ?? nowMs)
      ) {
        this.unejectHost(monitor);
      }
      for (const origin of ['external', 'local'] as const) {
        const successRate = monitor.successRateMonitor(origin);
        successRate.swapBuckets();
        successRate.successRate = -1;
      }
    }
    this.processSuccessRateEjections('external');
    this.processSuccessRateEjections('local');
    for (const monitor of this.monitors.values()) {
      const backSinceMs = monitor.lastUnejectionTimeMs;
      if (!monitor.isEjected && backSinceMs !== undefined && nowMs - backSinceMs >= this.cfg.intervalMs) {
        monitor.decrementBackoff();
      }
    }
    if (!this.isClosed) this.armIntervalTimer();
  }

  /**
   * Envoy `DetectorImpl::processSuccessRateEjections`. Nothing runs when the cluster has fewer hosts
   * than both minimums. A host's shown success rate is refreshed when its volume reaches the smaller of
   * the two request volumes. Worked example: rates {50, 100, 100, 100, 100} give mean 90, stdev 20 and
   * threshold 52, so the host at 50 is an outlier.
   */
  private processSuccessRateEjections(origin: SuccessRateOrigin): void {
    this.srNumbers[origin] = noSuccessRateNumbers;
    const cfg = this.cfg;
    const hostCount = this.monitors.size;
    if (hostCount < cfg.successRateMinimumHosts && hostCount < cfg.failurePercentageMinimumHosts) return;
    const shownVolume = Math.min(cfg.successRateRequestVolume, cfg.failurePercentageRequestVolume);
    const samples: Array<{ item: OutlierHostMonitor; successRate: number; volume: number }> = [];
    for (const monitor of this.monitors.values()) {
      if (monitor.isEjected) continue;
      const successRate = monitor.successRateMonitor(origin);
      const last = successRate.lastInterval();
      if (last === undefined) continue;
      if (last.volume >= shownVolume) successRate.successRate = last.successRate;
      samples.push({ item: monitor, ...last });
    }
    const verdict = findSuccessRateOutliers(samples, cfg);
    this.srNumbers[origin] = verdict.numbers;
    const successRateType = origin === 'external' ? 'SUCCESS_RATE' : 'SUCCESS_RATE_LOCAL_ORIGIN';
    for (const monitor of verdict.successRateOutliers) {
      this.stats.ejectionsSuccessRate.inc();
      this.stats.recordDetected(successRateType);
      this.ejectHost(monitor, successRateType);
    }
    const failureType = origin === 'external' ? 'FAILURE_PERCENTAGE' : 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';
    for (const monitor of verdict.failurePercentageOutliers) {
      this.stats.recordDetected(failureType);
      this.ejectHost(monitor, failureType);
    }
  }
}

/** Envoy `DetectorImpl::create` rejects this configuration. */
function checkConfig(config: OutlierDetectionConfig): void {
  if (config.maxEjectionTimeMs < config.baseEjectionTimeMs) {
    throw new RangeError("outlier detector's max_ejection_time cannot be smaller than base_ejection_time");
  }
}

/** The `enforcing_*` percentage for each ejection type (`DetectorImpl::enforceEjection`). */
function enforcingPercent(config: OutlierDetectionConfig, type: OutlierEjectionType): number {
  switch (type) {
    case 'CONSECUTIVE_5XX':
      return config.enforcingConsecutive5xx;
    case 'CONSECUTIVE_GATEWAY_FAILURE':
      return config.enforcingConsecutiveGatewayFailure;
    case 'SUCCESS_RATE':
      return config.enforcingSuccessRate;
    case 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE':
      return config.enforcingConsecutiveLocalOriginFailure;
    case 'SUCCESS_RATE_LOCAL_ORIGIN':
      return config.enforcingLocalOriginSuccessRate;
    case 'FAILURE_PERCENTAGE':
      return config.enforcingFailurePercentage;
    case 'FAILURE_PERCENTAGE_LOCAL_ORIGIN':
      return config.enforcingFailurePercentageLocalOrigin;
  }
}
