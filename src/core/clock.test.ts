import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';

test('FakeClock fires timers in due order and reports each due time while firing', () => {
  const clock = new FakeClock(1000);
  const fired: Array<[string, number]> = [];
  clock.setTimer(30, () => fired.push(['b', clock.monotonicMs()]));
  clock.setTimer(10, () => {
    fired.push(['a', clock.monotonicMs()]);
    clock.setTimer(5, () => fired.push(['a2', clock.monotonicMs()]));
  });
  clock.setTimer(30, () => fired.push(['c', clock.monotonicMs()]));
  clock.advance(25);
  assert.deepEqual(fired, [
    ['a', 1010],
    ['a2', 1015],
  ]);
  assert.equal(clock.monotonicMs(), 1025);
  clock.advance(5);
  assert.deepEqual(fired.slice(2), [
    ['b', 1030],
    ['c', 1030],
  ]);
  assert.equal(clock.pendingCount(), 0);
});

test('FakeClock does not fire cancelled timers', () => {
  const clock = new FakeClock();
  let count = 0;
  const timer = clock.setTimer(10, () => count++);
  timer.cancel();
  clock.advance(100);
  assert.equal(count, 0);
});
