import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Random } from '../../core/random.js';
import { clientGoBackoff, ReconnectBackoff } from './reconnect-backoff.js';

/** A Random that always returns the same fraction of 2^32. */
function fixed(fraction: number): Random {
  return { nextU32: () => Math.floor(fraction * 0x1_0000_0000) };
}

describe('ReconnectBackoff', () => {
  it('doubles from 800 ms up to the 30 s cap, as client-go reflectors do', () => {
    const backoff = new ReconnectBackoff(clientGoBackoff, fixed(0));
    const delays = Array.from({ length: 8 }, () => backoff.nextDelayMs());
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    assert.equal(backoff.failureCount(), 8);
  });

  it('stretches each delay by up to twice with jitter 1.0', () => {
    const backoff = new ReconnectBackoff(clientGoBackoff, fixed(0.5));
    assert.deepEqual([backoff.nextDelayMs(), backoff.nextDelayMs()], [1200, 2400]);
  });

  it('starts again at the initial delay after a reset', () => {
    const backoff = new ReconnectBackoff({ initialMs: 10, maxMs: 100, jitter: 0 }, fixed(0.9));
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    assert.equal(backoff.nextDelayMs(), 10);
  });
});
