import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, randomBelow } from './random.js';

test('SeededRandom repeats its sequence for the same seed and differs for another', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const seqA = Array.from({ length: 5 }, () => a.nextU32());
  const seqB = Array.from({ length: 5 }, () => b.nextU32());
  const seqC = Array.from({ length: 5 }, () => c.nextU32());
  assert.deepEqual(seqA, seqB);
  assert.notDeepEqual(seqA, seqC);
  for (const v of seqA) assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
});

test('randomBelow stays in range and covers every value', () => {
  const r = new SeededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = randomBelow(r, 10);
    assert.ok(v >= 0 && v < 10);
    seen.add(v);
  }
  assert.equal(seen.size, 10);
});
