import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.js';
import { SendBudget } from './send-budget.js';

test('a spent budget wakes waiting streams in order, one at a time while there is room', () => {
  const budget = new SendBudget(100, new FakeClock());
  const woken: string[] = [];
  const holds: { release(): void }[] = [];
  // A woken stream sends at once (takes its share), as AdsConnection.flush does.
  const stream = (name: string, bytes: number) => () => {
    woken.push(name);
    holds.push(budget.hold(bytes));
  };
  assert.ok(budget.hasRoom());
  const first = budget.hold(150); // one response may always go out, whatever its size
  assert.ok(!budget.hasRoom());
  budget.wait(stream('a', 60));
  budget.wait(stream('b', 60));
  budget.wait(stream('c', 10));
  first.release();
  // a takes 60 (room left), b takes 60 (now 120: full), c waits.
  assert.deepEqual(woken, ['a', 'b']);
  assert.equal(budget.bytesInFlight, 120);
  holds[0]?.release();
  holds[0]?.release(); // idempotent
  assert.deepEqual(woken, ['a', 'b', 'c']);
  assert.equal(budget.bytesInFlight, 70);
});

test('a response not written in time stops counting, and a cancelled waiter is never woken', () => {
  const clock = new FakeClock();
  const budget = new SendBudget(100, clock, 5000);
  const stuck = budget.hold(500);
  const woken: string[] = [];
  const gone = () => woken.push('gone');
  budget.wait(gone);
  budget.wait(() => woken.push('next'));
  budget.cancel(gone);
  clock.advance(4999);
  assert.deepEqual(woken, []);
  clock.advance(1);
  assert.deepEqual(woken, ['next']);
  assert.equal(budget.bytesInFlight, 0);
  stuck.release(); // the late write callback changes nothing
  assert.equal(budget.bytesInFlight, 0);
  assert.equal(clock.pendingCount(), 0);
});
