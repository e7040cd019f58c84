import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutlierDetectionConfig } from '../../config/cluster-config.js';
import { DetectorHarness } from './detector-harness.js';

/**
 * Sends `total` requests to host `index`, `failures` of them 500s, spread out so the consecutive
 * detectors are not what fires (the tests that need long failure runs disable them).
 */
function load(h: DetectorHarness, index: number, total: number, failures: number): void {
  let failed = 0;
  for (let i = 0; i < total; i++) {
    // Bresenham-style spreading: fail when the running share falls behind.
    const shouldFail = failed * total < failures * (i + 1);
    h.send(index, shouldFail ? 500 : 200);
    if (shouldFail) failed++;
  }
}

function harness(config: Partial<OutlierDetectionConfig>, hosts = 5): DetectorHarness {
  return new DetectorHarness({ hosts, config: { maxEjectionPercent: 100, ...config } });
}

test('the §1.7 example: {50,100,100,100,100} ejects the host at 50 on the tick (enforcing 100)', () => {
  const h = harness({ enforcingSuccessRate: 100 });
  load(h, 0, 100, 50);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  assert.deepEqual(h.ejected(), [], 'success rate only acts on interval ticks');
  h.at(10);
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.detector.successRateAverage('external'), 90);
  assert.equal(h.detector.successRateEjectionThreshold('external'), 52);
  assert.equal(h.host(0).outlier?.successRate('external'), 50);
  assert.equal(h.host(1).outlier?.successRate('external'), 100);
  assert.equal(h.detector.ejectionState(h.host(0))?.ejectionType, 'SUCCESS_RATE');
  const expected: Record<string, number> = {
    ejections_detected_success_rate: 1,
    ejections_enforced_success_rate: 1,
    ejections_success_rate: 1,
    ejections_total: 1,
    ejections_enforced_total: 1,
    ejections_active: 1,
    ejections_detected_failure_percentage: 0,
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(h.stat(name), value, name);
  assert.deepEqual(h.sink.lines(), [
    '{"type":"SUCCESS_RATE","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"EJECT","num_ejections":1,' +
      '"enforced":true,"eject_success_rate_event":{"host_success_rate":50,"cluster_average_success_rate":90,' +
      '"cluster_success_rate_ejection_threshold":52},"timestamp":"2026-01-01T00:00:10Z"}',
  ]);
});

test('with enforcing_success_rate 0 (Istio) only the detection counters move', () => {
  const h = harness({ enforcingSuccessRate: 0 });
  load(h, 0, 100, 50);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  assert.deepEqual(h.ejected(), []);
  const expected: Record<string, number> = {
    ejections_detected_success_rate: 1,
    ejections_success_rate: 1,
    ejections_total: 1,
    ejections_enforced_success_rate: 0,
    ejections_enforced_total: 0,
    ejections_active: 0,
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(h.stat(name), value, name);
  assert.deepEqual(h.sink.summary(), ['EJECT SUCCESS_RATE 10.0.0.1:80 detected']);
});

test('with Istio settings and 5 hosts the 10 % cap turns the detection into an overflow', () => {
  const h = harness({ enforcingSuccessRate: 0, maxEjectionPercent: 10 });
  load(h, 0, 100, 50);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  assert.equal(h.stat('ejections_detected_success_rate'), 1);
  assert.equal(h.stat('ejections_success_rate'), 1);
  assert.equal(h.stat('ejections_overflow'), 1);
  assert.equal(h.stat('ejections_total'), 0);
  assert.deepEqual(h.sink.events, []);
});

test('shown success rates come from the last interval and reset to -1 when a tick has no data', () => {
  const h = harness({ enforcingSuccessRate: 0 });
  load(h, 0, 60, 6); // volume 60: under the SR volume (100) but over min(100, 50), so it is shown
  load(h, 1, 10, 0); // volume 10: not shown
  h.at(10);
  assert.equal(h.host(0).outlier?.successRate('external'), 90);
  assert.equal(h.host(1).outlier?.successRate('external'), -1);
  assert.equal(h.detector.successRateAverage('external'), -1, 'too few hosts with SR volume');
  h.at(20);
  assert.equal(h.host(0).outlier?.successRate('external'), -1);
});

test('nothing is evaluated when the cluster has fewer hosts than both minimums', () => {
  const h = harness(
    {
      enforcingSuccessRate: 100,
      enforcingFailurePercentage: 100,
      consecutive5xx: 0,
      consecutiveGatewayFailure: 0,
    },
    4,
  );
  load(h, 0, 100, 95);
  for (const i of [1, 2, 3]) load(h, i, 100, 0);
  h.at(10);
  assert.deepEqual(h.ejected(), []);
  assert.equal(h.host(0).outlier?.successRate('external'), -1, 'not even the shown rate is refreshed');
});

test('failure percentage ejects at exactly the threshold when enabled', () => {
  const h = harness({ enforcingFailurePercentage: 100, consecutive5xx: 0, consecutiveGatewayFailure: 0 });
  load(h, 0, 100, 85);
  load(h, 1, 100, 84);
  for (const i of [2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  // The success-rate detector also runs (mean 66.2, threshold below 0): neither host is below its threshold.
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.stat('ejections_detected_failure_percentage'), 1);
  assert.equal(h.stat('ejections_enforced_failure_percentage'), 1);
  assert.equal(h.stat('ejections_total'), 0);
  assert.deepEqual(h.sink.lines(), [
    '{"type":"FAILURE_PERCENTAGE","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"EJECT",' +
      '"num_ejections":1,"enforced":true,"eject_failure_percentage_event":{"host_success_rate":15},' +
      '"timestamp":"2026-01-01T00:00:10Z"}',
  ]);
});

test('failure percentage counts its minimum hosts among hosts with enough volume', () => {
  const h = harness({ enforcingFailurePercentage: 100, consecutive5xx: 0, consecutiveGatewayFailure: 0 });
  load(h, 0, 100, 100);
  for (const i of [1, 2, 3]) load(h, i, 100, 0);
  load(h, 4, 49, 0); // under failure_percentage_request_volume (50): 4 qualifying hosts < 5
  h.at(10);
  assert.deepEqual(h.ejected(), []);
  assert.equal(h.stat('ejections_detected_failure_percentage'), 0);
});

test('Envoy defaults detect a failure-percentage outlier without enforcing it', () => {
  const h = harness({ consecutive5xx: 0, consecutiveGatewayFailure: 0, enforcingSuccessRate: 0 });
  load(h, 0, 100, 90);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  assert.deepEqual(h.ejected(), []);
  assert.equal(h.stat('ejections_detected_failure_percentage'), 1);
  assert.equal(h.stat('ejections_detected_success_rate'), 1);
  assert.deepEqual(h.sink.summary(), [
    'EJECT SUCCESS_RATE 10.0.0.1:80 detected',
    'EJECT FAILURE_PERCENTAGE 10.0.0.1:80 detected',
  ]);
});

test('a host ejected by success rate is not ejected a second time by failure percentage in the same tick', () => {
  const h = harness({
    enforcingSuccessRate: 100,
    enforcingFailurePercentage: 100,
    consecutive5xx: 0,
    consecutiveGatewayFailure: 0,
  });
  load(h, 0, 100, 100);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.stat('ejections_active'), 1);
  assert.equal(h.stat('ejections_enforced_total'), 1);
  assert.equal(h.stat('ejections_detected_failure_percentage'), 1);
  assert.equal(h.detector.ejectionState(h.host(0))?.numEjections, 1);
  assert.deepEqual(h.sink.summary(), [
    'EJECT SUCCESS_RATE 10.0.0.1:80 enforced',
    'EJECT FAILURE_PERCENTAGE 10.0.0.1:80 detected',
  ]);
  h.at(40);
  assert.equal(h.stat('ejections_active'), 0);
});

test('in split mode connection failures drive the local-origin success rate', () => {
  const h = harness({ splitExternalLocalOriginErrors: true });
  for (let i = 0; i < 50; i++) {
    h.result(0, 'LocalOriginConnectFailed');
    h.result(0, 'LocalOriginConnectSuccess');
  }
  for (const i of [1, 2, 3, 4]) h.result(i, 'LocalOriginConnectSuccess', 100);
  h.at(10);
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.detector.ejectionState(h.host(0))?.ejectionType, 'SUCCESS_RATE_LOCAL_ORIGIN');
  assert.equal(h.host(0).outlier?.successRate('local'), 50);
  assert.equal(h.host(0).outlier?.successRate('external'), -1);
  assert.equal(h.detector.successRateAverage('local'), 90);
  assert.equal(h.detector.successRateAverage('external'), -1);
  assert.equal(h.stat('ejections_detected_local_origin_success_rate'), 1);
  assert.equal(h.stat('ejections_enforced_local_origin_success_rate'), 1);
  assert.equal(h.stat('ejections_success_rate'), 1, 'the deprecated counter counts both origins');
  assert.equal(h.stat('ejections_total'), 0, 'but ejections_total only counts external success rate');
  assert.equal(h.sink.events[0]?.type, 'SUCCESS_RATE_LOCAL_ORIGIN');
  assert.deepEqual(h.sink.events[0]?.eject_success_rate_event, {
    host_success_rate: 50,
    cluster_average_success_rate: 90,
    cluster_success_rate_ejection_threshold: 52,
  });
});

test('a success-rate ejection comes back after base_ejection_time like any other', () => {
  const h = harness({ enforcingSuccessRate: 100 });
  load(h, 0, 100, 50);
  for (const i of [1, 2, 3, 4]) load(h, i, 100, 0);
  h.at(10);
  assert.equal(h.detector.ejectionState(h.host(0))?.expectedUnejectionMs, 40_000);
  h.at(39.999);
  assert.equal(h.isEjected(0), true);
  h.at(40);
  assert.equal(h.isEjected(0), false);
  assert.equal(h.sink.events[1]?.secs_since_last_action, '30');
});
