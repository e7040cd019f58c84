import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutlierDetectionView } from './istio-api.js';
import { outlierDetectionResource, panicThresholdResource } from './outlier-detection.js';

// Spec §3.1 (istio/istio cluster_traffic_policy.go applyOutlierDetection), as tables of
// DestinationRule input -> Envoy outlier_detection and panic threshold (normalized proto JSON).
const cases: ReadonlyArray<{
  name: string;
  input: OutlierDetectionView;
  outlier: Record<string, unknown>;
  panic: Record<string, unknown>;
}> = [
  {
    name: 'an empty outlierDetection only disables success-rate enforcement; everything else is Envoy default',
    input: {},
    outlier: { enforcing_success_rate: 0 },
    panic: {},
  },
  {
    name: 'consecutive5xxErrors 3, interval 5s, baseEjectionTime 1m, maxEjectionPercent 100 (the spec example)',
    input: { consecutive5xxErrors: 3, interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 100 },
    outlier: {
      consecutive_5xx: 3,
      enforcing_consecutive_5xx: 100,
      enforcing_success_rate: 0,
      interval: '5s',
      base_ejection_time: '60s',
      max_ejection_percent: 100,
    },
    panic: {},
  },
  {
    name: 'maxEjectionPercent 0 is left out, so Envoy applies its 10 %',
    input: { maxEjectionPercent: 0 },
    outlier: { enforcing_success_rate: 0 },
    panic: {},
  },
  {
    name: 'consecutive5xxErrors 0 turns the detector off (enforcing 0)',
    input: { consecutive5xxErrors: 0 },
    outlier: { consecutive_5xx: 0, enforcing_consecutive_5xx: 0, enforcing_success_rate: 0 },
    panic: {},
  },
  {
    name: 'split mode without consecutiveLocalOriginFailures keeps Envoy defaults for the local-origin counter',
    input: { splitExternalLocalOriginErrors: true },
    outlier: {
      enforcing_success_rate: 0,
      split_external_local_origin_errors: true,
      enforcing_local_origin_success_rate: 0,
    },
    panic: {},
  },
  {
    name: 'split mode with consecutiveLocalOriginFailures enforces it at 100 %',
    input: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 },
    outlier: {
      enforcing_success_rate: 0,
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 2,
      enforcing_consecutive_local_origin_failure: 100,
      enforcing_local_origin_success_rate: 0,
    },
    panic: {},
  },
  {
    name: 'consecutiveLocalOriginFailures without split mode is ignored',
    input: { consecutiveLocalOriginFailures: 2 },
    outlier: { enforcing_success_rate: 0 },
    panic: {},
  },
  {
    name: 'minHealthPercent becomes the panic threshold',
    input: { minHealthPercent: 25 },
    outlier: { enforcing_success_rate: 0 },
    panic: { value: 25 },
  },
  {
    name: 'consecutiveGatewayErrors is enforced at 100 % when above 0',
    input: { consecutiveGatewayErrors: 4 },
    outlier: {
      consecutive_gateway_failure: 4,
      enforcing_consecutive_gateway_failure: 100,
      enforcing_success_rate: 0,
    },
    panic: {},
  },
  {
    name: 'consecutiveGatewayErrors 0 is written with enforcing 0',
    input: { consecutiveGatewayErrors: 0 },
    outlier: {
      consecutive_gateway_failure: 0,
      enforcing_consecutive_gateway_failure: 0,
      enforcing_success_rate: 0,
    },
    panic: {},
  },
  {
    name: 'the deprecated consecutiveErrors is ignored',
    input: { consecutiveErrors: 7 },
    outlier: { enforcing_success_rate: 0 },
    panic: {},
  },
];

for (const c of cases) {
  test(`outlierDetection: ${c.name}`, () => {
    assert.deepEqual(outlierDetectionResource(c.input), c.outlier);
    assert.deepEqual(panicThresholdResource(c.input, false), c.panic);
  });
}

test('the panic threshold is 0 when the service receives unhealthy endpoints, whatever minHealthPercent says', () => {
  assert.deepEqual(panicThresholdResource({ minHealthPercent: 40 }, true), {});
});
