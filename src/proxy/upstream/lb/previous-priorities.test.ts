import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeGroupSpec } from './fake-cluster.js';
import { makeCluster } from './fake-cluster.js';
import { PreviousPrioritiesRetryPriority } from './previous-priorities.js';
import type { PriorityLoad } from './priority-load.js';
import { computePriorityLoad } from './priority-load.js';

const ej = (name: string) => ({ name, ejected: true });
const deg = (name: string) => ({ name, degraded: true });

function setup(groups: FakeGroupSpec[]) {
  const cluster = makeCluster(groups);
  const original = computePriorityLoad(cluster.prioritySet.hostSets, 50).load;
  return { cluster, original };
}

const twoHealthy: FakeGroupSpec[] = [
  { priority: 0, zone: 'a', hosts: ['a1', 'a2'] },
  { priority: 1, zone: 'b', hosts: ['b1', 'b2'] },
];

test('before any attempt the original load is returned untouched', () => {
  const { cluster, original } = setup(twoHealthy);
  const plugin = new PreviousPrioritiesRetryPriority(1);
  assert.equal(plugin.determinePriorityLoad(cluster.prioritySet, original), original);
});

test('update_frequency 1: an attempt on P0 moves the whole load to P1', () => {
  const { cluster, original } = setup(twoHealthy);
  const plugin = new PreviousPrioritiesRetryPriority(1);
  plugin.onHostAttempted(cluster.host('a1'));
  assert.deepEqual(plugin.determinePriorityLoad(cluster.prioritySet, original), {
    healthy: [0, 100],
    degraded: [0, 0],
  });
});

test('update_frequency 2: recompute on every second attempt, keep the last load in between, reset when all are tried', () => {
  const { cluster, original } = setup(twoHealthy);
  const plugin = new PreviousPrioritiesRetryPriority(2);
  const steps: Array<[string | undefined, PriorityLoad | 'original', string]> = [
    ['a1', 'original', 'one attempt is fewer than update_frequency'],
    ['a2', { healthy: [0, 100], degraded: [0, 0] }, 'second attempt excludes P0'],
    ['b1', { healthy: [0, 100], degraded: [0, 0] }, 'third attempt is not a multiple: last load kept'],
    [
      'b2',
      { healthy: [100, 0], degraded: [0, 0] },
      'fourth attempt: P0 and P1 both tried → reset to all priorities',
    ],
    [undefined, 'original', 'after the reset no attempts are counted'],
  ];
  for (const [attempted, expected, name] of steps) {
    if (attempted !== undefined) plugin.onHostAttempted(cluster.host(attempted));
    const load = plugin.determinePriorityLoad(cluster.prioritySet, original);
    if (expected === 'original') assert.equal(load, original, name);
    else assert.deepEqual(load, expected, name);
  }
});

test('adjusted loads follow availability, with rounding leftovers to the first available priority', () => {
  const cases: Array<[string, FakeGroupSpec[], PriorityLoad]> = [
    [
      'P1 at 35 and P2 at 28 → 55/44 + 1 to P1',
      [
        { priority: 0, zone: 'a', hosts: ['a1'] },
        { priority: 1, zone: 'b', hosts: ['b1', ej('b2'), ej('b3'), ej('b4')] },
        { priority: 2, zone: 'c', hosts: ['c1', ej('c2'), ej('c3'), ej('c4'), ej('c5')] },
      ],
      { healthy: [0, 56, 44], degraded: [0, 0, 0] },
    ],
    [
      'a degraded-only P1 takes the load as degraded',
      [
        { priority: 0, zone: 'a', hosts: ['a1'] },
        { priority: 1, zone: 'b', hosts: [deg('b1'), deg('b2')] },
      ],
      { healthy: [0, 0], degraded: [0, 100] },
    ],
    [
      'a half-healthy P1 still gets everything once P0 is excluded',
      [
        { priority: 0, zone: 'a', hosts: ['a1'] },
        { priority: 1, zone: 'b', hosts: ['b1', ej('b2')] },
        { priority: 2, zone: 'c', hosts: ['c1'] },
      ],
      { healthy: [0, 70, 30], degraded: [0, 0, 0] },
    ],
  ];
  for (const [name, groups, expected] of cases) {
    const { cluster, original } = setup(groups);
    const plugin = new PreviousPrioritiesRetryPriority(1);
    plugin.onHostAttempted(cluster.host('a1'));
    assert.deepEqual(plugin.determinePriorityLoad(cluster.prioritySet, original), expected, name);
  }
});

test('when every priority is down the original load is kept', () => {
  const { cluster, original } = setup([
    { priority: 0, zone: 'a', hosts: [ej('a1')] },
    { priority: 1, zone: 'b', hosts: [ej('b1')] },
  ]);
  const plugin = new PreviousPrioritiesRetryPriority(1);
  plugin.onHostAttempted(cluster.host('a1'));
  assert.equal(plugin.determinePriorityLoad(cluster.prioritySet, original), original);
});

test('update_frequency must be a positive integer', () => {
  for (const bad of [0, -1, 1.5]) assert.throws(() => new PreviousPrioritiesRetryPriority(bad), `${bad}`);
});
