/**
 * The per-host side of outlier detection (Envoy `DetectorHostMonitorImpl`,
 * envoyproxy/envoy `source/common/upstream/outlier_detection_impl.cc`), installed as `host.outlier`.
 * It classifies what the router reports, keeps the consecutive-error counters and success-rate buckets,
 * and holds the host's ejection bookkeeping (count, times, backoff, jitter). Decisions that need the
 * whole cluster (ejecting, the percentage cap, statistics) belong to the detector.
 */
import { HealthFlag, type Host, type OutlierMonitor, type OutlierResult } from '../host.js';
import type { OutlierDetectionConfig } from '../../config/cluster-config.js';
import type { ConsecutiveErrorType, OutlierEjectionType } from './outlier-event.js';
import { SuccessRateMonitor } from './success-rate.js';

/** What a host monitor needs from its detector. */
export interface HostMonitorOwner {
  /** The detector's current configuration (read on every use, as Envoy reads runtime values). */
  readonly config: OutlierDetectionConfig;
  /** A consecutive-error counter just reached its threshold. */
  onConsecutiveError(monitor: OutlierHostMonitor, type: ConsecutiveErrorType): void;
}

export type SuccessRateOrigin = 'external' | 'local';

/** Which success-rate monitor an ejection type is about. */
export function successRateOriginOf(type: OutlierEjectionType): SuccessRateOrigin {
  return type === 'SUCCESS_RATE_LOCAL_ORIGIN' || type === 'FAILURE_PERCENTAGE_LOCAL_ORIGIN'
    ? 'local'
    : 'external';
}

export class OutlierHostMonitor implements OutlierMonitor {
  private ejectionCount = 0;
  private lastEjectionMs: number | undefined;
  private lastUnejectionMs: number | undefined;
  private lastType: OutlierEjectionType | undefined;
  private ejectTimeBackoff = 0;
  private ejectionJitterMs = 0;
  private consecutive5xxCount = 0;
  private consecutiveGatewayCount = 0;
  private consecutiveLocalOriginCount = 0;
  private readonly externalOrigin = new SuccessRateMonitor();
  private readonly localOrigin = new SuccessRateMonitor();

  constructor(
    readonly host: Host,
    private readonly owner: HostMonitorOwner,
  ) {}

  /**
   * An HTTP status from the host. 5xx counts toward `consecutive_5xx`; 502/503/504 also toward
   * `consecutive_gateway_failure`, while any other 5xx resets the gateway counter; everything else is a
   * success that resets both. Each trigger is `++counter === threshold` (equality), so a counter that
   * ran past the threshold does not fire again until it is reset. The gateway check runs first, so with
   * equal thresholds the gateway event is raised before the 5xx event (Envoy `putHttpResponseCode`).
   */
  putHttpResponseCode(code: number): void {
    if (code >= 500 && code <= 599) {
      this.externalOrigin.recordFailure();
      if (code === 502 || code === 503 || code === 504) {
        if (++this.consecutiveGatewayCount === this.owner.config.consecutiveGatewayFailure) {
          this.owner.onConsecutiveError(this, 'CONSECUTIVE_GATEWAY_FAILURE');
        }
      } else {
        this.consecutiveGatewayCount = 0;
      }
      if (++this.consecutive5xxCount === this.owner.config.consecutive5xx) {
        this.owner.onConsecutiveError(this, 'CONSECUTIVE_5XX');
      }
    } else {
      this.externalOrigin.recordSuccess();
      this.consecutive5xxCount = 0;
      this.consecutiveGatewayCount = 0;
    }
  }

  /**
   * A non-HTTP result. Without `split_external_local_origin_errors` every result becomes an HTTP code
   * (`putResultNoLocalExternalSplit`): a given `code` wins; otherwise connect failure 503, timeout 504,
   * `ExtOriginRequestFailed` 500, `ExtOriginRequestSuccess`/`LocalOriginConnectSuccessFinal` 200, and
   * `LocalOriginConnectSuccess` is ignored. In split mode (`putResultWithLocalExternalSplit`) connection
   * results only feed the local-origin counter and success rate, and `code` is ignored.
   */
  putResult(result: OutlierResult, code?: number): void {
    if (this.owner.config.splitExternalLocalOriginErrors) {
      this.putResultSplit(result);
      return;
    }
    if (code !== undefined) {
      this.putHttpResponseCode(code);
      return;
    }
    const mapped = resultToHttpCode(result);
    if (mapped !== undefined) this.putHttpResponseCode(mapped);
  }

  private putResultSplit(result: OutlierResult): void {
    switch (result) {
      case 'LocalOriginConnectSuccess':
      case 'LocalOriginConnectSuccessFinal':
        this.localOriginSuccess();
        return;
      case 'LocalOriginTimeout':
      case 'LocalOriginConnectFailed':
        this.localOriginFailure();
        return;
      case 'ExtOriginRequestFailed':
        // Envoy maps a failed non-HTTP transaction to 503 for the external counters.
        this.putHttpResponseCode(503);
        return;
      case 'ExtOriginRequestSuccess':
        this.putHttpResponseCode(200);
        this.localOriginSuccess();
        return;
    }
  }

  private localOriginFailure(): void {
    this.localOrigin.recordFailure();
    if (++this.consecutiveLocalOriginCount === this.owner.config.consecutiveLocalOriginFailure) {
      this.owner.onConsecutiveError(this, 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE');
    }
  }

  private localOriginSuccess(): void {
    this.localOrigin.recordSuccess();
    this.consecutiveLocalOriginCount = 0;
  }

  get numEjections(): number {
    return this.ejectionCount;
  }

  get lastEjectionTimeMs(): number | undefined {
    return this.lastEjectionMs;
  }

  get lastUnejectionTimeMs(): number | undefined {
    return this.lastUnejectionMs;
  }

  /** The type of the last enforced ejection (kept after un-ejection, for explanations). */
  get lastEjectionType(): OutlierEjectionType | undefined {
    return this.lastType;
  }

  /** The ejection-time multiplier (Envoy `eject_time_backoff_`), 0 for a host never ejected. */
  get backoff(): number {
    return this.ejectTimeBackoff;
  }

  get jitterMs(): number {
    return this.ejectionJitterMs;
  }

  get isEjected(): boolean {
    return this.host.hasHealthFlag(HealthFlag.failedOutlierCheck);
  }

  /** Current values of the three consecutive-error counters. */
  consecutiveCounts(): { consecutive5xx: number; gatewayFailure: number; localOriginFailure: number } {
    return {
      consecutive5xx: this.consecutive5xxCount,
      gatewayFailure: this.consecutiveGatewayCount,
      localOriginFailure: this.consecutiveLocalOriginCount,
    };
  }

  successRate(origin: SuccessRateOrigin): number {
    return this.successRateMonitor(origin).successRate;
  }

  /** For the detector only. */
  successRateMonitor(origin: SuccessRateOrigin): SuccessRateMonitor {
    return origin === 'external' ? this.externalOrigin : this.localOrigin;
  }

  /** For the detector only: the counter behind `type` starts again from 0. */
  resetConsecutive(type: ConsecutiveErrorType): void {
    if (type === 'CONSECUTIVE_5XX') this.consecutive5xxCount = 0;
    else if (type === 'CONSECUTIVE_GATEWAY_FAILURE') this.consecutiveGatewayCount = 0;
    else this.consecutiveLocalOriginCount = 0;
  }

  /**
   * For the detector only: an enforced ejection (`DetectorHostMonitorImpl::eject` plus the jitter and
   * backoff updates of `DetectorImpl::ejectHost`). The multiplier grows while `backoff * base` is below
   * `max + base`, so it stops one step past the cap and `min()` applies the cap.
   */
  markEjected(nowMs: number, type: OutlierEjectionType, jitterMs: number): void {
    this.host.setHealthFlag(HealthFlag.failedOutlierCheck);
    this.ejectionCount++;
    this.lastEjectionMs = nowMs;
    this.lastType = type;
    this.ejectionJitterMs = jitterMs;
    const { baseEjectionTimeMs, maxEjectionTimeMs } = this.owner.config;
    if (this.ejectTimeBackoff * baseEjectionTimeMs < maxEjectionTimeMs + baseEjectionTimeMs) {
      this.ejectTimeBackoff++;
    }
  }

  /**
   * For the detector only (`DetectorImpl::unejectHost`): the counters restart so that a counter left
   * close to its threshold cannot re-eject the host after one or two errors.
   */
  markUnejected(nowMs: number): void {
    this.host.clearHealthFlag(HealthFlag.failedOutlierCheck);
    this.consecutive5xxCount = 0;
    this.consecutiveGatewayCount = 0;
    this.consecutiveLocalOriginCount = 0;
    this.lastUnejectionMs = nowMs;
  }

  /** For the detector only: one step down after a healthy interval. */
  decrementBackoff(): void {
    if (this.ejectTimeBackoff > 0) this.ejectTimeBackoff--;
  }

  /** How long the current (or last) ejection lasts before a tick may end it: `min(base * backoff, max) + jitter`. */
  ejectionDurationMs(): number {
    const { baseEjectionTimeMs, maxEjectionTimeMs } = this.owner.config;
    return Math.min(baseEjectionTimeMs * this.ejectTimeBackoff, maxEjectionTimeMs) + this.ejectionJitterMs;
  }
}

/** Envoy `DetectorHostMonitorImpl::resultToHttpCode` (non-split mode). */
function resultToHttpCode(result: OutlierResult): number | undefined {
  switch (result) {
    case 'ExtOriginRequestSuccess':
    case 'LocalOriginConnectSuccessFinal':
      return 200;
    case 'LocalOriginTimeout':
      return 504;
    case 'LocalOriginConnectFailed':
      return 503;
    case 'ExtOriginRequestFailed':
      return 500;
    case 'LocalOriginConnectSuccess':
      // The connection is up; the HTTP layer above it reports the real outcome.
      return undefined;
  }
}
