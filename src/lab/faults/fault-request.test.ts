import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpillwayError } from '../../core/errors.js';
import { faultRequestFromFlags, formatDurationMs } from './fault-request.js';

test('flags become the control API body, durations in Go syntax as milliseconds', () => {
  assert.deepEqual(faultRequestFromFlags({ kind: 'refuse' }), { kind: 'refuse' });
  assert.deepEqual(faultRequestFromFlags({ kind: 'refuse', duration: '30s' }), {
    kind: 'refuse',
    durationMs: 30_000,
  });
  assert.deepEqual(faultRequestFromFlags({ kind: 'delay', delay: '1.5s', duration: '1m30s' }), {
    kind: 'delay',
    delayMs: 1500,
    durationMs: 90_000,
  });
  assert.deepEqual(faultRequestFromFlags({ kind: 'http-5xx', status: '502', duration: '2m' }), {
    kind: 'http-5xx',
    status: 502,
    durationMs: 120_000,
  });
  assert.deepEqual(faultRequestFromFlags({ kind: 'hang', duration: '250ms' }), {
    kind: 'hang',
    durationMs: 250,
  });
  assert.deepEqual(faultRequestFromFlags({ kind: 'kill' }), { kind: 'kill' });
});

test('bad flags are refused naming the flag', () => {
  const refused = (flags: Parameters<typeof faultRequestFromFlags>[0], pattern: RegExp): void =>
    assert.throws(
      () => faultRequestFromFlags(flags),
      (err: unknown) =>
        err instanceof SpillwayError &&
        err.code === 'SPILLWAY_ERR_LAB_FAULT_INVALID' &&
        pattern.test(err.message),
    );
  refused({}, /--kind is required/);
  refused({ kind: 'explode' }, /--kind must be one of refuse, hang, http-5xx, delay, kill, got 'explode'/);
  refused({ kind: 'refuse', duration: '30' }, /--duration '30' is not a duration: .*30s, 2m/);
  refused({ kind: 'refuse', duration: '-5s' }, /--duration '-5s' is not a duration/);
  refused({ kind: 'refuse', duration: '0s' }, /--duration must be longer than 0/);
  refused({ kind: 'refuse', duration: '1.0001s' }, /--duration '1.0001s' must be whole milliseconds/);
  refused({ kind: 'refuse', duration: '48h' }, /--duration \(in ms\) must be an integer from 0 to 86400000/);
  refused({ kind: 'refuse', delay: '1s' }, /--delay applies to --kind delay only/);
  refused({ kind: 'delay', status: '503' }, /--status applies to --kind http-5xx only/);
  refused({ kind: 'http-5xx', status: '404' }, /--status must be a 5xx code, got 404/);
  refused({ kind: 'http-5xx', status: 'x' }, /--status must be a 5xx code, got 'x'/);
  refused({ kind: 'kill', duration: '5s' }, /kill happens once/);
});

test('durations read back in Go style', () => {
  assert.equal(formatDurationMs(250), '250ms');
  assert.equal(formatDurationMs(1500), '1.5s');
  assert.equal(formatDurationMs(30_000), '30s');
  assert.equal(formatDurationMs(90_000), '1m30s');
  assert.equal(formatDurationMs(120_000), '2m');
  assert.equal(formatDurationMs(3_600_000), '1h');
});
