/**
 * The per-cluster request and connection stats the router and pools update on every request, resolved
 * once so the hot path does no name lookups. Names are Envoy's
 * (`docs/root/configuration/upstream/cluster_manager/cluster_stats.rst`).
 */
import type { Counter, Gauge, Histogram, StatsScope } from '../stats/stats-store.js';

export class ClusterTrafficStats {
  readonly upstream_cx_total: Counter;
  readonly upstream_cx_active: Gauge;
  readonly upstream_cx_http1_total: Counter;
  readonly upstream_cx_http2_total: Counter;
  readonly upstream_cx_connect_fail: Counter;
  readonly upstream_cx_connect_timeout: Counter;
  readonly upstream_cx_destroy: Counter;
  readonly upstream_cx_none_healthy: Counter;
  readonly upstream_cx_overflow: Counter;
  readonly upstream_rq_total: Counter;
  readonly upstream_rq_active: Gauge;
  readonly upstream_rq_completed: Counter;
  readonly upstream_rq_pending_total: Counter;
  readonly upstream_rq_pending_active: Gauge;
  readonly upstream_rq_pending_overflow: Counter;
  readonly upstream_rq_pending_failure_eject: Counter;
  readonly upstream_rq_timeout: Counter;
  readonly upstream_rq_per_try_timeout: Counter;
  readonly upstream_rq_rx_reset: Counter;
  readonly upstream_rq_tx_reset: Counter;
  readonly upstream_rq_retry: Counter;
  readonly upstream_rq_retry_success: Counter;
  readonly upstream_rq_retry_overflow: Counter;
  readonly upstream_rq_retry_limit_exceeded: Counter;
  readonly upstream_rq_retry_backoff_exponential: Counter;
  readonly upstream_rq_maintenance_mode: Counter;
  readonly upstream_rq_time: Histogram;
  private readonly byCode = new Map<number, Counter>();
  private readonly byClass = new Map<number, Counter>();

  constructor(private readonly scope: StatsScope) {
    this.upstream_cx_total = scope.counter('upstream_cx_total');
    this.upstream_cx_active = scope.gauge('upstream_cx_active');
    this.upstream_cx_http1_total = scope.counter('upstream_cx_http1_total');
    this.upstream_cx_http2_total = scope.counter('upstream_cx_http2_total');
    this.upstream_cx_connect_fail = scope.counter('upstream_cx_connect_fail');
    this.upstream_cx_connect_timeout = scope.counter('upstream_cx_connect_timeout');
    this.upstream_cx_destroy = scope.counter('upstream_cx_destroy');
    this.upstream_cx_none_healthy = scope.counter('upstream_cx_none_healthy');
    this.upstream_cx_overflow = scope.counter('upstream_cx_overflow');
    this.upstream_rq_total = scope.counter('upstream_rq_total');
    this.upstream_rq_active = scope.gauge('upstream_rq_active');
    this.upstream_rq_completed = scope.counter('upstream_rq_completed');
    this.upstream_rq_pending_total = scope.counter('upstream_rq_pending_total');
    this.upstream_rq_pending_active = scope.gauge('upstream_rq_pending_active');
    this.upstream_rq_pending_overflow = scope.counter('upstream_rq_pending_overflow');
    this.upstream_rq_pending_failure_eject = scope.counter('upstream_rq_pending_failure_eject');
    this.upstream_rq_timeout = scope.counter('upstream_rq_timeout');
    this.upstream_rq_per_try_timeout = scope.counter('upstream_rq_per_try_timeout');
    this.upstream_rq_rx_reset = scope.counter('upstream_rq_rx_reset');
    this.upstream_rq_tx_reset = scope.counter('upstream_rq_tx_reset');
    this.upstream_rq_retry = scope.counter('upstream_rq_retry');
    this.upstream_rq_retry_success = scope.counter('upstream_rq_retry_success');
    this.upstream_rq_retry_overflow = scope.counter('upstream_rq_retry_overflow');
    this.upstream_rq_retry_limit_exceeded = scope.counter('upstream_rq_retry_limit_exceeded');
    this.upstream_rq_retry_backoff_exponential = scope.counter('upstream_rq_retry_backoff_exponential');
    this.upstream_rq_maintenance_mode = scope.counter('upstream_rq_maintenance_mode');
    this.upstream_rq_time = scope.histogram('upstream_rq_time');
  }

  /** `upstream_rq_<code>` and `upstream_rq_<N>xx` (Envoy `CodeStatsImpl::chargeResponseStat`). */
  chargeResponseCode(code: number): void {
    let byCode = this.byCode.get(code);
    if (byCode === undefined) {
      byCode = this.scope.counter(`upstream_rq_${code}`);
      this.byCode.set(code, byCode);
    }
    byCode.inc();
    const cls = Math.floor(code / 100);
    let byClass = this.byClass.get(cls);
    if (byClass === undefined) {
      byClass = this.scope.counter(`upstream_rq_${cls}xx`);
      this.byClass.set(cls, byClass);
    }
    byClass.inc();
  }
}
