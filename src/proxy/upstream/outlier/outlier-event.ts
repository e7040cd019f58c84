/**
 * Outlier detection events: Envoy's `envoy.data.cluster.v3.OutlierDetectionEvent`
 * (envoyproxy/envoy `api/envoy/data/cluster/v3/outlier_detection_event.proto`), as the proto-JSON
 * object Envoy's `EventLoggerImpl` writes one per line to `outlier_detection.event_log_path`.
 *
 * The field names are the proto names (snake_case) on purpose: this is a wire format, and Envoy prints
 * it with `preserve_proto_field_names` and `always_print_primitive_fields`
 * (`source/common/protobuf/utility.cc` `getJsonStringFromMessage`), so defaults such as
 * `"num_ejections":0` and `"enforced":false` appear, while unset message fields
 * (`secs_since_last_action`, the `event` oneof on UNEJECT) are left out.
 */

/** Envoy `OutlierEjectionType` (the `EXTENSION` monitors are not supported). */
export type OutlierEjectionType =
  | 'CONSECUTIVE_5XX'
  | 'CONSECUTIVE_GATEWAY_FAILURE'
  | 'SUCCESS_RATE'
  | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE'
  | 'SUCCESS_RATE_LOCAL_ORIGIN'
  | 'FAILURE_PERCENTAGE'
  | 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';

/** The ejection types raised inline by a host monitor's consecutive-error counters. */
export type ConsecutiveErrorType = Extract<
  OutlierEjectionType,
  'CONSECUTIVE_5XX' | 'CONSECUTIVE_GATEWAY_FAILURE' | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE'
>;

/** Envoy `Action`. */
export type OutlierAction = 'EJECT' | 'UNEJECT';

/** `OutlierEjectSuccessRate`: uint32 fields on a 0-100 range. */
export interface EjectSuccessRateDetails {
  readonly host_success_rate: number;
  readonly cluster_average_success_rate: number;
  readonly cluster_success_rate_ejection_threshold: number;
}

/** `OutlierEjectFailurePercentage`. */
export interface EjectFailurePercentageDetails {
  readonly host_success_rate: number;
}

/** One event, in proto-JSON form. */
export interface OutlierEvent {
  /** On UNEJECT Envoy never sets it, so it prints the enum default `CONSECUTIVE_5XX`. */
  readonly type: OutlierEjectionType;
  readonly cluster_name: string;
  /** `host->address()->asString()`: `10.0.0.1:443`, `[::1]:443` (no `tcp://` prefix). */
  readonly upstream_url: string;
  readonly action: OutlierAction;
  /** uint32: printed as a JSON number. */
  readonly num_ejections: number;
  readonly enforced: boolean;
  readonly eject_success_rate_event?: EjectSuccessRateDetails;
  readonly eject_consecutive_event?: Record<string, never>;
  readonly eject_failure_percentage_event?: EjectFailurePercentageDetails;
  /** RFC 3339 UTC with millisecond precision (`TimestampUtil::systemClockToTimestamp`). */
  readonly timestamp: string;
  /** `google.protobuf.UInt64Value`: proto JSON prints 64-bit integers as strings, e.g. `"30"`. */
  readonly secs_since_last_action?: string;
}

/** Where the detector sends its events (Envoy `Outlier::EventLogger`). Must not throw. */
export interface OutlierEventSink {
  write(event: OutlierEvent): void;
}

/**
 * The JSON line (without the newline) Envoy writes for `event`. Key order follows Envoy's own
 * expectations in `test/common/upstream/outlier_detection_impl_test.cc`
 * (`OutlierDetectionEventLoggerImplTest`): the scalar fields in field-number order, then the event
 * details, then `timestamp` and `secs_since_last_action` last.
 */
export function formatOutlierEvent(event: OutlierEvent): string {
  const ordered: Record<string, unknown> = {
    type: event.type,
    cluster_name: event.cluster_name,
    upstream_url: event.upstream_url,
    action: event.action,
    num_ejections: event.num_ejections,
    enforced: event.enforced,
  };
  if (event.eject_success_rate_event !== undefined) {
    const details = event.eject_success_rate_event;
    ordered['eject_success_rate_event'] = {
      host_success_rate: details.host_success_rate,
      cluster_average_success_rate: details.cluster_average_success_rate,
      cluster_success_rate_ejection_threshold: details.cluster_success_rate_ejection_threshold,
    };
  }
  if (event.eject_consecutive_event !== undefined) ordered['eject_consecutive_event'] = {};
  if (event.eject_failure_percentage_event !== undefined) {
    ordered['eject_failure_percentage_event'] = {
      host_success_rate: event.eject_failure_percentage_event.host_success_rate,
    };
  }
  ordered['timestamp'] = event.timestamp;
  if (event.secs_since_last_action !== undefined) {
    ordered['secs_since_last_action'] = event.secs_since_last_action;
  }
  return JSON.stringify(ordered);
}

/**
 * Envoy's `Address::Instance::asString()` for an IP host: `1.2.3.4:80`, and `[::1]:80` for IPv6
 * (`source/common/network/address_impl.cc`).
 */
export function formatUpstreamUrl(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A proto-JSON `Timestamp` from wall-clock ms. Envoy truncates to milliseconds, and proto JSON prints
 * 0, 3, 6 or 9 fractional digits, so a whole second has no fraction: `2018-12-18T09:00:00Z`.
 */
export function formatProtoTimestamp(wallMs: number): string {
  return new Date(Math.floor(wallMs)).toISOString().replace('.000Z', 'Z');
}

/**
 * A double stored into a proto `uint32` field, as Envoy does for success rates (`set_host_success_rate`
 * takes the detector's double): the fraction is truncated toward zero, and (as on x86-64) the value
 * wraps modulo 2^32.
 */
export function toProtoUint32(value: number): number {
  return Math.trunc(value) >>> 0;
}

/** Whole seconds between two monotonic instants, truncated (`duration_cast<std::chrono::seconds>`). */
export function secondsSince(nowMs: number, thenMs: number): string {
  return String(Math.trunc((nowMs - thenMs) / 1000));
}
