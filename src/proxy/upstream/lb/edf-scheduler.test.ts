import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../core/random.js';
import { EdfScheduler } from './edf-scheduler.js';

interface Item {
  readonly name: string;
  readonly weight: number;
}
const weightOf = (item: Item): number => item.weight;
const items = (...weights: number[]): Item[] => weights.map((weight, i) => ({ name: `e${i}`, weight }));

function picks(scheduler: EdfScheduler<Item>, n: number): string[] {
  return Array.from({ length: n }, () => scheduler.pickAndAdd(weightOf)?.name ?? '(none)');
}

function filled(entries: readonly Item[]): EdfScheduler<Item> {
  const scheduler = new EdfScheduler<Item>();
  for (const e of entries) scheduler.add(e.weight, e);
  return scheduler;
}

test('an empty scheduler picks nothing', () => {
  assert.equal(new EdfScheduler<Item>().pickAndAdd(weightOf), undefined);
  assert.equal(EdfScheduler.createWithPicks<Item>([], weightOf, 123).pickAndAdd(weightOf), undefined);
});

test('equal weights give plain round robin in insertion order (ties go to the earliest added)', () => {
  const entries = items(...Array.from({ length: 16 }, () => 1));
  const scheduler = filled(entries);
  const expected = entries.map((e) => e.name);
  for (let round = 0; round < 8; round++) assert.deepEqual(picks(scheduler, 16), expected, `round ${round}`);
});

test('distinct weights 1..N are each picked exactly weight times over N(N+1)/2 picks', () => {
  const n = 32;
  const entries = items(...Array.from({ length: n }, (_, i) => i + 1));
  const scheduler = filled(entries);
  const counts = new Map<string, number>();
  for (const name of picks(scheduler, (n * (n + 1)) / 2)) counts.set(name, (counts.get(name) ?? 0) + 1);
  entries.forEach((e) => assert.equal(counts.get(e.name), e.weight, e.name));
});

test('pick sequences for small weight tables', () => {
  const cases: Array<[number[], string[]]> = [
    [
      [1, 2],
      ['e1', 'e0', 'e1', 'e1', 'e0', 'e1'],
    ],
    [
      [1, 1, 2],
      ['e2', 'e0', 'e1', 'e2', 'e2', 'e0', 'e1', 'e2'],
    ],
    [
      [4, 1],
      ['e0', 'e0', 'e0', 'e1', 'e0', 'e0', 'e0', 'e0', 'e1'],
    ],
  ];
  for (const [weights, expected] of cases) {
    assert.deepEqual(picks(filled(items(...weights)), expected.length), expected, `weights ${weights}`);
    assert.deepEqual(
      picks(EdfScheduler.createWithPicks(items(...weights), weightOf, 0), expected.length),
      expected,
      `createWithPicks(0) with weights ${weights}`,
    );
  }
});

test('a re-added entry takes the weight computed at pick time', () => {
  const entries = items(1, 1);
  const scheduler = filled(entries);
  // After the first pick e0 weighs 4 from then on, so it is due 4x as often.
  let first = true;
  const dynamic = (item: Item): number => (item.name === 'e0' && !first ? 4 : item.weight);
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    seen.push(scheduler.pickAndAdd(dynamic)?.name ?? '');
    first = false;
  }
  const e0 = seen.filter((s) => s === 'e0').length;
  assert.ok(e0 >= 8, `e0 picked ${e0} of 12: ${seen.join(' ')}`);
});

test('createWithPicks(P) continues exactly like P picks from a freshly filled scheduler', () => {
  // Distinct weights, as in Envoy's own test, so that no tie can break differently.
  const entries = Array.from({ length: 64 }, (_, i) => ({
    name: `e${i}`,
    weight: ((100.5 - 0.01) / 64) * i + 0.01,
  }));
  for (const p of [1, 5, 140, 501, 12345]) {
    const stepwise = filled(entries);
    picks(stepwise, p);
    const emulated = EdfScheduler.createWithPicks(entries, weightOf, p);
    assert.deepEqual(picks(emulated, 300), picks(stepwise, 300), `P = ${p}`);
  }
});

test('first picks after random pre-picks follow the weights', () => {
  const random = new SeededRandom(11);
  const cases: number[][] = [
    [25, 75],
    [1, 20, 79],
    [50, 50],
  ];
  for (const weights of cases) {
    const entries = items(...weights);
    const counts = new Map<string, number>();
    const iterations = 20_000;
    for (let i = 0; i < iterations; i++) {
      const first = EdfScheduler.createWithPicks(entries, weightOf, random.nextU32()).pickAndAdd(weightOf);
      counts.set(first?.name ?? '', (counts.get(first?.name ?? '') ?? 0) + 1);
    }
    entries.forEach((e) => {
      const observedPct = (100 * (counts.get(e.name) ?? 0)) / iterations;
      assert.ok(Math.abs(observedPct - e.weight) < 1.5, `${weights}: ${e.name} got ${observedPct} %`);
    });
  }
});

test('weights must be positive', () => {
  assert.throws(() => new EdfScheduler<Item>().add(0, { name: 'x', weight: 0 }));
  assert.throws(() => EdfScheduler.createWithPicks(items(1, 0), weightOf, 3));
});
