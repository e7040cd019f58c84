import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PriorityLevel } from './priority-load.js';
import {
  choosePriority,
  computePriorityLoad,
  distributePriorityLoad,
  effectivePanicThreshold,
  priorityAvailability,
} from './priority-load.js';

/** A level of `total` hosts of weight 1: `healthy` healthy, `degraded` degraded, `excluded` excluded. */
function level(total: number, healthy: number, degraded = 0, excluded = 0, opf = 140): PriorityLevel {
  const hosts = (n: number): Array<{ weight: number }> => Array.from({ length: n }, () => ({ weight: 1 }));
  return {
    hosts: hosts(total),
    healthyHosts: hosts(healthy),
    degradedHosts: hosts(degraded),
    excludedHosts: hosts(excluded),
    overprovisioningFactor: opf,
    weightedPriorityHealth: false,
  };
}

test('priority health is floor(OPF * healthy / (hosts - excluded)) capped at 100', () => {
  const cases: Array<[string, PriorityLevel, number, number]> = [
    ['2 hosts, 1 ejected (fact 7)', level(2, 1), 70, 0],
    ['72 of 100 healthy is still 100', level(100, 72), 100, 0],
    ['71 of 100 healthy drops to 99', level(100, 71), 99, 0],
    ['18 of 25 (72 %) is 100', level(25, 18), 100, 0],
    ['17 of 25 (68 %) is 95', level(25, 17), 95, 0],
    ['1 of 3 healthy', level(3, 1), 46, 0],
    ['1 of 4 healthy', level(4, 1), 35, 0],
    ['1 of 5 healthy', level(5, 1), 28, 0],
    ['2 healthy 2 degraded of 4', level(4, 2, 2), 70, 70],
    ['excluded hosts leave the denominator', level(4, 2, 0, 2), 100, 0],
    ['empty level', level(0, 0), 0, 0],
    ['only excluded hosts', level(2, 0, 0, 2), 0, 0],
    ['OPF 100: 1 of 2 is 50', level(2, 1, 0, 0, 100), 50, 0],
  ];
  for (const [name, lvl, health, degraded] of cases) {
    assert.deepEqual(priorityAvailability(lvl), { health, degraded }, name);
  }
});

test('weighted_priority_health sums host weights instead of counting hosts', () => {
  const heavy = { weight: 3 };
  const light = { weight: 1 };
  const lvl: PriorityLevel = {
    hosts: [heavy, light],
    healthyHosts: [light],
    degradedHosts: [],
    excludedHosts: [],
    overprovisioningFactor: 140,
    weightedPriorityHealth: true,
  };
  assert.deepEqual(priorityAvailability(lvl), { health: 35, degraded: 0 });
  assert.deepEqual(priorityAvailability({ ...lvl, weightedPriorityHealth: false }), {
    health: 70,
    degraded: 0,
  });
});

interface LoadCase {
  readonly name: string;
  readonly levels: readonly PriorityLevel[];
  readonly thresholdPct: number;
  readonly healthy: readonly number[];
  readonly degraded: readonly number[];
  readonly panic: readonly boolean[];
  readonly totalPanic: boolean;
}

const loadCases: readonly LoadCase[] = [
  {
    name: '§2.7 A: a1 ejected → 70/30/0, no panic',
    levels: [level(2, 1), level(2, 2), level(2, 2)],
    thresholdPct: 50,
    healthy: [70, 30, 0],
    degraded: [0, 0, 0],
    panic: [false, false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 A under Istio (panic 0) is the same',
    levels: [level(2, 1), level(2, 2), level(2, 2)],
    thresholdPct: 0,
    healthy: [70, 30, 0],
    degraded: [0, 0, 0],
    panic: [false, false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 B: zone-a down → 100 % to P1',
    levels: [level(2, 0), level(2, 2), level(2, 2)],
    thresholdPct: 50,
    healthy: [0, 100, 0],
    degraded: [0, 0, 0],
    panic: [false, false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 B: both zones down → 100 % to P2',
    levels: [level(2, 0), level(2, 0), level(2, 2)],
    thresholdPct: 50,
    healthy: [0, 0, 100],
    degraded: [0, 0, 0],
    panic: [false, false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 C: 70 + 70 → 70/30 and no panic',
    levels: [level(2, 1), level(2, 1)],
    thresholdPct: 50,
    healthy: [70, 30],
    degraded: [0, 0],
    panic: [false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 D with panic 0 (Istio): all to P1 healthy',
    levels: [level(2, 0), level(3, 1)],
    thresholdPct: 0,
    healthy: [0, 100],
    degraded: [0, 0],
    panic: [false, false],
    totalPanic: false,
  },
  {
    name: '§2.7 D with panic 50: total panic, 40/60 by host count',
    levels: [level(2, 0), level(3, 1)],
    thresholdPct: 50,
    healthy: [40, 60],
    degraded: [0, 0],
    panic: [true, true],
    totalPanic: true,
  },
  {
    name: '§2.2 docs-vs-code 25 %/25 %/20 % → 37/35/28 (panic off)',
    levels: [level(4, 1), level(4, 1), level(5, 1)],
    thresholdPct: 0,
    healthy: [37, 35, 28],
    degraded: [0, 0, 0],
    panic: [false, false, false],
    totalPanic: false,
  },
  {
    name: '§2.2 25 %/25 %/20 % with panic 50 is total panic: 32/30/38 by host count',
    levels: [level(4, 1), level(4, 1), level(5, 1)],
    thresholdPct: 50,
    healthy: [32, 30, 38],
    degraded: [0, 0, 0],
    panic: [true, true, true],
    totalPanic: true,
  },
  {
    name: 'only the starved priority panics when NTA < 100',
    levels: [level(10, 1), level(5, 3)],
    thresholdPct: 50,
    healthy: [15, 85],
    degraded: [0, 0],
    panic: [true, false],
    totalPanic: false,
  },
  {
    name: 'no panic at NTA 100 even when a priority is nearly empty',
    levels: [level(10, 1), level(2, 2)],
    thresholdPct: 50,
    healthy: [14, 86],
    degraded: [0, 0],
    panic: [false, false],
    totalPanic: false,
  },
  {
    name: 'degraded load only after healthy capacity: 2 healthy + 2 degraded → 70 healthy, 30 degraded',
    levels: [level(4, 2, 2)],
    thresholdPct: 50,
    healthy: [70],
    degraded: [30],
    panic: [false],
    totalPanic: false,
  },
  {
    name: 'degraded hosts count towards the panic test: 25 % healthy + 25 % degraded is not below 50',
    levels: [level(4, 1, 1)],
    thresholdPct: 50,
    healthy: [50],
    degraded: [50],
    panic: [false],
    totalPanic: false,
  },
  {
    name: 'degraded hosts get nothing while healthy capacity is 100',
    levels: [level(4, 3, 1)],
    thresholdPct: 50,
    healthy: [100],
    degraded: [0],
    panic: [false],
    totalPanic: false,
  },
  {
    name: 'healthy P1 is preferred over degraded P0',
    levels: [level(2, 0, 2), level(2, 2)],
    thresholdPct: 50,
    healthy: [0, 100],
    degraded: [0, 0],
    panic: [false, false],
    totalPanic: false,
  },
  {
    name: 'all down with panic 0: 100 % to P0, no panic (every pick finds no host)',
    levels: [level(2, 0), level(2, 0)],
    thresholdPct: 0,
    healthy: [100, 0],
    degraded: [0, 0],
    panic: [false, false],
    totalPanic: false,
  },
  {
    name: 'all down with panic 50: total panic by host count, empty priority gets 0',
    levels: [level(1, 0), level(0, 0), level(2, 0)],
    thresholdPct: 50,
    healthy: [34, 0, 66],
    degraded: [0, 0, 0],
    panic: [true, true, true],
    totalPanic: true,
  },
  {
    name: 'no hosts at all with panic 50: 100 % to P0',
    levels: [level(0, 0)],
    thresholdPct: 50,
    healthy: [100],
    degraded: [0],
    panic: [true],
    totalPanic: true,
  },
];

test('computePriorityLoad reproduces the spec worked examples', () => {
  for (const c of loadCases) {
    const r = computePriorityLoad(c.levels, c.thresholdPct);
    assert.deepEqual(r.load, { healthy: c.healthy, degraded: c.degraded }, c.name);
    assert.deepEqual(r.perPriorityPanic, c.panic, `${c.name} (panic)`);
    assert.equal(r.totalPanic, c.totalPanic, `${c.name} (total panic)`);
    const sum = [...r.load.healthy, ...r.load.degraded].reduce((a, b) => a + b, 0);
    assert.equal(sum, 100, `${c.name} (sums to 100)`);
  }
});

test('distributePriorityLoad matches the example in Envoy recalculatePerPriorityState', () => {
  // health 10/20/10 and degraded 20/10/0 → healthy 16/28/14 and degraded 28/14/0 (2 % rounding to P0).
  assert.deepEqual(distributePriorityLoad([10, 20, 10], [20, 10, 0]), {
    healthy: [16, 28, 14],
    degraded: [28, 14, 0],
  });
  // Without healthy availability, rounding leftovers go to the first degraded priority.
  assert.deepEqual(distributePriorityLoad([0, 0], [35, 28]), { healthy: [0, 0], degraded: [56, 44] });
  assert.equal(distributePriorityLoad([0, 0], [0, 0]), undefined);
});

test('the panic threshold is truncated to a whole percent and capped at 100', () => {
  const cases: Array<[number, number]> = [
    [50, 50],
    [49.9, 49],
    [0, 0],
    [0.5, 0],
    [150, 100],
  ];
  for (const [input, expected] of cases) assert.equal(effectivePanicThreshold(input), expected, `${input}`);
  // 49.9 % truncates to 49, so a priority at exactly 49.x % healthy is not in panic.
  assert.equal(computePriorityLoad([level(100, 49), level(0, 0)], 49.9).perPriorityPanic[0], false);
});

test('choosePriority walks cumulative healthy loads, then degraded loads, with h = hash % 100 + 1', () => {
  const load = { healthy: [70, 20, 0], degraded: [0, 10, 0] };
  const cases: Array<[number, number, 'healthy' | 'degraded']> = [
    [0, 0, 'healthy'],
    [69, 0, 'healthy'],
    [70, 1, 'healthy'],
    [89, 1, 'healthy'],
    [90, 1, 'degraded'],
    [99, 1, 'degraded'],
    [100, 0, 'healthy'],
    [4_294_967_295, 1, 'degraded'],
  ];
  for (const [hash, priority, availability] of cases) {
    assert.deepEqual(choosePriority(load, hash), { priority, availability }, `hash ${hash}`);
  }
});

test('choosePriority falls back to P0 healthy when the loads do not reach h', () => {
  assert.deepEqual(choosePriority({ healthy: [0, 10], degraded: [0, 0] }, 50), {
    priority: 0,
    availability: 'healthy',
  });
});
