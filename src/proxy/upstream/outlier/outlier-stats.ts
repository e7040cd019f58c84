/**
 * The per-cluster outlier statistics, `cluster.<name>.outlier_detection.*`, named as Envoy's code names
 * them (`ALL_OUTLIER_DETECTION_STATS` in envoyproxy/envoy `source/common/upstream/outlier_detection_impl.h`).
 * The two local-origin failure-percentage counters use the code names
 * `ejections_{detected,enforced}_local_origin_failure_percentage`, not the names in the docs.
 * All are created up front so they show as 0, as Envoy's stat macros do.
 */
import type { Counter, Gauge, StatsScope } from '../../stats/stats-store.js';
import type { OutlierEjectionType } from './outlier-event.js';

/** The stat-name fragment of each ejection type (`DetectorImpl::updateDetectedEjectionStats`). */
const statSuffix: Readonly<Record<OutlierEjectionType, string>> = {
  CONSECUTIVE_5XX: 'consecutive_5xx',
  CONSECUTIVE_GATEWAY_FAILURE: 'consecutive_gateway_failure',
  SUCCESS_RATE: 'success_rate',
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE: 'consecutive_local_origin_failure',
  SUCCESS_RATE_LOCAL_ORIGIN: 'local_origin_success_rate',
  FAILURE_PERCENTAGE: 'failure_percentage',
  FAILURE_PERCENTAGE_LOCAL_ORIGIN: 'local_origin_failure_percentage',
};

const ejectionTypes = Object.keys(statSuffix) as OutlierEjectionType[];

export class OutlierStats {
  /** Hosts currently ejected (gauge). */
  readonly ejectionsActive: Gauge;
  readonly ejectionsEnforcedTotal: Counter;
  /** Ejections refused by `max_ejection_percent`. */
  readonly ejectionsOverflow: Counter;
  /** Deprecated: CONSECUTIVE_5XX and SUCCESS_RATE ejections that passed the percentage check. */
  readonly ejectionsTotal: Counter;
  /** Deprecated: consecutive-5xx detections. */
  readonly ejectionsConsecutive5xx: Counter;
  /** Deprecated: success-rate detections. */
  readonly ejectionsSuccessRate: Counter;
  private readonly detected = new Map<OutlierEjectionType, Counter>();
  private readonly enforced = new Map<OutlierEjectionType, Counter>();

  /** `clusterScope` is the cluster's scope (`cluster.<name>.`). */
  constructor(clusterScope: StatsScope) {
    const scope = clusterScope.scope('outlier_detection');
    this.ejectionsActive = scope.gauge('ejections_active');
    this.ejectionsEnforcedTotal = scope.counter('ejections_enforced_total');
    this.ejectionsOverflow = scope.counter('ejections_overflow');
    this.ejectionsTotal = scope.counter('ejections_total');
    this.ejectionsConsecutive5xx = scope.counter('ejections_consecutive_5xx');
    this.ejectionsSuccessRate = scope.counter('ejections_success_rate');
    for (const type of ejectionTypes) {
      this.detected.set(type, scope.counter(`ejections_detected_${statSuffix[type]}`));
      this.enforced.set(type, scope.counter(`ejections_enforced_${statSuffix[type]}`));
    }
  }

  /** `ejections_detected_<type>`. */
  recordDetected(type: OutlierEjectionType): void {
    this.detected.get(type)?.inc();
  }

  /** `ejections_enforced_total` and `ejections_enforced_<type>` (`updateEnforcedEjectionStats`). */
  recordEnforced(type: OutlierEjectionType): void {
    this.ejectionsEnforcedTotal.inc();
    this.enforced.get(type)?.inc();
  }
}
