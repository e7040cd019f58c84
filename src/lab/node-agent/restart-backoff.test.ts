import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { goDurationText, RestartBackoff } from './restart-backoff.js';

/** Simulates a container that exits right after every start; returns the waits before each restart. */
function waitsOfCrashLoop(backoff: RestartBackoff, clock: FakeClock, crashes: number): number[] {
  const waits: number[] = [];
  for (let i = 0; i < crashes; i++) {
    const finished = clock.monotonicMs();
    const wait = backoff.remainingMs(finished, clock.monotonicMs());
    waits.push(wait);
    clock.advance(wait);
    assert.equal(backoff.isInBackOffSince(finished, clock.monotonicMs()), false);
    backoff.next(finished, clock.monotonicMs());
  }
  return waits;
}

test('first restart at once, then 10 s doubling up to 5 min (kubelet CrashLoopBackOff)', () => {
  const clock = new FakeClock();
  const waits = waitsOfCrashLoop(new RestartBackoff(), clock, 10);
  assert.deepEqual(
    waits.map((ms) => ms / 1000),
    [0, 10, 20, 40, 80, 160, 300, 300, 300, 300],
  );
});

test('in back-off exactly while now - finishedAt < delay', () => {
  const backoff = new RestartBackoff();
  backoff.next(0, 0); // first restart, delay 10 s
  assert.equal(backoff.isInBackOffSince(1000, 1000), true);
  assert.equal(backoff.isInBackOffSince(1000, 10_999), true);
  assert.equal(backoff.isInBackOffSince(1000, 11_000), false);
  assert.equal(backoff.remainingMs(1000, 5000), 6000);
});

test('a container that ran more than 10 minutes since its last restart starts over at 10 s', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff();
  waitsOfCrashLoop(backoff, clock, 5); // five restarts: the delay is now 160 s
  assert.equal(backoff.currentMs(), 160_000);
  clock.advance(600_001); // ran a bit over 2 x max
  const finished = clock.monotonicMs();
  assert.equal(backoff.isInBackOffSince(finished, finished), false, 'restarted at once');
  backoff.next(finished, finished);
  assert.equal(backoff.currentMs(), 10_000);
  // Exactly 10 minutes is not yet "stable": the delay keeps doubling.
  const b = new RestartBackoff();
  b.next(0, 0);
  b.next(600_000, 600_000);
  assert.equal(b.currentMs(), 20_000);
});

test('delays print like Go durations', () => {
  assert.equal(goDurationText(10_000), '10s');
  assert.equal(goDurationText(160_000), '2m40s');
  assert.equal(goDurationText(300_000), '5m0s');
});
