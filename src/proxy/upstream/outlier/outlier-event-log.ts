/**
 * Builds the events of one detector the way Envoy's `EventLoggerImpl` fills them
 * (envoyproxy/envoy `source/common/upstream/outlier_detection_impl.cc` `logEject`, `logUneject`,
 * `setCommonEventParams`) and hands them to the sink.
 */
import type { Clock } from '../../../core/clock.js';
import { successRateOriginOf, type OutlierHostMonitor } from './host-monitor.js';
import {
  formatProtoTimestamp,
  formatUpstreamUrl,
  secondsSince,
  toProtoUint32,
  type OutlierAction,
  type OutlierEjectionType,
  type OutlierEvent,
  type OutlierEventSink,
} from './outlier-event.js';
import type { SuccessRateNumbers } from './success-rate.js';

export class OutlierEventLog {
  constructor(
    private readonly clusterName: string,
    private readonly clock: Clock,
    private readonly sink: OutlierEventSink,
  ) {}

  /**
   * An EJECT event, enforced or not. `secs_since_last_action` counts from the host's last un-ejection
   * (absent if it never came back). Success-rate events carry the host's rate and the cluster's average
   * and threshold; failure-percentage events the host's rate; consecutive ones an empty object.
   */
  eject(
    monitor: OutlierHostMonitor,
    type: OutlierEjectionType,
    isEnforced: boolean,
    clusterNumbers: SuccessRateNumbers,
  ): void {
    const common = this.common(monitor, monitor.lastUnejectionTimeMs, type, 'EJECT', isEnforced);
    const origin = successRateOriginOf(type);
    const hostRate = toProtoUint32(monitor.successRate(origin));
    let event: OutlierEvent;
    if (type === 'SUCCESS_RATE' || type === 'SUCCESS_RATE_LOCAL_ORIGIN') {
      event = {
        ...common,
        eject_success_rate_event: {
          host_success_rate: hostRate,
          cluster_average_success_rate: toProtoUint32(clusterNumbers.average),
          cluster_success_rate_ejection_threshold: toProtoUint32(clusterNumbers.ejectionThreshold),
        },
      };
    } else if (type === 'FAILURE_PERCENTAGE' || type === 'FAILURE_PERCENTAGE_LOCAL_ORIGIN') {
      event = { ...common, eject_failure_percentage_event: { host_success_rate: hostRate } };
    } else {
      event = { ...common, eject_consecutive_event: {} };
    }
    this.sink.write(event);
  }

  /**
   * An UNEJECT event. Envoy never sets its type, so proto JSON prints the enum default
   * `CONSECUTIVE_5XX`; `enforced` is false and the time counts from the ejection.
   */
  uneject(monitor: OutlierHostMonitor): void {
    this.sink.write(this.common(monitor, monitor.lastEjectionTimeMs, 'CONSECUTIVE_5XX', 'UNEJECT', false));
  }

  private common(
    monitor: OutlierHostMonitor,
    lastActionMs: number | undefined,
    type: OutlierEjectionType,
    action: OutlierAction,
    isEnforced: boolean,
  ): OutlierEvent {
    const host = monitor.host;
    const event: OutlierEvent = {
      type,
      cluster_name: this.clusterName,
      upstream_url: formatUpstreamUrl(host.address, host.port),
      action,
      num_ejections: monitor.numEjections,
      enforced: isEnforced,
      timestamp: formatProtoTimestamp(this.clock.wallMs()),
    };
    if (lastActionMs === undefined) return event;
    return { ...event, secs_since_last_action: secondsSince(this.clock.monotonicMs(), lastActionMs) };
  }
}
