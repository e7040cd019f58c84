/**
 * HTTP connection manager stats under `http.<stat_prefix>.` (Envoy
 * `docs/root/configuration/http/http_conn_man/stats.rst`), resolved once per listener.
 */
import type { Counter, Gauge, StatsScope } from '../stats/stats-store.js';

export class HcmStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_active: Gauge;
  readonly downstream_cx_protocol_error: Counter;
  readonly downstream_rq_total: Counter;
  readonly downstream_rq_http1_total: Counter;
  readonly downstream_rq_http2_total: Counter;
  readonly downstream_rq_active: Gauge;
  readonly downstream_rq_completed: Counter;
  readonly downstream_rq_rx_reset: Counter;
  readonly downstream_rq_tx_reset: Counter;
  readonly downstream_rq_too_large: Counter;
  readonly downstream_rq_timeout: Counter;
  readonly no_route: Counter;
  readonly no_cluster: Counter;
  readonly rq_direct_response: Counter;
  readonly rq_redirect: Counter;
  readonly downstream_rq_ws_on_non_ws_route: Counter;
  private readonly byClass: Counter[];

  constructor(readonly scope: StatsScope) {
    this.downstream_cx_total = scope.counter('downstream_cx_total');
    this.downstream_cx_active = scope.gauge('downstream_cx_active');
    this.downstream_cx_protocol_error = scope.counter('downstream_cx_protocol_error');
    this.downstream_rq_total = scope.counter('downstream_rq_total');
    this.downstream_rq_http1_total = scope.counter('downstream_rq_http1_total');
    this.downstream_rq_http2_total = scope.counter('downstream_rq_http2_total');
    this.downstream_rq_active = scope.gauge('downstream_rq_active');
    this.downstream_rq_completed = scope.counter('downstream_rq_completed');
    this.downstream_rq_rx_reset = scope.counter('downstream_rq_rx_reset');
    this.downstream_rq_tx_reset = scope.counter('downstream_rq_tx_reset');
    this.downstream_rq_too_large = scope.counter('downstream_rq_too_large');
    this.downstream_rq_timeout = scope.counter('downstream_rq_timeout');
    this.no_route = scope.counter('no_route');
    this.no_cluster = scope.counter('no_cluster');
    this.rq_direct_response = scope.counter('rq_direct_response');
    this.rq_redirect = scope.counter('rq_redirect');
    this.downstream_rq_ws_on_non_ws_route = scope.counter('downstream_rq_ws_on_non_ws_route');
    this.byClass = [1, 2, 3, 4, 5].map((c) => scope.counter(`downstream_rq_${c}xx`));
  }

  /** `downstream_rq_<N>xx` for the status sent downstream. */
  chargeResponseCode(code: number): void {
    this.byClass[Math.floor(code / 100) - 1]?.inc();
  }
}
