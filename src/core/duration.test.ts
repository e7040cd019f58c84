import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProtoDuration, parseGoDurationMs, parseProtoDurationMs } from './duration.js';

test('parses protobuf JSON durations', () => {
  assert.equal(parseProtoDurationMs('30s'), 30000);
  assert.equal(parseProtoDurationMs('0.25s'), 250);
  assert.equal(parseProtoDurationMs('0.000001s'), 0.001);
  assert.equal(parseProtoDurationMs('5m'), undefined);
  assert.equal(parseProtoDurationMs('s'), undefined);
});

test('parses Go durations as Istio writes them', () => {
  assert.equal(parseGoDurationMs('5m'), 300000);
  assert.equal(parseGoDurationMs('1h30m'), 5400000);
  assert.equal(parseGoDurationMs('250ms'), 250);
  assert.equal(parseGoDurationMs('1.5s'), 1500);
  assert.equal(parseGoDurationMs('0'), 0);
  assert.equal(parseGoDurationMs('5'), undefined);
  assert.equal(parseGoDurationMs('5x'), undefined);
  assert.equal(parseGoDurationMs(''), undefined);
});

test('formats durations in protobuf JSON form', () => {
  assert.equal(formatProtoDuration(30000), '30s');
  assert.equal(formatProtoDuration(1500), '1.5s');
});
