import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localityKey, makeLocality } from '../../core/locality.js';
import { HealthFlag } from './host.js';
import { makeHost } from './lb/fake-cluster.js';
import { PrioritySet, compareLocality } from './priority-set.js';

const policy = { overprovisioningFactor: 140, weightedPriorityHealth: false };
const names = (hosts: ReadonlyArray<{ hostname: string }>): string[] => hosts.map((h) => h.hostname);

test('an empty priority set still has an empty P0', () => {
  const ps = new PrioritySet();
  assert.equal(ps.hostSets.length, 1);
  assert.equal(ps.hostSets[0]?.priority, 0);
  assert.deepEqual(ps.hostSets[0]?.hosts, []);
  assert.deepEqual(ps.allHosts(), []);
});

test('host sets are indexed by priority and skipped priorities exist as empty sets', () => {
  const ps = new PrioritySet();
  const a = makeHost({ name: 'a' });
  const c = makeHost({ name: 'c' });
  ps.update(
    [
      { priority: 2, locality: makeLocality('r', 'z2'), weight: undefined, hosts: [c] },
      { priority: 0, locality: makeLocality('r', 'z0'), weight: undefined, hosts: [a] },
    ],
    policy,
  );
  assert.deepEqual(
    ps.hostSets.map((s) => [s.priority, names(s.hosts)]),
    [
      [0, ['a']],
      [1, []],
      [2, ['c']],
    ],
  );
  assert.deepEqual(names(ps.allHosts()), ['a', 'c']);
  assert.equal(c.priority, 2, 'the host learns its priority');
});

test('locality groups are merged per locality and ordered by region, zone, sub-zone', () => {
  const ps = new PrioritySet();
  const host = (name: string) => makeHost({ name });
  ps.update(
    [
      { priority: 0, locality: makeLocality('r', 'b'), weight: 3, hosts: [host('b1')] },
      { priority: 0, locality: makeLocality('r', 'a'), weight: undefined, hosts: [host('a1')] },
      { priority: 0, locality: makeLocality('r', 'b'), weight: 5, hosts: [host('b2')] },
      { priority: 0, locality: makeLocality('r', 'b'), weight: undefined, hosts: [host('b3')] },
      { priority: 0, locality: makeLocality('r', 'c'), weight: 2, hosts: [] },
      { priority: 0, locality: makeLocality('q', 'z'), weight: 1, hosts: [host('c1')] },
    ],
    policy,
  );
  const set = ps.hostSets[0];
  assert.ok(set);
  assert.deepEqual(names(set.hosts), ['b1', 'a1', 'b2', 'b3', 'c1'], 'hosts keep their EDS order');
  assert.deepEqual(
    set.localities.map((g) => [localityKey(g.locality), g.weight, names(g.hosts)]),
    [
      ['q/z', 1, ['c1']],
      ['r/a', 0, ['a1']],
      ['r/b', 5, ['b1', 'b2', 'b3']],
    ],
    'sorted, merged, the last given weight wins, unset weight is 0, empty locality dropped',
  );
  assert.equal(set.hosts[3]?.localityWeight, 5, 'hosts learn their locality weight');
});

test('compareLocality orders lexicographically by region, then zone, then sub-zone', () => {
  const cases: Array<[[string, string, string], [string, string, string], number]> = [
    [['a', 'z', 'z'], ['b', 'a', 'a'], -1],
    [['a', 'b', 'z'], ['a', 'c', 'a'], -1],
    [['a', 'b', 'c'], ['a', 'b', 'b'], 1],
    [['a', 'b', 'c'], ['a', 'b', 'c'], 0],
    [['', '', ''], ['a', '', ''], -1],
  ];
  for (const [l, r, expected] of cases) {
    assert.equal(compareLocality(makeLocality(...l), makeLocality(...r)), expected, `${l} vs ${r}`);
  }
});

test('health lists follow coarse health, and the excluded list is independent of it', () => {
  const ps = new PrioritySet();
  const hosts = [
    makeHost({ name: 'ok' }),
    makeHost({ name: 'ejected', ejected: true }),
    makeHost({ name: 'degraded', degraded: true }),
    makeHost({ name: 'leaving', excluded: true }),
  ];
  ps.update([{ priority: 0, locality: makeLocality('r', 'z'), weight: 1, hosts }], policy);
  const set = ps.hostSets[0];
  assert.ok(set);
  assert.deepEqual(names(set.healthyHosts), ['ok', 'leaving']);
  assert.deepEqual(names(set.degradedHosts), ['degraded']);
  assert.deepEqual(names(set.excludedHosts), ['leaving']);
  const group = set.localities[0];
  assert.ok(group);
  assert.deepEqual(names(group.healthyHosts), ['ok', 'leaving']);
  assert.deepEqual(names(group.degradedHosts), ['degraded']);
  assert.deepEqual(names(group.excludedHosts), ['leaving']);
});

test('refreshHealth picks up an ejection and notifies listeners until they unsubscribe', () => {
  const ps = new PrioritySet();
  const a = makeHost({ name: 'a' });
  const b = makeHost({ name: 'b' });
  ps.update([{ priority: 0, locality: makeLocality('r', 'z'), weight: 1, hosts: [a, b] }], policy);
  let calls = 0;
  const stop = ps.onChange(() => calls++);
  a.setHealthFlag(HealthFlag.failedOutlierCheck);
  assert.deepEqual(names(ps.hostSets[0]?.healthyHosts ?? []), ['a', 'b'], 'stale until refreshed');
  ps.refreshHealth();
  assert.equal(calls, 1);
  assert.deepEqual(names(ps.hostSets[0]?.healthyHosts ?? []), ['b']);
  assert.deepEqual(names(ps.hostSets[0]?.localities[0]?.healthyHosts ?? []), ['b']);
  stop();
  ps.refreshHealth();
  assert.equal(calls, 1);
});

test('an update that drops a priority empties it instead of removing it', () => {
  const ps = new PrioritySet();
  let calls = 0;
  ps.onChange(() => calls++);
  const loc = makeLocality('r', 'z');
  ps.update(
    [
      { priority: 0, locality: loc, weight: 1, hosts: [makeHost({ name: 'a' })] },
      { priority: 1, locality: loc, weight: 1, hosts: [makeHost({ name: 'b' })] },
    ],
    policy,
  );
  ps.update([{ priority: 0, locality: loc, weight: 1, hosts: [makeHost({ name: 'a2' })] }], policy);
  assert.equal(calls, 2);
  assert.equal(ps.hostSets.length, 2);
  assert.deepEqual(names(ps.hostSets[0]?.hosts ?? []), ['a2']);
  assert.deepEqual(names(ps.hostSets[1]?.hosts ?? []), []);
  assert.deepEqual(ps.hostSets[1]?.localities, []);
});

test('the policy travels to every host set', () => {
  const ps = new PrioritySet();
  const loc = makeLocality('r', 'z');
  ps.update([{ priority: 1, locality: loc, weight: 1, hosts: [makeHost({ name: 'a' })] }], {
    overprovisioningFactor: 200,
    weightedPriorityHealth: true,
  });
  for (const set of ps.hostSets) {
    assert.equal(set.overprovisioningFactor, 200);
    assert.equal(set.weightedPriorityHealth, true);
  }
});

test('update rejects a negative or fractional priority and a non-positive overprovisioning factor', () => {
  const ps = new PrioritySet();
  const loc = makeLocality('r', 'z');
  assert.throws(() => ps.update([{ priority: -1, locality: loc, weight: 1, hosts: [] }], policy));
  assert.throws(() => ps.update([{ priority: 0.5, locality: loc, weight: 1, hosts: [] }], policy));
  assert.throws(() => ps.update([], { overprovisioningFactor: 0, weightedPriorityHealth: false }));
});
