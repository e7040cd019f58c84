import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Random } from '../../../core/random.js';
import { SeededRandom } from '../../../core/random.js';
import type { Host } from '../host.js';
import type { ClusterLoadBalancerConfig, LbContext } from './cluster-load-balancer.js';
import { ClusterLoadBalancer } from './cluster-load-balancer.js';
import type { FakeCluster, FakeGroupSpec } from './fake-cluster.js';
import { ScriptedRandom, makeCluster, tally } from './fake-cluster.js';
import { PreviousPrioritiesRetryPriority } from './previous-priorities.js';

const defaults: ClusterLoadBalancerConfig = {
  lbPolicy: 'ROUND_ROBIN',
  leastRequestChoiceCount: 2,
  healthyPanicThresholdPct: 50,
  localityWeightedLb: false,
};

function lbFor(cluster: FakeCluster, random: Random, config: Partial<ClusterLoadBalancerConfig> = {}) {
  return new ClusterLoadBalancer(
    cluster.prioritySet,
    { ...defaults, ...config },
    { random, stats: cluster.stats },
  );
}

/** Round robin with seed 0 followed by the hashes 0..99: each priority gets exactly its load in picks. */
function sweep(cluster: FakeCluster, config: Partial<ClusterLoadBalancerConfig> = {}): Map<string, number> {
  const hashes = Array.from({ length: 100 }, (_, i) => i);
  const lb = lbFor(cluster, new ScriptedRandom([0, ...hashes]), config);
  return tally(100, () => lb.chooseHost());
}

function statValue(cluster: FakeCluster, name: string): number {
  const stat = cluster.store.find(`cluster.c.${name}`);
  assert.ok(stat !== undefined && 'value' in stat, `no stat ${name}`);
  return stat.value;
}

const ej = (name: string) => ({ name, ejected: true });
const abc = (p0: FakeGroupSpec['hosts'], p1: FakeGroupSpec['hosts'], p2: FakeGroupSpec['hosts'] = []) => [
  { priority: 0, zone: 'a', hosts: p0 },
  { priority: 1, zone: 'b', hosts: p1 },
  { priority: 2, zone: 'c', hosts: p2 },
];

test('spec §2.7 examples: picks per host over one sweep of every priority hash', () => {
  const cases: Array<[string, FakeGroupSpec[], number, Record<string, number>]> = [
    [
      'A: a1 ejected → 70 % a2, 30 % zone-b',
      abc([ej('a1'), 'a2'], ['b1', 'b2'], ['c1', 'c2']),
      50,
      { a2: 70, b1: 15, b2: 15 },
    ],
    [
      'A under Istio panic 0',
      abc([ej('a1'), 'a2'], ['b1', 'b2'], ['c1', 'c2']),
      0,
      { a2: 70, b1: 15, b2: 15 },
    ],
    [
      'B: zone-a down → zone-b',
      abc([ej('a1'), ej('a2')], ['b1', 'b2'], ['c1', 'c2']),
      50,
      { b1: 50, b2: 50 },
    ],
    [
      'B: both zones down → other region',
      abc([ej('a1'), ej('a2')], [ej('b1'), ej('b2')], ['c1', 'c2']),
      50,
      { c1: 50, c2: 50 },
    ],
    ['C: 70/30 between the healthy halves', abc([ej('a1'), 'a2'], [ej('b1'), 'b2']), 50, { a2: 70, b2: 30 }],
    [
      'D with panic 0: everything to b3',
      abc([ej('a1'), ej('a2')], [ej('b1'), ej('b2'), 'b3']),
      0,
      { b3: 100 },
    ],
    [
      'D with panic 50: total panic, 40/60 over all hosts, ejected included',
      abc([ej('a1'), ej('a2')], [ej('b1'), ej('b2'), 'b3']),
      50,
      { a1: 20, a2: 20, b1: 20, b2: 20, b3: 20 },
    ],
  ];
  for (const [name, groups, threshold, expected] of cases) {
    const picks = sweep(makeCluster(groups), { healthyPanicThresholdPct: threshold });
    assert.deepEqual(Object.fromEntries([...picks].sort()), expected, name);
  }
});

test('panic picks include ejected hosts and count lb_healthy_panic per pick', () => {
  const cluster = makeCluster([{ priority: 0, zone: 'a', hosts: ['a', ej('b'), ej('c'), ej('d')] }]);
  const lb = lbFor(cluster, new ScriptedRandom([0, 17]));
  assert.deepEqual(lb.state().perPriorityPanic, [true]);
  const picks = tally(100, () => lb.chooseHost());
  assert.deepEqual(Object.fromEntries(picks), { a: 25, b: 25, c: 25, d: 25 });
  assert.equal(statValue(cluster, 'lb_healthy_panic'), 100);
});

test('everything ejected with panic threshold 0: every pick finds no host', () => {
  const cluster = makeCluster(abc([ej('a1'), ej('a2')], [ej('b1')]));
  const lb = lbFor(cluster, new SeededRandom(3), { healthyPanicThresholdPct: 0 });
  assert.deepEqual(
    tally(200, () => lb.chooseHost()),
    new Map([['(none)', 200]]),
  );
  assert.deepEqual(lb.state(), {
    priorityLoad: { healthy: [100, 0, 0], degraded: [0, 0, 0] },
    perPriorityHealth: [0, 0, 0],
    perPriorityPanic: [false, false, false],
    totalPanic: false,
  });
  assert.equal(statValue(cluster, 'lb_healthy_panic'), 0);
});

test('degraded hosts take traffic only once healthy capacity is exhausted', () => {
  const deg = (name: string) => ({ name, degraded: true });
  const cases: Array<[string, FakeGroupSpec['hosts'], Record<string, number>]> = [
    ['3 healthy + 1 degraded: never degraded', ['h1', 'h2', 'h3', deg('d1')], { h1: 34, h2: 33, h3: 33 }],
    [
      '2 healthy + 2 degraded: 30 % degraded',
      ['h1', 'h2', deg('d1'), deg('d2')],
      { d1: 15, d2: 15, h1: 35, h2: 35 },
    ],
  ];
  for (const [name, hosts, expected] of cases) {
    const picks = sweep(makeCluster([{ priority: 0, zone: 'a', hosts }]));
    assert.deepEqual(Object.fromEntries([...picks].sort()), expected, name);
  }
});

test('round robin starts at the balancer seed: sequence table', () => {
  const cases: Array<[string, FakeGroupSpec['hosts'], number, string[]]> = [
    ['equal weights, seed 0', ['a', 'b', 'c'], 0, ['a', 'b', 'c', 'a', 'b', 'c']],
    ['equal weights, seed 1', ['a', 'b', 'c'], 1, ['b', 'c', 'a', 'b', 'c', 'a']],
    ['equal weights, seed 5', ['a', 'b', 'c'], 5, ['c', 'a', 'b', 'c', 'a', 'b']],
    [
      'weights 1:2, seed 0',
      [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
      0,
      ['b', 'a', 'b', 'b', 'a', 'b'],
    ],
    [
      'weights 1:2, seed 1',
      [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
      1,
      ['a', 'b', 'b', 'a', 'b', 'b'],
    ],
    [
      'weights 1:2, seed 2',
      [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
      2,
      ['b', 'b', 'a', 'b', 'b', 'a'],
    ],
    [
      'weights 1:2, seed 3',
      [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
      3,
      ['b', 'a', 'b', 'b', 'a', 'b'],
    ],
  ];
  for (const [name, hosts, seed, expected] of cases) {
    const lb = lbFor(makeCluster([{ priority: 0, zone: 'a', hosts }]), new ScriptedRandom([seed, 0]));
    assert.deepEqual(
      Array.from({ length: expected.length }, () => lb.chooseHost()?.hostname),
      expected,
      name,
    );
  }
});

test('the round-robin position survives a health refresh', () => {
  const cluster = makeCluster([{ priority: 0, zone: 'a', hosts: ['a', 'b', 'c'] }]);
  const lb = lbFor(cluster, new ScriptedRandom([0]));
  assert.deepEqual([lb.chooseHost()?.hostname, lb.chooseHost()?.hostname], ['a', 'b']);
  cluster.prioritySet.refreshHealth();
  assert.equal(lb.chooseHost()?.hostname, 'c');
});

test('least request keeps the sampled host with strictly fewer active requests', () => {
  // Random draws: balancer seed, priority hash, then one index per choice.
  const cases: Array<[string, number[], number[], string]> = [
    ['busy then idle → idle', [5, 0], [0, 1], 'b'],
    ['idle then busy → idle', [5, 0], [1, 0], 'b'],
    ['busy twice → busy', [5, 0], [0, 0], 'a'],
    ['tie keeps the first sample', [2, 2], [1, 0], 'b'],
    ['three choices find the least loaded', [3, 2, 1], [0, 1, 2], 'c'],
  ];
  for (const [name, active, indexes, expected] of cases) {
    const names = ['a', 'b', 'c'].slice(0, active.length);
    const cluster = makeCluster([{ priority: 0, zone: 'a', hosts: names }]);
    names.forEach((n, i) => (cluster.host(n).activeRequests = active[i] ?? 0));
    const lb = lbFor(cluster, new ScriptedRandom([0, 0, ...indexes]), {
      lbPolicy: 'LEAST_REQUEST',
      leastRequestChoiceCount: indexes.length,
    });
    assert.equal(lb.chooseHost()?.hostname, expected, name);
  }
});

test('least request with two choices sends ~3/4 of picks to the idle host', () => {
  const cluster = makeCluster([{ priority: 0, zone: 'a', hosts: ['busy', 'idle'] }]);
  cluster.host('busy').activeRequests = 5;
  const lb = lbFor(cluster, new SeededRandom(9), { lbPolicy: 'LEAST_REQUEST' });
  const idle = tally(20_000, () => lb.chooseHost()).get('idle') ?? 0;
  assert.ok(Math.abs(idle / 20_000 - 0.75) < 0.02, `idle got ${idle}`);
});

test('weighted least request schedules by weight / (active requests + 1)', () => {
  const cluster = makeCluster([
    {
      priority: 0,
      zone: 'a',
      hosts: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
    },
  ]);
  cluster.host('b').activeRequests = 3; // effective weight 2 / 4 = 0.5 against a's 1
  const lb = lbFor(cluster, new SeededRandom(4), { lbPolicy: 'LEAST_REQUEST' });
  const picks = tally(3000, () => lb.chooseHost());
  assert.ok(Math.abs((picks.get('a') ?? 0) - 2000) <= 2, `a got ${picks.get('a')}`);
});

test('random picks the host with the same random number that chose the priority', () => {
  const cases: Array<[string, FakeGroupSpec[], number[], string[]]> = [
    [
      'one priority',
      [{ priority: 0, zone: 'a', hosts: ['a', 'b', 'c'] }],
      [0, 1, 2, 3, 7],
      ['a', 'b', 'c', 'a', 'b'],
    ],
    [
      '70/30 split',
      abc([ej('a1'), 'a2'], ['b1', 'b2']),
      [69, 70, 71, 99, 169],
      ['a2', 'b1', 'b2', 'b2', 'a2'],
    ],
  ];
  for (const [name, groups, hashes, expected] of cases) {
    const lb = lbFor(makeCluster(groups), new ScriptedRandom(hashes), { lbPolicy: 'RANDOM' });
    assert.deepEqual(
      hashes.map(() => lb.chooseHost()?.hostname),
      expected,
      name,
    );
  }
});

test('host-selection retries: re-pick while rejected, then return the last host anyway', () => {
  const cases: Array<[string, (h: Host) => boolean, number | undefined, string, number]> = [
    ['always rejected, 5 retries → 6th pick', () => true, 5, 'c', 6],
    ['a rejected → b on the second pick', (h) => h.hostname === 'a', 5, 'b', 2],
    ['no retries allowed → rejected host returned', () => true, 0, 'a', 1],
    ['no retry count → a single pick', () => true, undefined, 'a', 1],
  ];
  for (const [name, reject, retries, expected, calls] of cases) {
    const lb = lbFor(
      makeCluster([{ priority: 0, zone: 'a', hosts: ['a', 'b', 'c'] }]),
      new ScriptedRandom([0]),
    );
    let predicateCalls = 0;
    const ctx: LbContext = {
      shouldSelectAnotherHost: (h) => {
        predicateCalls++;
        return reject(h);
      },
    };
    if (retries !== undefined) ctx.hostSelectionRetryCount = () => retries;
    assert.equal(lb.chooseHost(ctx)?.hostname, expected, name);
    assert.equal(predicateCalls, calls, `${name} (predicate calls)`);
  }
});

test('a failed pick is returned at once without asking the predicate', () => {
  const cluster = makeCluster([{ priority: 0, zone: 'a', hosts: [ej('a')] }]);
  const lb = lbFor(cluster, new SeededRandom(1), { healthyPanicThresholdPct: 0 });
  let calls = 0;
  const host = lb.chooseHost({
    shouldSelectAnotherHost: () => ++calls > 0,
    hostSelectionRetryCount: () => 5,
  });
  assert.equal(host, undefined);
  assert.equal(calls, 0);
});

test('previous_priorities moves the retry of a P0 attempt to P1', () => {
  const cluster = makeCluster(abc(['a1', 'a2'], ['b1', 'b2']));
  const lb = lbFor(cluster, new SeededRandom(21));
  const retryPriority = new PreviousPrioritiesRetryPriority(1);
  const ctx: LbContext = {
    determinePriorityLoad: (ps, original) => retryPriority.determinePriorityLoad(ps, original),
  };
  const first = lb.chooseHost(ctx);
  assert.equal(first?.priority, 0);
  retryPriority.onHostAttempted(first as Host);
  const retries = tally(200, () => lb.chooseHost(ctx));
  assert.deepEqual([...retries.keys()].sort(), ['b1', 'b2']);
});

test('locality-weighted LB picks the locality first: §2.5 X at 50 % healthy gets ~26 %', () => {
  const cluster = makeCluster([
    { priority: 0, zone: 'x', weight: 1, hosts: ['x0', ej('x1')] },
    { priority: 0, zone: 'y', weight: 2, hosts: ['y0', 'y1', 'y2', 'y3'] },
  ]);
  const lb = lbFor(cluster, new SeededRandom(5), { localityWeightedLb: true });
  const picks = tally(27_000, () => lb.chooseHost());
  assert.equal(picks.get('x1'), undefined, 'the ejected host is never picked');
  const xPct = (100 * (picks.get('x0') ?? 0)) / 27_000;
  assert.ok(Math.abs(xPct - 25.93) < 0.5, `X got ${xPct} %`);
  // Without locality weighting the same cluster spreads evenly over the 5 healthy hosts.
  const flatLb = lbFor(cluster, new SeededRandom(5));
  assert.equal(tally(1000, () => flatLb.chooseHost()).get('x0'), 200);
});

test('without locality weights, locality-weighted LB falls back to all healthy hosts', () => {
  const cluster = makeCluster([
    { priority: 0, zone: 'x', hosts: ['x0'] },
    { priority: 0, zone: 'y', hosts: ['y0', 'y1', 'y2'] },
  ]);
  const lb = lbFor(cluster, new ScriptedRandom([0]), { localityWeightedLb: true });
  assert.deepEqual(Object.fromEntries(tally(400, () => lb.chooseHost())), {
    x0: 100,
    y0: 100,
    y1: 100,
    y2: 100,
  });
});

test('membership gauges and loads follow the priority set without an explicit refresh', () => {
  const cluster = makeCluster(
    abc(['a1', 'a2', { name: 'dg', degraded: true }, { name: 'gone', excluded: true }], ['b1', 'b2']),
  );
  const lb = lbFor(cluster, new SeededRandom(2));
  const gauges = () =>
    ['total', 'healthy', 'degraded', 'excluded'].map((g) => statValue(cluster, `membership_${g}`));
  assert.deepEqual(gauges(), [6, 5, 1, 1]);
  assert.deepEqual(lb.state().priorityLoad.healthy, [100, 0, 0]);

  // 'gone' is healthy but excluded: it counts as healthy yet leaves the denominator, so P0 health is
  // ⌊140 · 1/3⌋ = 46 (as Envoy's partition and recalculatePerPriorityState do).
  cluster.eject('a1', 'a2');
  assert.deepEqual(gauges(), [6, 3, 1, 1]);
  assert.deepEqual(lb.state(), {
    priorityLoad: { healthy: [46, 54, 0], degraded: [0, 0, 0] },
    perPriorityHealth: [46, 100, 0],
    perPriorityPanic: [false, false, false],
    totalPanic: false,
  });

  lb.close();
  cluster.eject('b1', 'b2');
  assert.deepEqual(lb.state().priorityLoad.healthy, [46, 54, 0], 'a closed balancer stops following');
});

test('state() returns copies', () => {
  const lb = lbFor(makeCluster(abc(['a1'], ['b1'])), new SeededRandom(1));
  const snapshot = lb.state();
  snapshot.priorityLoad.healthy[0] = 0;
  snapshot.perPriorityPanic[0] = true;
  assert.deepEqual(lb.state().priorityLoad.healthy, [100, 0, 0]);
  assert.deepEqual(lb.state().perPriorityPanic, [false, false, false]);
});
