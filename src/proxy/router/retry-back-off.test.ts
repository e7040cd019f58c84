import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, type Random } from '../../core/random.js';
import { JitteredExponentialBackOff } from './retry-back-off.js';

/** A Random that always returns the same value, to read the interval off `value % interval`. */
const constant = (value: number): Random => ({ nextU32: () => value });

test('intervals double from the base and jump to the max once at or past half of it', () => {
  const table: Array<[number, number, number[]]> = [
    // Envoy's defaults: 25 ms base, 250 ms max -> 25, 50, 100, 200, 250, 250.
    [25, 250, [25, 50, 100, 200, 250, 250]],
    [30, 100, [30, 60, 100, 100]],
    [25, 25, [25, 25, 25]],
    [1, 3, [1, 3, 3]],
    // 400 < 1000/2 still doubles, so an interval can exceed half of the max before capping.
    [100, 1000, [100, 200, 400, 800, 1000, 1000]],
  ];
  for (const [base, max, intervals] of table) {
    const backOff = new JitteredExponentialBackOff({ baseIntervalMs: base, maxIntervalMs: max }, constant(0));
    const seen = intervals.map(() => {
      const interval = backOff.currentIntervalMs;
      backOff.nextBackOffMs();
      return interval;
    });
    assert.deepEqual(seen, intervals, `base ${base} max ${max}`);
  }
});

test('each back-off is random % interval, so the largest draw is interval - 1', () => {
  const backOff = new JitteredExponentialBackOff({ baseIntervalMs: 25, maxIntervalMs: 250 }, constant(999));
  const draws = Array.from({ length: 6 }, () => backOff.nextBackOffMs());
  assert.deepEqual(draws, [999 % 25, 999 % 50, 999 % 100, 999 % 200, 999 % 250, 999 % 250]);
  assert.deepEqual(draws, [24, 49, 99, 199, 249, 249]);
});

test('a seeded sequence is reproducible and stays within [0, interval)', () => {
  const run = (): number[] => {
    const backOff = new JitteredExponentialBackOff(
      { baseIntervalMs: 25, maxIntervalMs: 250 },
      new SeededRandom(7),
    );
    return Array.from({ length: 8 }, () => backOff.nextBackOffMs());
  };
  const first = run();
  assert.deepEqual(run(), first);
  const bounds = [25, 50, 100, 200, 250, 250, 250, 250];
  first.forEach((ms, i) =>
    assert.ok(Number.isInteger(ms) && ms >= 0 && ms < (bounds[i] as number), `draw ${i}: ${ms}`),
  );
  const random = new SeededRandom(7);
  assert.deepEqual(first.slice(0, 3), [random.nextU32() % 25, random.nextU32() % 50, random.nextU32() % 100]);
});

test('reset() starts again from the base interval', () => {
  const backOff = new JitteredExponentialBackOff({ baseIntervalMs: 10, maxIntervalMs: 100 }, constant(0));
  backOff.nextBackOffMs();
  backOff.nextBackOffMs();
  assert.equal(backOff.currentIntervalMs, 40);
  backOff.reset();
  assert.equal(backOff.currentIntervalMs, 10);
});

test('a non-positive base or a max below the base is rejected', () => {
  const random = constant(0);
  assert.throws(
    () => new JitteredExponentialBackOff({ baseIntervalMs: 0, maxIntervalMs: 10 }, random),
    RangeError,
  );
  assert.throws(
    () => new JitteredExponentialBackOff({ baseIntervalMs: 20, maxIntervalMs: 10 }, random),
    RangeError,
  );
});
