import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeGroupSpec } from './fake-cluster.js';
import { makeCluster } from './fake-cluster.js';
import { LocalityWrr, effectiveLocalityWeight } from './locality-wrr.js';

/** Zone X with `healthyX` of `totalX` healthy at weight 1, zone Y with 4 healthy hosts at weight 2. */
function xy(totalX: number, healthyX: number): FakeGroupSpec[] {
  return [
    {
      priority: 0,
      zone: 'x',
      weight: 1,
      hosts: Array.from({ length: totalX }, (_, i) => ({ name: `x${i}`, ejected: i >= healthyX })),
    },
    { priority: 0, zone: 'y', weight: 2, hosts: ['y0', 'y1', 'y2', 'y3'] },
  ];
}

function shareOfX(groups: FakeGroupSpec[], picks: number, seed: number): number {
  const cluster = makeCluster(groups);
  const hostSet = cluster.prioritySet.hostSets[0];
  assert.ok(hostSet);
  const wrr = new LocalityWrr(hostSet, seed);
  let x = 0;
  for (let i = 0; i < picks; i++) {
    const index = wrr.chooseHealthyLocality();
    assert.notEqual(index, undefined);
    if (index !== undefined && hostSet.localities[index]?.locality.zone === 'x') x++;
  }
  return (100 * x) / picks;
}

test('effective locality weight = weight * min(1, OPF * eligible / (hosts - excluded))', () => {
  const cases: Array<[string, FakeGroupSpec, 'healthy' | 'degraded', number]> = [
    ['fully healthy', { priority: 0, zone: 'a', weight: 2, hosts: ['a', 'b'] }, 'healthy', 2],
    [
      'half healthy',
      { priority: 0, zone: 'a', weight: 1, hosts: ['a', { name: 'b', ejected: true }] },
      'healthy',
      0.7,
    ],
    [
      'a quarter healthy',
      {
        priority: 0,
        zone: 'a',
        weight: 1,
        hosts: [
          'a',
          { name: 'b', ejected: true },
          { name: 'c', ejected: true },
          { name: 'd', ejected: true },
        ],
      },
      'healthy',
      0.35,
    ],
    ['no weight', { priority: 0, zone: 'a', hosts: ['a'] }, 'healthy', 0],
    [
      'degraded pick',
      { priority: 0, zone: 'a', weight: 3, hosts: ['a', { name: 'b', degraded: true }] },
      'degraded',
      2.1,
    ],
    [
      'excluded hosts leave the denominator',
      {
        priority: 0,
        zone: 'a',
        weight: 1,
        hosts: [{ name: 'a', ejected: true }, 'b', { name: 'c', excluded: true, ejected: true }],
      },
      'healthy',
      0.7,
    ],
  ];
  for (const [name, group, eligible, expected] of cases) {
    const hostSet = makeCluster([group]).prioritySet.hostSets[0];
    const locality = hostSet?.localities[0];
    assert.ok(locality);
    const actual = effectiveLocalityWeight(locality, eligible, 140);
    assert.ok(Math.abs(actual - expected) < 1e-9, `${name}: ${actual} != ${expected}`);
  }
});

test('§2.5: X (weight 1) against healthy Y (weight 2) gets ~26 % at 50 % healthy, ~15 % at 25 %, none at 0 %', () => {
  const cases: Array<[string, FakeGroupSpec[], number]> = [
    ['X 50 % healthy', xy(2, 1), 25.93],
    ['X 25 % healthy', xy(4, 1), 14.89],
    ['X 0 % healthy', xy(2, 0), 0],
    ['X fully healthy', xy(2, 2), 33.33],
  ];
  for (const seed of [0, 7, 123_456_789]) {
    for (const [name, groups, expectedPct] of cases) {
      const pct = shareOfX(groups, 27_000, seed);
      assert.ok(
        Math.abs(pct - expectedPct) < 0.5,
        `${name} (seed ${seed}): X got ${pct} %, want ${expectedPct}`,
      );
    }
  }
});

test('no locality schedule without weights or without eligible hosts', () => {
  const unweighted = makeCluster([
    { priority: 0, zone: 'a', hosts: ['a'] },
    { priority: 0, zone: 'b', hosts: ['b'] },
  ]).prioritySet.hostSets[0];
  assert.ok(unweighted);
  assert.equal(new LocalityWrr(unweighted, 1).chooseHealthyLocality(), undefined);

  const allDown = makeCluster([{ priority: 0, zone: 'a', weight: 1, hosts: [{ name: 'a', ejected: true }] }])
    .prioritySet.hostSets[0];
  assert.ok(allDown);
  assert.equal(new LocalityWrr(allDown, 1).chooseHealthyLocality(), undefined);
  assert.equal(new LocalityWrr(allDown, 1).chooseDegradedLocality(), undefined);
});

test('a locality with weight 0 is never picked while weighted ones are', () => {
  const hostSet = makeCluster([
    { priority: 0, zone: 'a', weight: 0, hosts: ['a'] },
    { priority: 0, zone: 'b', weight: 1, hosts: ['b'] },
  ]).prioritySet.hostSets[0];
  assert.ok(hostSet);
  const wrr = new LocalityWrr(hostSet, 5);
  const picked = new Set(Array.from({ length: 50 }, () => wrr.chooseHealthyLocality()));
  assert.deepEqual([...picked], [1]);
});

test('the degraded schedule weighs localities by their degraded hosts', () => {
  const hostSet = makeCluster([
    { priority: 0, zone: 'a', weight: 1, hosts: [{ name: 'a', degraded: true }] },
    { priority: 0, zone: 'b', weight: 1, hosts: ['b'] },
  ]).prioritySet.hostSets[0];
  assert.ok(hostSet);
  const wrr = new LocalityWrr(hostSet, 3);
  assert.deepEqual(new Set(Array.from({ length: 20 }, () => wrr.chooseDegradedLocality())), new Set([0]));
  assert.deepEqual(new Set(Array.from({ length: 20 }, () => wrr.chooseHealthyLocality())), new Set([1]));
});
