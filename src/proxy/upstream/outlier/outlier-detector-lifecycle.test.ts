import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../core/random.js';
import { HealthFlag } from '../host.js';
import { DetectorHarness } from './detector-harness.js';
import { OutlierHostMonitor } from './host-monitor.js';
import { envoyOutlierDetectionDefaults } from '../../config/outlier-defaults.js';
import { OutlierDetector } from './outlier-detector.js';

test('setHosts keeps persisting hosts, monitors new ones and forgets removed ones', () => {
  const h = new DetectorHarness({ hosts: 4, config: { maxEjectionPercent: 100 } });
  const [h0, h1, h2, h3] = [h.host(0), h.host(1), h.host(2), h.host(3)];
  h.send(0, 500, 5);
  h.send(1, 500, 5);
  h.send(2, 500, 4);
  assert.equal(h.stat('ejections_active'), 2);
  const h0Monitor = h0.outlier as OutlierHostMonitor;
  const added = h.makeHost(9);
  h.detector.setHosts([h1, h2, h3, added]);
  assert.equal(h.stat('ejections_active'), 1, 'the removed ejected host leaves ejections_active');
  assert.equal(h.detector.hostsCount(), 4);
  assert.equal(h.detector.ejectionState(h0), undefined);
  assert.ok(added.outlier instanceof OutlierHostMonitor);
  h.send(2, 500);
  assert.equal(h.isEjected(2), true, 'a persisting host keeps its counters');
  const detected = h.stat('ejections_detected_consecutive_5xx');
  h0Monitor.putHttpResponseCode(200);
  for (let i = 0; i < 5; i++) h0Monitor.putHttpResponseCode(500);
  assert.equal(
    h.stat('ejections_detected_consecutive_5xx'),
    detected,
    'reports from a removed host are ignored',
  );
  // Re-adding the same Host object starts it fresh, as Envoy's re-added hosts are new objects.
  h.detector.setHosts([h0, h1, h2, h3, added]);
  assert.equal(h0.hasHealthFlag(HealthFlag.failedOutlierCheck), false);
  assert.notEqual(h0.outlier, h0Monitor);
  assert.equal(h.detector.ejectionState(h0)?.numEjections, 0);
  assert.equal(h.stat('ejections_active'), 2);
});

test('the interval timer is armed at creation and re-armed after each sweep', () => {
  const h = new DetectorHarness({ hosts: 0 });
  assert.equal(h.clock.pendingCount(), 1);
  h.at(35);
  assert.equal(h.clock.pendingCount(), 1);
  h.detector.close();
  h.detector.close();
  assert.equal(h.clock.pendingCount(), 0);
});

test('updateConfig keeps host state and re-arms the timer only when the interval changes', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100, baseEjectionTimeMs: 2000 } });
  h.at(1).send(0, 500, 5);
  h.at(3);
  h.detector.updateConfig({ ...h.detector.config, consecutive5xx: 3 });
  assert.equal(h.detector.ejectionState(h.host(0))?.expectedUnejectionMs, 10_000, 'same interval, same tick');
  h.detector.updateConfig({ ...h.detector.config, intervalMs: 5000 });
  assert.equal(h.clock.pendingCount(), 1, 'the old timer is cancelled');
  h.at(7.999);
  assert.equal(h.isEjected(0), true);
  h.at(8);
  assert.equal(h.isEjected(0), false, 'the new interval counts from the update');
  assert.equal(h.detector.ejectionState(h.host(0))?.numEjections, 1);
  h.send(1, 500, 3);
  assert.equal(h.isEjected(1), true, 'the new threshold applies');
});

test('close cancels the timer, releases ejected hosts and ignores later reports', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100 } });
  h.send(0, 500, 5);
  const monitor = h.host(1).outlier as OutlierHostMonitor;
  h.detector.close();
  assert.equal(h.stat('ejections_active'), 0);
  assert.equal(h.host(0).hasHealthFlag(HealthFlag.failedOutlierCheck), false);
  assert.equal(h.host(0).outlier, undefined);
  assert.equal(h.clock.pendingCount(), 0);
  for (let i = 0; i < 5; i++) monitor.putHttpResponseCode(500);
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 1);
  assert.equal(h.detector.hostsCount(), 0);
});

test('rejects max_ejection_time below base_ejection_time, as Envoy does', () => {
  const h = new DetectorHarness({ hosts: 0 });
  const config = { ...envoyOutlierDetectionDefaults, baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 3000 };
  assert.throws(
    () =>
      new OutlierDetector('c1', config, { clock: h.clock, random: new SeededRandom(1), stats: h.store.root }),
    { message: "outlier detector's max_ejection_time cannot be smaller than base_ejection_time" },
  );
  assert.throws(() => h.detector.updateConfig(config), RangeError);
});

test('change callbacks run for enforced ejections and un-ejections only, and can be removed', () => {
  const h = new DetectorHarness({
    hosts: 2,
    config: { maxEjectionPercent: 100, enforcingConsecutiveGatewayFailure: 0 },
  });
  const seen: boolean[] = [];
  const remove = h.detector.onChange((host) => seen.push(host.hasHealthFlag(HealthFlag.failedOutlierCheck)));
  h.send(0, 503, 5);
  assert.deepEqual(
    seen,
    [true],
    'the gateway detection was not enforced; the flag is set before callbacks run',
  );
  h.at(40);
  assert.deepEqual(seen, [true, false]);
  remove();
  h.send(0, 500, 5);
  assert.deepEqual(seen, [true, false]);
  assert.equal(h.changes.length, 3);
});

test('a healthy active health check un-ejects at once unless active checking failed', () => {
  const cases: Array<{
    name: string;
    isHealthy: boolean;
    failedActiveHc: boolean;
    flag: boolean;
    back: boolean;
  }> = [
    { name: 'healthy result un-ejects', isHealthy: true, failedActiveHc: false, flag: true, back: true },
    {
      name: 'unhealthy result does nothing',
      isHealthy: false,
      failedActiveHc: false,
      flag: true,
      back: false,
    },
    {
      name: 'host failing active HC stays out',
      isHealthy: true,
      failedActiveHc: true,
      flag: true,
      back: false,
    },
    { name: 'disabled by config', isHealthy: true, failedActiveHc: false, flag: false, back: false },
  ];
  for (const c of cases) {
    const h = new DetectorHarness({
      hosts: 2,
      config: { maxEjectionPercent: 100, successfulActiveHealthCheckUnejectHost: c.flag },
    });
    h.at(1).send(0, 500, 5);
    if (c.failedActiveHc) h.host(0).setHealthFlag(HealthFlag.failedActiveHc);
    h.detector.onHealthCheckResult(h.host(0), c.isHealthy);
    assert.equal(h.isEjected(0), !c.back, c.name);
    assert.equal(h.stat('ejections_active'), c.back ? 0 : 1, c.name);
  }
});
