import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownLocality } from '../../../core/locality.js';
import type { OutlierDetectionConfig } from '../../config/cluster-config.js';
import { HealthFlag, Host, type OutlierResult } from '../host.js';
import { OutlierHostMonitor, type HostMonitorOwner } from './host-monitor.js';
import { envoyOutlierDetectionDefaults } from '../../config/outlier-defaults.js';
import type { ConsecutiveErrorType } from './outlier-event.js';

/** An owner that records the events a monitor raises, without ejecting anything. */
class RecordingOwner implements HostMonitorOwner {
  readonly raised: ConsecutiveErrorType[] = [];
  config: OutlierDetectionConfig;
  constructor(overrides: Partial<OutlierDetectionConfig> = {}) {
    this.config = { ...envoyOutlierDetectionDefaults, ...overrides };
  }
  onConsecutiveError(_monitor: OutlierHostMonitor, type: ConsecutiveErrorType): void {
    this.raised.push(type);
  }
}

function makeMonitor(overrides: Partial<OutlierDetectionConfig> = {}): {
  monitor: OutlierHostMonitor;
  owner: RecordingOwner;
} {
  const owner = new RecordingOwner(overrides);
  const host = new Host({ clusterName: 'c1', address: '10.0.0.1', port: 80, locality: unknownLocality });
  return { monitor: new OutlierHostMonitor(host, owner), owner };
}

type Report = number | OutlierResult | [OutlierResult, number];

function report(monitor: OutlierHostMonitor, reports: readonly Report[]): void {
  for (const r of reports) {
    if (typeof r === 'number') monitor.putHttpResponseCode(r);
    else if (typeof r === 'string') monitor.putResult(r);
    else monitor.putResult(r[0], r[1]);
  }
}

const times = <T>(n: number, value: T): T[] => new Array<T>(n).fill(value);

test('classifies HTTP codes into the 5xx and gateway counters (thresholds 5/5)', () => {
  const cases: Array<{
    name: string;
    reports: Report[];
    c5xx: number;
    gw: number;
    raised: ConsecutiveErrorType[];
  }> = [
    { name: 'four 503s count for both', reports: times(4, 503), c5xx: 4, gw: 4, raised: [] },
    {
      name: 'the fifth 503 raises the gateway event first, then the 5xx event',
      reports: times(5, 503),
      c5xx: 5,
      gw: 5,
      raised: ['CONSECUTIVE_GATEWAY_FAILURE', 'CONSECUTIVE_5XX'],
    },
    {
      name: 'a 500 resets the gateway counter but counts for 5xx',
      reports: [503, 503, 500],
      c5xx: 3,
      gw: 0,
      raised: [],
    },
    {
      name: '501 and 505 also reset the gateway counter',
      reports: [502, 501, 504, 505],
      c5xx: 4,
      gw: 0,
      raised: [],
    },
    { name: 'a 200 resets both', reports: [503, 503, 200], c5xx: 0, gw: 0, raised: [] },
    { name: 'a 404 is a success', reports: [503, 404, 503], c5xx: 1, gw: 1, raised: [] },
    { name: '599 is a 5xx but not a gateway error', reports: [503, 599], c5xx: 2, gw: 0, raised: [] },
    { name: '499 and 600 are successes', reports: [503, 499, 503, 600], c5xx: 0, gw: 0, raised: [] },
    {
      name: 'five 500s raise only the 5xx event',
      reports: times(5, 500),
      c5xx: 5,
      gw: 0,
      raised: ['CONSECUTIVE_5XX'],
    },
  ];
  for (const c of cases) {
    const { monitor, owner } = makeMonitor();
    report(monitor, c.reports);
    const counts = monitor.consecutiveCounts();
    assert.equal(counts.consecutive5xx, c.c5xx, c.name);
    assert.equal(counts.gatewayFailure, c.gw, c.name);
    assert.deepEqual(owner.raised, c.raised, c.name);
  }
});

test('the trigger is equality: a counter past its threshold does not fire again until reset', () => {
  const { monitor, owner } = makeMonitor({ consecutive5xx: 3, consecutiveGatewayFailure: 100 });
  report(monitor, times(7, 500));
  assert.deepEqual(owner.raised, ['CONSECUTIVE_5XX'], 'only the 3rd error fires; the owner did not reset');
  assert.equal(monitor.consecutiveCounts().consecutive5xx, 7);
  monitor.resetConsecutive('CONSECUTIVE_5XX');
  report(monitor, times(3, 500));
  assert.deepEqual(owner.raised, ['CONSECUTIVE_5XX', 'CONSECUTIVE_5XX']);
});

test('lowering the threshold below a running counter never fires until the counter resets', () => {
  const { monitor, owner } = makeMonitor({ consecutive5xx: 5, consecutiveGatewayFailure: 100 });
  report(monitor, times(4, 500));
  owner.config = { ...owner.config, consecutive5xx: 3 };
  report(monitor, times(10, 500));
  assert.deepEqual(owner.raised, []);
  report(monitor, [200, 500, 500, 500]);
  assert.deepEqual(owner.raised, ['CONSECUTIVE_5XX']);
});

test('consecutive_5xx of 0 never fires', () => {
  const { monitor, owner } = makeMonitor({ consecutive5xx: 0, consecutiveGatewayFailure: 0 });
  report(monitor, times(20, 503));
  assert.deepEqual(owner.raised, []);
});

test('non-split mode maps results to HTTP codes', () => {
  const cases: Array<{
    name: string;
    reports: Report[];
    c5xx: number;
    gw: number;
    total: number;
    success: number;
  }> = [
    {
      name: 'a connect failure counts as 503 for both counters',
      reports: ['LocalOriginConnectFailed'],
      c5xx: 1,
      gw: 1,
      total: 1,
      success: 0,
    },
    {
      name: 'a timeout with code 504 counts for both counters',
      reports: [['LocalOriginTimeout', 504]],
      c5xx: 1,
      gw: 1,
      total: 1,
      success: 0,
    },
    {
      name: 'a timeout without a code is 504',
      reports: ['LocalOriginTimeout'],
      c5xx: 1,
      gw: 1,
      total: 1,
      success: 0,
    },
    {
      name: 'a timeout answered with 204 is a success',
      reports: ['LocalOriginConnectFailed', ['LocalOriginTimeout', 204]],
      c5xx: 0,
      gw: 0,
      total: 2,
      success: 1,
    },
    {
      name: 'a connect success is ignored',
      reports: ['LocalOriginConnectFailed', 'LocalOriginConnectSuccess'],
      c5xx: 1,
      gw: 1,
      total: 1,
      success: 0,
    },
    {
      name: 'a final connect success is a 200',
      reports: ['LocalOriginConnectFailed', 'LocalOriginConnectSuccessFinal'],
      c5xx: 0,
      gw: 0,
      total: 2,
      success: 1,
    },
    {
      name: 'an external-origin failure is a 500 (resets the gateway counter)',
      reports: ['LocalOriginConnectFailed', 'ExtOriginRequestFailed'],
      c5xx: 2,
      gw: 0,
      total: 2,
      success: 0,
    },
  ];
  for (const c of cases) {
    const { monitor } = makeMonitor();
    report(monitor, c.reports);
    const counts = monitor.consecutiveCounts();
    assert.equal(counts.consecutive5xx, c.c5xx, c.name);
    assert.equal(counts.gatewayFailure, c.gw, c.name);
    assert.equal(counts.localOriginFailure, 0, c.name);
    const external = monitor.successRateMonitor('external');
    external.swapBuckets();
    assert.deepEqual(
      external.lastInterval(),
      { successRate: (c.success * 100) / c.total, volume: c.total },
      `${c.name}: success-rate bucket`,
    );
    const local = monitor.successRateMonitor('local');
    local.swapBuckets();
    assert.equal(local.lastInterval(), undefined, `${c.name}: local origin unused`);
  }
});

test('split mode feeds connection results only to the local-origin counter and 5xx only to external', () => {
  const { monitor, owner } = makeMonitor({
    splitExternalLocalOriginErrors: true,
    consecutiveLocalOriginFailure: 3,
  });
  report(monitor, ['LocalOriginConnectFailed', ['LocalOriginTimeout', 504]]);
  assert.deepEqual(monitor.consecutiveCounts(), {
    consecutive5xx: 0,
    gatewayFailure: 0,
    localOriginFailure: 2,
  });
  report(monitor, [503, 503]);
  assert.deepEqual(monitor.consecutiveCounts(), {
    consecutive5xx: 2,
    gatewayFailure: 2,
    localOriginFailure: 2,
  });
  report(monitor, ['LocalOriginConnectFailed']);
  assert.deepEqual(owner.raised, ['CONSECUTIVE_LOCAL_ORIGIN_FAILURE']);
  report(monitor, ['LocalOriginConnectSuccess']);
  assert.equal(
    monitor.consecutiveCounts().localOriginFailure,
    0,
    'a connect success resets the local counter',
  );
  assert.equal(monitor.consecutiveCounts().consecutive5xx, 2, 'and leaves the external counters alone');
  report(monitor, ['ExtOriginRequestFailed']);
  assert.deepEqual(monitor.consecutiveCounts(), {
    consecutive5xx: 3,
    gatewayFailure: 3,
    localOriginFailure: 0,
  });
  report(monitor, ['ExtOriginRequestSuccess']);
  assert.deepEqual(monitor.consecutiveCounts(), {
    consecutive5xx: 0,
    gatewayFailure: 0,
    localOriginFailure: 0,
  });

  const local = monitor.successRateMonitor('local');
  local.swapBuckets();
  // failed, timeout, failed, success, success (ExtOriginRequestSuccess also counts as a local success)
  assert.deepEqual(local.lastInterval(), { successRate: 40, volume: 5 });
  const external = monitor.successRateMonitor('external');
  external.swapBuckets();
  // 503, 503, 503 (ExtOriginRequestFailed), 200 (ExtOriginRequestSuccess)
  assert.deepEqual(external.lastInterval(), { successRate: 25, volume: 4 });
});

test('markEjected grows the backoff until base * backoff reaches max + base', () => {
  const { monitor } = makeMonitor({ baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 30_000 });
  const seen: Array<[number, number]> = [];
  for (let i = 0; i < 6; i++) {
    monitor.markEjected(i * 1000, 'CONSECUTIVE_5XX', 0);
    seen.push([monitor.backoff, monitor.ejectionDurationMs()]);
    monitor.markUnejected(i * 1000 + 500);
  }
  assert.deepEqual(seen, [
    [1, 10_000],
    [2, 20_000],
    [3, 30_000],
    [4, 30_000],
    [4, 30_000],
    [4, 30_000],
  ]);
  assert.equal(monitor.numEjections, 6);
});

test('markEjected sets the outlier flag and markUnejected clears it with every counter', () => {
  const { monitor } = makeMonitor({ splitExternalLocalOriginErrors: true });
  report(monitor, [503, 503, 'LocalOriginConnectFailed']);
  monitor.markEjected(1000, 'CONSECUTIVE_5XX', 7);
  assert.equal(monitor.host.hasHealthFlag(HealthFlag.failedOutlierCheck), true);
  assert.equal(monitor.isEjected, true);
  assert.equal(monitor.lastEjectionTimeMs, 1000);
  assert.equal(monitor.jitterMs, 7);
  monitor.markUnejected(2000);
  assert.equal(monitor.isEjected, false);
  assert.equal(monitor.lastUnejectionTimeMs, 2000);
  assert.deepEqual(monitor.consecutiveCounts(), {
    consecutive5xx: 0,
    gatewayFailure: 0,
    localOriginFailure: 0,
  });
});
