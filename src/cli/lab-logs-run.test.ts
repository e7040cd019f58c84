import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastLines } from './lab-logs-run.js';

test('--tail keeps the last lines as kubectl logs --tail does; -1 keeps everything', () => {
  const log = 'one\ntwo\nthree\n';
  assert.equal(lastLines(log, -1), log);
  assert.equal(lastLines(log, 2), 'two\nthree\n');
  assert.equal(lastLines(log, 10), log);
  assert.equal(lastLines(log, 0), '');
  assert.equal(lastLines('one\ntwo', 1), 'two\n');
  assert.equal(lastLines('', 3), '');
});
