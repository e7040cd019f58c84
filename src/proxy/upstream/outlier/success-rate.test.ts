import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findSuccessRateOutliers,
  successRateEjectionThreshold,
  SuccessRateMonitor,
  type SuccessRateSettings,
} from './success-rate.js';

const settings: SuccessRateSettings = {
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1900,
  failurePercentageMinimumHosts: 5,
  failurePercentageRequestVolume: 50,
  failurePercentageThreshold: 85,
};

const samples = (rates: readonly number[], volume = 100) =>
  rates.map((successRate, item) => ({ item, successRate, volume }));

test("Envoy's worked example: {50,100,100,100,100} gives mean 90, stdev 20, threshold 52", () => {
  assert.deepEqual(successRateEjectionThreshold([50, 100, 100, 100, 100], 1.9), {
    average: 90,
    ejectionThreshold: 52,
  });
});

test('the threshold uses the population standard deviation', () => {
  // {0, 100}: population stdev 50 (the sample stdev would be 70.7).
  assert.deepEqual(successRateEjectionThreshold([0, 100], 1), { average: 50, ejectionThreshold: 0 });
});

test('the success-rate detector ejects hosts strictly below the threshold', () => {
  const verdict = findSuccessRateOutliers(samples([50, 100, 100, 100, 100]), settings);
  assert.deepEqual(verdict.numbers, { average: 90, ejectionThreshold: 52 });
  assert.deepEqual(verdict.successRateOutliers, [0]);
  // {0, 100} with factor 1.0: mean 50, stdev 50, threshold exactly 0, and 0 is not below 0.
  const atThreshold = findSuccessRateOutliers(samples([0, 100]), {
    ...settings,
    successRateMinimumHosts: 2,
    successRateStdevFactor: 1000,
  });
  assert.deepEqual(atThreshold.numbers, { average: 50, ejectionThreshold: 0 });
  assert.deepEqual(atThreshold.successRateOutliers, []);
  const none = findSuccessRateOutliers(samples([100, 100, 100, 100, 100]), settings);
  assert.deepEqual(none.numbers, { average: 100, ejectionThreshold: 100 });
  assert.deepEqual(none.successRateOutliers, [], '100 is not below 100');
});

test('each detector needs its minimum number of hosts among those with enough volume', () => {
  const cases: Array<{
    name: string;
    rates: number[];
    volumes: number[];
    sr: number[];
    fp: number[];
    ran: boolean;
  }> = [
    {
      name: 'five hosts with volume 100: both run',
      rates: [10, 100, 100, 100, 100],
      volumes: [100, 100, 100, 100, 100],
      sr: [0],
      fp: [0],
      ran: true,
    },
    {
      name: 'one host under the SR volume: SR does not run, FP still does',
      rates: [10, 100, 100, 100, 100],
      volumes: [100, 100, 100, 100, 99],
      sr: [],
      fp: [0],
      ran: false,
    },
    {
      name: 'one host under the FP volume too: neither runs',
      rates: [10, 100, 100, 100, 100],
      volumes: [100, 100, 100, 100, 49],
      sr: [],
      fp: [],
      ran: false,
    },
  ];
  for (const c of cases) {
    const input = c.rates.map((successRate, item) => ({ item, successRate, volume: c.volumes[item] ?? 0 }));
    const verdict = findSuccessRateOutliers(input, settings);
    assert.deepEqual(verdict.successRateOutliers, c.sr, c.name);
    assert.deepEqual(verdict.failurePercentageOutliers, c.fp, c.name);
    assert.equal(verdict.numbers.average !== -1, c.ran, c.name);
  }
});

test('failure percentage ejects at exactly the threshold (>=), not below it', () => {
  const verdict = findSuccessRateOutliers(samples([15, 16, 100, 100, 100], 50), settings);
  assert.deepEqual(verdict.failurePercentageOutliers, [0], '85 % failures ejects, 84 % does not');
  assert.deepEqual(verdict.successRateOutliers, [], 'volume 50 is below the SR volume');
});

test('minimum hosts of 0 still needs at least one host with volume', () => {
  const verdict = findSuccessRateOutliers([], {
    ...settings,
    successRateMinimumHosts: 0,
    failurePercentageMinimumHosts: 0,
  });
  assert.deepEqual(verdict.numbers, { average: -1, ejectionThreshold: -1 });
});

test('the monitor reports the last interval only, after a swap', () => {
  const monitor = new SuccessRateMonitor();
  monitor.recordSuccess();
  monitor.recordFailure();
  assert.equal(monitor.lastInterval(), undefined, 'nothing until the first swap');
  monitor.swapBuckets();
  assert.deepEqual(monitor.lastInterval(), { successRate: 50, volume: 2 });
  monitor.recordSuccess();
  monitor.swapBuckets();
  assert.deepEqual(monitor.lastInterval(), { successRate: 100, volume: 1 });
  monitor.swapBuckets();
  assert.equal(monitor.lastInterval(), undefined, 'an idle interval has no rate');
});
