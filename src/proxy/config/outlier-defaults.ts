/**
 * Envoy's outlier detection defaults (`DetectorConfig::DEFAULT_*` in envoyproxy/envoy
 * `source/common/upstream/outlier_detection_impl.h` and the proto comments of
 * `api/envoy/config/cluster/v3/outlier_detection.proto`; spec §1.1): what an empty
 * `outlier_detection: {}` resolves to.
 */
import type { OutlierDetectionConfig } from './cluster-config.js';

/** The default ceiling on an ejection when `max_ejection_time` is unset (it becomes `max(this, base)`). */
export const defaultMaxEjectionTimeMs = 300_000;

export const envoyOutlierDetectionDefaults: OutlierDetectionConfig = Object.freeze({
  consecutive5xx: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  enforcingConsecutive5xx: 100,
  enforcingSuccessRate: 100,
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1900,
  consecutiveGatewayFailure: 5,
  enforcingConsecutiveGatewayFailure: 0,
  splitExternalLocalOriginErrors: false,
  consecutiveLocalOriginFailure: 5,
  enforcingConsecutiveLocalOriginFailure: 100,
  enforcingLocalOriginSuccessRate: 100,
  failurePercentageThreshold: 85,
  enforcingFailurePercentage: 0,
  enforcingFailurePercentageLocalOrigin: 0,
  failurePercentageMinimumHosts: 5,
  failurePercentageRequestVolume: 50,
  maxEjectionTimeMs: defaultMaxEjectionTimeMs,
  maxEjectionTimeJitterMs: 0,
  successfulActiveHealthCheckUnejectHost: true,
  alwaysEjectOneHost: false,
});
