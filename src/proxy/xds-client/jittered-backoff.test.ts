import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Random } from '../../core/random.js';
import { JitteredExponentialBackOff } from './jittered-backoff.js';

/** A Random that returns the values given, in order. */
function scripted(values: number[]): Random {
  return { nextU32: () => values.shift() ?? 0 };
}

test('reconnect delays are random % interval, the interval doubling from 500 ms up to 30 s', () => {
  const big = 0xffff_ffff;
  const backoff = new JitteredExponentialBackOff(scripted(new Array<number>(10).fill(big)));
  const delays = Array.from({ length: 10 }, () => backoff.nextBackOffMs());
  // 0xffffffff % interval for intervals 500, 1000, 2000, ... 16000, then the 30 s cap.
  assert.deepEqual(
    delays,
    [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000].map((i) => big % i),
  );
  assert.ok(delays.every((d, i) => d < [500, 1000, 2000, 4000, 8000, 16000, 30000][Math.min(i, 6)]!));
});

test('a reset starts again from the base interval', () => {
  const backoff = new JitteredExponentialBackOff(scripted([1499, 1499, 1499]));
  assert.equal(backoff.nextBackOffMs(), 1499 % 500);
  assert.equal(backoff.nextBackOffMs(), 1499 % 1000);
  backoff.reset();
  assert.equal(backoff.nextBackOffMs(), 1499 % 500);
});
