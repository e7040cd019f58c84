import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import { KubeApiError } from '../kube-object.js';
import { ReconcileLoop } from './reconcile-loop.js';

test('a conflict is retried with doubling back-off; success resets it; 404 is not retried', async () => {
  const clock = new FakeClock();
  const calls: Array<[string, number]> = [];
  let conflictsLeft = 2;
  const loop = new ReconcileLoop('test', clock, async (key) => {
    calls.push([key, clock.monotonicMs()]);
    if (key === 'gone') throw new KubeApiError(404, 'NotFound', 'gone');
    if (conflictsLeft-- > 0) throw new KubeApiError(409, 'Conflict', 'stale');
    return undefined;
  });
  loop.enqueue('a');
  loop.enqueue('a'); // deduplicated
  loop.enqueue('gone');
  await loop.whenIdle();
  assert.deepEqual(calls, [
    ['a', 0],
    ['gone', 0],
  ]);
  clock.advance(5);
  await loop.whenIdle();
  clock.advance(10);
  await loop.whenIdle();
  assert.deepEqual(calls.slice(2), [
    ['a', 5],
    ['a', 15],
  ]);
  assert.equal(clock.pendingCount(), 0, 'nothing left to retry');
  assert.equal(loop.stats.failures, 2);
  await loop.stop();
});

test('a requeue delay returned by reconcile is honoured and stop() cancels it', async () => {
  const clock = new FakeClock();
  let runs = 0;
  const loop = new ReconcileLoop('test', clock, async () => {
    runs += 1;
    return 1000;
  });
  loop.enqueue('k');
  await loop.whenIdle();
  clock.advance(999);
  await loop.whenIdle();
  assert.equal(runs, 1);
  clock.advance(1);
  await loop.whenIdle();
  assert.equal(runs, 2);
  await loop.stop();
  assert.equal(clock.pendingCount(), 0);
  loop.enqueue('k');
  await loop.whenIdle();
  assert.equal(runs, 2, 'a stopped loop does nothing');
});
