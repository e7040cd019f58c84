/**
 * The ADS server's metrics, in istiod's names, label values and buckets:
 * - `pilot_xds` (gauge, `version`): connected xDS streams, by the proxy's `ISTIO_VERSION` node
 *   metadata (Istio `pilot/pkg/xds/monitoring.go` `xdsClients`, `recordXDSClients`);
 * - `pilot_xds_pushes` (counter, `type`): responses sent per type, `cds`/`eds`/`lds`/`rds`, and
 *   failed sends as `<type>_senderr` - Istio counts send errors in this same family
 *   (`cdsSendErrPushes` ...); it has no separate push-errors metric;
 * - `pilot_total_xds_rejects` (counter, `type`): NACKs (Istio `pkg/xds/monitoring.go`
 *   `IncrementXDSRejects`);
 * - `pilot_xds_expired_nonce` (counter, `type`): requests with a stale nonce (`ExpiredNonce`);
 * - `pilot_total_xds_internal_errors` (counter): streams ended by an unexpected error;
 * - `pilot_proxy_convergence_time` (histogram, s): set change to every pushed type ACKed;
 * - `pilot_xds_send_time` (histogram, s): one response handed to the transport.
 * Istio exports counters without the `_total` suffix (its OpenTelemetry exporter is built with
 * `WithoutCounterSuffixes`), so the registry declares them untyped (ADR 0003).
 */
import type { Counter, Gauge, Histogram, MetricsRegistry } from '../core/metrics-registry.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';

/** Istio `pkg/model` `GetMetricType`: the short label of a type URL (the URL itself otherwise). */
export function metricType(typeUrl: string): string {
  switch (typeUrl) {
    case XdsTypeUrl.cluster:
      return 'cds';
    case XdsTypeUrl.listener:
      return 'lds';
    case XdsTypeUrl.routeConfiguration:
      return 'rds';
    case XdsTypeUrl.clusterLoadAssignment:
      return 'eds';
    case 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret':
      return 'sds';
    default:
      return typeUrl;
  }
}

export class XdsMetrics {
  readonly connected: Gauge;
  readonly pushes: Counter;
  readonly rejects: Counter;
  readonly expiredNonce: Counter;
  readonly internalErrors: Counter;
  readonly convergenceTime: Histogram;
  readonly sendTime: Histogram;

  constructor(registry: MetricsRegistry) {
    this.connected = registry.gauge('pilot_xds', 'Number of endpoints connected to this pilot using XDS.', [
      'version',
    ]);
    this.pushes = registry.counter(
      'pilot_xds_pushes',
      'Pilot build and send errors for lds, rds, cds and eds.',
      ['type'],
    );
    this.rejects = registry.counter(
      'pilot_total_xds_rejects',
      'Total number of XDS responses from pilot rejected by proxy.',
      ['type'],
    );
    this.expiredNonce = registry.counter(
      'pilot_xds_expired_nonce',
      'Total number of XDS requests with an expired nonce.',
      ['type'],
    );
    this.internalErrors = registry.counter(
      'pilot_total_xds_internal_errors',
      'Total number of internal XDS errors in pilot.',
    );
    this.convergenceTime = registry.histogram(
      'pilot_proxy_convergence_time',
      'Delay in seconds between config change and a proxy receiving all required configuration.',
      [0.1, 0.5, 1, 3, 5, 10, 20, 30],
    );
    this.sendTime = registry.histogram(
      'pilot_xds_send_time',
      'Total time in seconds Pilot takes to send generated configuration.',
      [0.01, 0.1, 1, 3, 5, 10, 20, 30],
    );
  }
}
