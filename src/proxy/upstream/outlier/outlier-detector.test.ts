import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../core/random.js';
import { Gauge } from '../../stats/stats-store.js';
import { HealthFlag } from '../host.js';
import { DetectorHarness, ScriptedRandom } from './detector-harness.js';
import type { OutlierHostMonitor } from './host-monitor.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('creates every outlier stat of Envoy at 0 under cluster.<name>.outlier_detection', () => {
  const h = new DetectorHarness({ hosts: 0 });
  const names = h.store
    .all()
    .map((s) => s.name.flat)
    .filter((n) => n.startsWith('cluster.c1.outlier_detection.'))
    .map((n) => n.slice('cluster.c1.outlier_detection.'.length));
  // ALL_OUTLIER_DETECTION_STATS in envoyproxy/envoy source/common/upstream/outlier_detection_impl.h
  const envoyNames = [
    'ejections_consecutive_5xx',
    'ejections_detected_consecutive_5xx',
    'ejections_detected_consecutive_gateway_failure',
    'ejections_detected_success_rate',
    'ejections_detected_failure_percentage',
    'ejections_enforced_consecutive_5xx',
    'ejections_enforced_consecutive_gateway_failure',
    'ejections_enforced_success_rate',
    'ejections_enforced_failure_percentage',
    'ejections_detected_consecutive_local_origin_failure',
    'ejections_enforced_consecutive_local_origin_failure',
    'ejections_detected_local_origin_success_rate',
    'ejections_enforced_local_origin_success_rate',
    'ejections_detected_local_origin_failure_percentage',
    'ejections_enforced_local_origin_failure_percentage',
    'ejections_enforced_total',
    'ejections_overflow',
    'ejections_success_rate',
    'ejections_total',
    'ejections_active',
  ];
  assert.deepEqual(names, [...envoyNames].sort());
  for (const name of envoyNames) assert.equal(h.stat(name), 0, name);
  assert.ok(h.store.find('cluster.c1.outlier_detection.ejections_active') instanceof Gauge);
  const tags = h.store.find('cluster.c1.outlier_detection.ejections_active')?.name;
  assert.equal(tags?.tagExtracted, 'cluster.outlier_detection.ejections_active');
});

test('with Envoy defaults the 5th consecutive 503 raises a gateway detection (not enforced), then the 5xx ejection', () => {
  const h = new DetectorHarness({ hosts: 10 }); // 10 hosts: one ejection fits in the default 10 %
  h.send(0, 503, 4);
  assert.deepEqual(h.sink.events, []);
  h.send(0, 503);
  assert.deepEqual(h.sink.summary(), [
    'EJECT CONSECUTIVE_GATEWAY_FAILURE 10.0.0.1:80 detected',
    'EJECT CONSECUTIVE_5XX 10.0.0.1:80 enforced',
  ]);
  assert.deepEqual(h.ejected(), [0]);
  const expected: Record<string, number> = {
    ejections_detected_consecutive_gateway_failure: 1,
    ejections_enforced_consecutive_gateway_failure: 0,
    ejections_detected_consecutive_5xx: 1,
    ejections_enforced_consecutive_5xx: 1,
    ejections_enforced_total: 1,
    ejections_total: 1,
    ejections_consecutive_5xx: 1,
    ejections_active: 1,
    ejections_overflow: 0,
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(h.stat(name), value, name);
  assert.deepEqual((h.host(0).outlier as OutlierHostMonitor).consecutiveCounts(), {
    consecutive5xx: 0,
    gatewayFailure: 0,
    localOriginFailure: 0,
  });
  assert.deepEqual(h.changes, [h.host(0)]);
  assert.equal(h.host(0).hasHealthFlag(HealthFlag.failedOutlierCheck), true);
  assert.equal(h.host(0).coarseHealth(), 'unhealthy');
});

test('max_ejection_percent is strict and counts every host of the cluster', () => {
  const cases: Array<{
    name: string;
    hosts: number;
    maxPct: number;
    alwaysOne?: boolean;
    priorities?: number[];
    failing: number[];
    ejected: number[];
    overflow: number;
  }> = [
    {
      name: '10 % of 6 hosts refuses even the first',
      hosts: 6,
      maxPct: 10,
      failing: [0],
      ejected: [],
      overflow: 1,
    },
    {
      name: '10 % of 10 hosts allows one',
      hosts: 10,
      maxPct: 10,
      failing: [0, 1],
      ejected: [0],
      overflow: 1,
    },
    {
      name: '100 % ejects every host',
      hosts: 6,
      maxPct: 100,
      failing: range(6),
      ejected: range(6),
      overflow: 0,
    },
    {
      name: 'always_eject_one_host lets the first through at 10 %',
      hosts: 6,
      maxPct: 10,
      alwaysOne: true,
      failing: [0, 1],
      ejected: [0],
      overflow: 1,
    },
    {
      name: '67 % of 3 hosts allows two (66.7 <= 67)',
      hosts: 3,
      maxPct: 67,
      failing: [0, 1, 2],
      ejected: [0, 1],
      overflow: 1,
    },
    {
      name: '66 % of 3 hosts allows one',
      hosts: 3,
      maxPct: 66,
      failing: [0, 1, 2],
      ejected: [0],
      overflow: 2,
    },
    { name: '50 % of 2 hosts allows one', hosts: 2, maxPct: 50, failing: [0, 1], ejected: [0], overflow: 1 },
    {
      name: 'all of priority 0 may go when the cluster-wide share allows it',
      hosts: 10,
      maxPct: 20,
      priorities: [0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
      failing: [0, 1],
      ejected: [0, 1],
      overflow: 0,
    },
    {
      name: 'hosts of lower priorities count in the denominator',
      hosts: 10,
      maxPct: 10,
      priorities: [0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
      failing: [0, 1],
      ejected: [0],
      overflow: 1,
    },
  ];
  for (const c of cases) {
    const h = new DetectorHarness({
      hosts: c.hosts,
      ...(c.priorities === undefined ? {} : { priorities: c.priorities }),
      config: { maxEjectionPercent: c.maxPct, alwaysEjectOneHost: c.alwaysOne ?? false },
    });
    for (const i of c.failing) h.send(i, 500, 5);
    assert.deepEqual(h.ejected(), c.ejected, c.name);
    assert.equal(h.stat('ejections_overflow'), c.overflow, c.name);
    assert.equal(h.stat('ejections_detected_consecutive_5xx'), c.failing.length, c.name);
    assert.equal(h.stat('ejections_active'), c.ejected.length, c.name);
    assert.equal(h.stat('ejections_enforced_total'), c.ejected.length, c.name);
    assert.equal(
      h.stat('ejections_total'),
      c.ejected.length,
      `${c.name}: overflow is not in ejections_total`,
    );
  }
});

test('the §1.5 timeline: ejected at t=2, still out at t=30, back at t=40, backoff 1 -> 0 at t=50', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100 } });
  h.at(2).send(0, 500, 5);
  const s = () => h.detector.ejectionState(h.host(0));
  assert.deepEqual(s(), {
    isEjected: true,
    ejectionType: 'CONSECUTIVE_5XX',
    lastEjectionMs: 2000,
    lastUnejectionMs: undefined,
    ejectionDurationMs: 30_000,
    remainingMs: 30_000,
    expectedUnejectionMs: 40_000,
    numEjections: 1,
    backoff: 1,
    jitterMs: 0,
  });
  h.at(30);
  assert.equal(s()?.isEjected, true);
  assert.equal(s()?.remainingMs, 2000);
  h.at(35);
  assert.equal(s()?.isEjected, true, 'due at 32 but only a tick un-ejects');
  assert.equal(s()?.remainingMs, 0);
  h.at(40);
  assert.equal(s()?.isEjected, false);
  assert.equal(s()?.lastUnejectionMs, 40_000);
  assert.equal(s()?.backoff, 1);
  assert.equal(h.stat('ejections_active'), 0);
  h.at(49.999);
  assert.equal(s()?.backoff, 1);
  h.at(50);
  assert.equal(s()?.backoff, 0, 'one full interval back lowers the backoff');
  assert.deepEqual(h.changes, [h.host(0), h.host(0)]);
});

test('the §1.5 timeline variant: failing again at t=45 doubles the ejection to 60 s, back at t=110', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100 } });
  h.at(2).send(0, 500, 5);
  h.at(45).send(0, 500, 5);
  const state = h.detector.ejectionState(h.host(0));
  assert.equal(state?.backoff, 2);
  assert.equal(state?.ejectionDurationMs, 60_000);
  assert.equal(state?.expectedUnejectionMs, 110_000);
  h.at(100);
  assert.equal(h.isEjected(0), true);
  h.at(110);
  assert.equal(h.isEjected(0), false);
  assert.equal(h.detector.ejectionState(h.host(0))?.numEjections, 2);
  // The event log of this run, as Envoy writes it.
  assert.deepEqual(h.sink.lines(), [
    '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"EJECT","num_ejections":1,' +
      '"enforced":true,"eject_consecutive_event":{},"timestamp":"2026-01-01T00:00:02Z"}',
    '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"UNEJECT","num_ejections":1,' +
      '"enforced":false,"timestamp":"2026-01-01T00:00:40Z","secs_since_last_action":"38"}',
    '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"EJECT","num_ejections":2,' +
      '"enforced":true,"eject_consecutive_event":{},"timestamp":"2026-01-01T00:00:45Z","secs_since_last_action":"5"}',
    '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"10.0.0.1:80","action":"UNEJECT","num_ejections":2,' +
      '"enforced":false,"timestamp":"2026-01-01T00:01:50Z","secs_since_last_action":"65"}',
  ]);
});

test('max_ejection_time caps the duration while the backoff stops one step past the cap', () => {
  const h = new DetectorHarness({
    hosts: 2,
    config: {
      maxEjectionPercent: 100,
      consecutive5xx: 1,
      baseEjectionTimeMs: 10_000,
      maxEjectionTimeMs: 30_000,
    },
  });
  const seen: Array<[number, number, number]> = [];
  for (let i = 0; i < 5; i++) {
    h.send(0, 500);
    const state = h.detector.ejectionState(h.host(0));
    for (let ticks = 0; h.isEjected(0) && ticks < 100; ticks++) h.clock.advance(10_000);
    seen.push([state?.backoff ?? -1, state?.ejectionDurationMs ?? -1, h.clock.monotonicMs() / 1000]);
  }
  // [backoff, duration, time it came back]: each re-ejection happens right after the un-ejection tick.
  assert.deepEqual(seen, [
    [1, 10_000, 10],
    [2, 20_000, 30],
    [3, 30_000, 60],
    [4, 30_000, 90],
    [4, 30_000, 120],
  ]);
});

test('jitter is random % (max_ejection_time_jitter + 1) and delays the un-ejection', () => {
  // Envoy's own vector (EjectionTimeJitterIsInRange): random 123456789 with a 10 s jitter gives 4445 ms.
  const random = new ScriptedRandom([123456789]);
  const h = new DetectorHarness({
    hosts: 2,
    random,
    config: { maxEjectionPercent: 100, maxEjectionTimeJitterMs: 10_000 },
  });
  h.at(9).send(0, 500, 5);
  assert.equal(random.draws, 1, 'enforcing 100 draws nothing; the jitter draws once');
  const state = h.detector.ejectionState(h.host(0));
  assert.equal(state?.jitterMs, 4445);
  assert.equal(state?.ejectionDurationMs, 34_445);
  h.at(40);
  assert.equal(h.isEjected(0), true, 'without jitter it would be back at t=40 (due at 39)');
  h.at(50);
  assert.equal(h.isEjected(0), false);
});

test('enforcement is random % 100 < enforcing percentage, and 0 and 100 draw no random number', () => {
  const cases: Array<{ pct: number; values: number[]; enforced: number[] }> = [
    { pct: 0, values: [], enforced: [] },
    { pct: 100, values: [0, 0, 0], enforced: [0, 1, 2] },
    // host 0: 49 < 50 then a jitter draw; host 1: 50 is not; host 2: 149 % 100 = 49, then its jitter.
    { pct: 50, values: [49, 7, 50, 149, 7], enforced: [0, 2] },
  ];
  for (const c of cases) {
    const random = new ScriptedRandom(c.values);
    const h = new DetectorHarness({
      hosts: 3,
      random,
      config: { maxEjectionPercent: 100, consecutive5xx: 1, enforcingConsecutive5xx: c.pct },
    });
    for (const i of range(3)) h.send(i, 500);
    assert.deepEqual(h.ejected(), c.enforced, `enforcing ${c.pct}`);
    assert.equal(random.draws, c.values.length, `enforcing ${c.pct}: draws`);
    assert.equal(h.stat('ejections_detected_consecutive_5xx'), 3);
    assert.equal(h.stat('ejections_enforced_consecutive_5xx'), c.enforced.length);
    assert.equal(
      h.sink.events.filter((e) => !e.enforced).length,
      3 - c.enforced.length,
      'detected-only events',
    );
  }
});

test('a seeded run of enforcement matches the draw-by-draw model', () => {
  for (const [pct, seed] of [
    [0, 1],
    [30, 7],
    [75, 11],
    [100, 3],
  ] as const) {
    const h = new DetectorHarness({
      hosts: 100,
      random: new SeededRandom(seed),
      config: { maxEjectionPercent: 100, consecutive5xx: 1, enforcingConsecutive5xx: pct },
    });
    for (const i of range(100)) h.send(i, 500);
    // Model: 0 and 100 draw nothing; otherwise one draw decides; each enforced ejection draws its jitter.
    const model = new SeededRandom(seed);
    let expected = 0;
    for (let i = 0; i < 100; i++) {
      const isEnforced = pct === 100 || (pct > 0 && model.nextU32() % 100 < pct);
      if (isEnforced) {
        expected++;
        model.nextU32();
      }
    }
    assert.equal(h.ejected().length, expected, `pct ${pct}`);
    if (pct === 0) assert.equal(expected, 0);
    if (pct === 100) assert.equal(expected, 100);
    if (pct === 30) assert.ok(expected > 15 && expected < 45, `about 30 of 100, got ${expected}`);
  }
});

test('a host already ejected raises no detection, and its counter runs past the threshold until un-ejected', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100, consecutive5xx: 3 } });
  h.send(0, 500, 3);
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 1);
  h.send(0, 500, 10);
  const monitor = h.host(0).outlier as OutlierHostMonitor;
  assert.equal(monitor.consecutiveCounts().consecutive5xx, 10, 'no reset for an ignored event');
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 1);
  assert.equal(h.sink.events.length, 1);
  h.at(30);
  assert.equal(h.isEjected(0), false);
  assert.equal(monitor.consecutiveCounts().consecutive5xx, 0, 'un-ejection resets the counters');
  h.send(0, 500, 3);
  assert.equal(h.isEjected(0), true);
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 2);
});

test('after an overflow the counter restarts, so the next run of errors is detected again', () => {
  const h = new DetectorHarness({ hosts: 6 });
  h.send(0, 500, 5);
  h.send(0, 500, 4);
  assert.equal(h.stat('ejections_overflow'), 1);
  h.send(0, 500);
  assert.equal(h.stat('ejections_overflow'), 2);
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 2);
  assert.equal(h.sink.events.length, 0, 'overflow writes no event');
});

test('split mode ejects on consecutive local-origin failures and keeps 5xx external', () => {
  const h = new DetectorHarness({
    hosts: 2,
    config: { maxEjectionPercent: 100, splitExternalLocalOriginErrors: true },
  });
  h.result(0, 'LocalOriginConnectFailed', 4);
  h.send(0, 503, 4);
  assert.deepEqual(h.ejected(), []);
  h.result(0, 'LocalOriginTimeout', 1, 504);
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.stat('ejections_detected_consecutive_local_origin_failure'), 1);
  assert.equal(h.stat('ejections_enforced_consecutive_local_origin_failure'), 1);
  assert.equal(h.stat('ejections_total'), 0, 'the deprecated total only counts 5xx and success rate');
  assert.equal(h.stat('ejections_detected_consecutive_5xx'), 0);
});

test('non-split mode counts connect failures as 503s toward consecutive 5xx', () => {
  const h = new DetectorHarness({ hosts: 2, config: { maxEjectionPercent: 100 } });
  h.result(0, 'LocalOriginConnectFailed', 3);
  h.result(0, 'LocalOriginConnectSuccess');
  h.result(0, 'LocalOriginTimeout', 2, 504);
  assert.deepEqual(h.ejected(), [0]);
  assert.equal(h.stat('ejections_detected_consecutive_gateway_failure'), 1);
  assert.equal(h.stat('ejections_enforced_consecutive_5xx'), 1);
  assert.equal(h.stat('ejections_detected_consecutive_local_origin_failure'), 0);
});
