import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import { IdleTimer } from './idle-timer.js';

test('an idle connection times out exactly the timeout after it became idle', () => {
  const clock = new FakeClock();
  let firedAtMs: number | undefined;
  const timer = new IdleTimer(clock, 1000, () => (firedAtMs = clock.monotonicMs()));
  clock.advance(300);
  timer.busy();
  clock.advance(1200); // busy through the first expiry
  assert.equal(firedAtMs, undefined);
  timer.idle(); // idle from 1500
  clock.advance(999);
  assert.equal(firedAtMs, undefined);
  clock.advance(1);
  assert.equal(firedAtMs, 2500);
});

test('activity while idle restarts the idle time; a cancelled timer never fires', () => {
  const clock = new FakeClock();
  let fired = 0;
  const timer = new IdleTimer(clock, 1000, () => fired++);
  clock.advance(800);
  timer.touch(); // idle again counted from 800
  clock.advance(900);
  assert.equal(fired, 0);
  clock.advance(100);
  assert.equal(fired, 1);

  const other = new IdleTimer(clock, 1000, () => fired++);
  other.cancel();
  clock.advance(5000);
  assert.equal(fired, 1);
});

test('touching a busy connection does not make it idle', () => {
  const clock = new FakeClock();
  let fired = 0;
  const timer = new IdleTimer(clock, 1000, () => fired++);
  timer.busy();
  timer.touch();
  clock.advance(10_000);
  assert.equal(fired, 0);
});
