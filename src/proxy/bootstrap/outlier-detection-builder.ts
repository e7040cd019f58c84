/**
 * `config.cluster.v3.OutlierDetection` with every field resolved to Envoy's default
 * (`DetectorConfig::DetectorConfig` and the `DEFAULT_*` constants in
 * source/common/upstream/outlier_detection_impl.{cc,h}; spec §1.1). Percentages <= 100 and
 * durations > 0 are PGV rules, already enforced by the schema validator.
 */
import { ErrorCode } from '../../core/errors.js';
import type { OutlierDetectionConfig } from '../config/cluster-config.js';
import { defaultMaxEjectionTimeMs, envoyOutlierDetectionDefaults } from '../config/outlier-defaults.js';
import type { ConfigNode } from './config-node.js';

const defaults = envoyOutlierDetectionDefaults;

export function buildOutlierDetection(node: ConfigNode): OutlierDetectionConfig {
  node.allowOnly([
    'consecutive_5xx',
    'interval',
    'base_ejection_time',
    'max_ejection_percent',
    'enforcing_consecutive_5xx',
    'enforcing_success_rate',
    'success_rate_minimum_hosts',
    'success_rate_request_volume',
    'success_rate_stdev_factor',
    'consecutive_gateway_failure',
    'enforcing_consecutive_gateway_failure',
    'split_external_local_origin_errors',
    'consecutive_local_origin_failure',
    'enforcing_consecutive_local_origin_failure',
    'enforcing_local_origin_success_rate',
    'failure_percentage_threshold',
    'enforcing_failure_percentage',
    'enforcing_failure_percentage_local_origin',
    'failure_percentage_minimum_hosts',
    'failure_percentage_request_volume',
    'max_ejection_time',
    'max_ejection_time_jitter',
    'successful_active_health_check_uneject_host',
    'always_eject_one_host',
  ]);
  const baseEjectionTimeMs = node.durationMs('base_ejection_time', defaults.baseEjectionTimeMs);
  // Unset: the larger of 300 s and base_ejection_time, so the default can never be below the base.
  const maxEjectionTimeMs = node.durationMs(
    'max_ejection_time',
    Math.max(defaultMaxEjectionTimeMs, baseEjectionTimeMs),
  );
  if (maxEjectionTimeMs < baseEjectionTimeMs) {
    // DetectorImpl::create.
    throw node.error(
      ErrorCode.configInvalid,
      "outlier detector's max_ejection_time cannot be smaller than base_ejection_time",
      'max_ejection_time',
    );
  }
  return {
    consecutive5xx: node.number('consecutive_5xx', defaults.consecutive5xx),
    intervalMs: node.durationMs('interval', defaults.intervalMs),
    baseEjectionTimeMs,
    maxEjectionPercent: node.number('max_ejection_percent', defaults.maxEjectionPercent),
    enforcingConsecutive5xx: node.number('enforcing_consecutive_5xx', defaults.enforcingConsecutive5xx),
    enforcingSuccessRate: node.number('enforcing_success_rate', defaults.enforcingSuccessRate),
    successRateMinimumHosts: node.number('success_rate_minimum_hosts', defaults.successRateMinimumHosts),
    successRateRequestVolume: node.number('success_rate_request_volume', defaults.successRateRequestVolume),
    successRateStdevFactor: node.number('success_rate_stdev_factor', defaults.successRateStdevFactor),
    consecutiveGatewayFailure: node.number('consecutive_gateway_failure', defaults.consecutiveGatewayFailure),
    enforcingConsecutiveGatewayFailure: node.number(
      'enforcing_consecutive_gateway_failure',
      defaults.enforcingConsecutiveGatewayFailure,
    ),
    splitExternalLocalOriginErrors: node.boolean('split_external_local_origin_errors', false),
    consecutiveLocalOriginFailure: node.number(
      'consecutive_local_origin_failure',
      defaults.consecutiveLocalOriginFailure,
    ),
    enforcingConsecutiveLocalOriginFailure: node.number(
      'enforcing_consecutive_local_origin_failure',
      defaults.enforcingConsecutiveLocalOriginFailure,
    ),
    enforcingLocalOriginSuccessRate: node.number(
      'enforcing_local_origin_success_rate',
      defaults.enforcingLocalOriginSuccessRate,
    ),
    failurePercentageThreshold: node.number(
      'failure_percentage_threshold',
      defaults.failurePercentageThreshold,
    ),
    enforcingFailurePercentage: node.number(
      'enforcing_failure_percentage',
      defaults.enforcingFailurePercentage,
    ),
    enforcingFailurePercentageLocalOrigin: node.number(
      'enforcing_failure_percentage_local_origin',
      defaults.enforcingFailurePercentageLocalOrigin,
    ),
    failurePercentageMinimumHosts: node.number(
      'failure_percentage_minimum_hosts',
      defaults.failurePercentageMinimumHosts,
    ),
    failurePercentageRequestVolume: node.number(
      'failure_percentage_request_volume',
      defaults.failurePercentageRequestVolume,
    ),
    maxEjectionTimeMs,
    maxEjectionTimeJitterMs: node.durationMs('max_ejection_time_jitter', 0),
    successfulActiveHealthCheckUnejectHost: node.boolean('successful_active_health_check_uneject_host', true),
    alwaysEjectOneHost: node.boolean('always_eject_one_host', false),
  };
}
