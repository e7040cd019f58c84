/**
 * DestinationRule `outlierDetection` -> Envoy `outlier_detection` plus the panic threshold, field by
 * field as istio/istio `pilot/pkg/networking/core/cluster_traffic_policy.go` applyOutlierDetection
 * does (spec §3.1): unset fields keep Envoy's defaults, `maxEjectionPercent: 0` is left out (Envoy's
 * 10 %), success-rate enforcement is always 0, local-origin settings only in split mode, and
 * `healthy_panic_threshold` = `minHealthPercent` (0 unless set, i.e. panic mode off).
 */
import { formatProtoDuration, parseGoDurationMs } from '../core/duration.js';
import type { OutlierDetectionView } from './istio-api.js';

type Json = Record<string, unknown>;

/** An Istio duration ("5m", "30s", "100ms") in canonical proto JSON ("300s"). */
export function protoDuration(goDuration: string): string {
  const ms = parseGoDurationMs(goDuration);
  // The config store validated the field; an unparsable value cannot reach translation.
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(goDuration)}`);
  return formatProtoDuration(ms);
}

/** The Envoy `OutlierDetection` message in normalized proto JSON. */
export function outlierDetectionResource(outlier: OutlierDetectionView): Json {
  const out: Json = { enforcing_success_rate: 0 };
  if (outlier.consecutive5xxErrors !== undefined) {
    out['consecutive_5xx'] = outlier.consecutive5xxErrors;
    out['enforcing_consecutive_5xx'] = outlier.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (outlier.consecutiveGatewayErrors !== undefined) {
    out['consecutive_gateway_failure'] = outlier.consecutiveGatewayErrors;
    out['enforcing_consecutive_gateway_failure'] = outlier.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (outlier.interval !== undefined) out['interval'] = protoDuration(outlier.interval);
  if (outlier.baseEjectionTime !== undefined)
    out['base_ejection_time'] = protoDuration(outlier.baseEjectionTime);
  if (outlier.maxEjectionPercent !== undefined && outlier.maxEjectionPercent > 0)
    out['max_ejection_percent'] = outlier.maxEjectionPercent;
  if (outlier.splitExternalLocalOriginErrors === true) {
    out['split_external_local_origin_errors'] = true;
    const failures = outlier.consecutiveLocalOriginFailures ?? 0;
    if (failures > 0) {
      out['consecutive_local_origin_failure'] = failures;
      out['enforcing_consecutive_local_origin_failure'] = 100;
    }
    out['enforcing_local_origin_success_rate'] = 0;
  }
  return out;
}

/**
 * `common_lb_config.healthy_panic_threshold` for a cluster with outlier detection: the
 * `minHealthPercent`, forced to 0 when the service receives unhealthy endpoints. A `Percent` of 0
 * normalizes to `{}` (the double is an implicit-presence field).
 */
export function panicThresholdResource(outlier: OutlierDetectionView, supportsUnhealthy: boolean): Json {
  const pct = supportsUnhealthy ? 0 : (outlier.minHealthPercent ?? 0);
  return pct === 0 ? {} : { value: pct };
}
