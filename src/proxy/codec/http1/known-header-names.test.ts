import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownHeaderName } from './known-header-names.js';

test('a known name is found in place whatever its case; anything else is not', () => {
  const head = 'xxContent-Length: 3\r\nX-Custom: 1\r\nHOST: a\r\ncontent-lengthy: 2';
  assert.equal(knownHeaderName(head, 2, 16), 'content-length');
  assert.equal(knownHeaderName(head, 21, 29), undefined);
  assert.equal(knownHeaderName(head, 34, 38), 'host');
  const lengthy = head.indexOf('content-lengthy');
  assert.equal(knownHeaderName(head, lengthy, lengthy + 15), undefined);
  assert.equal(knownHeaderName(head, lengthy, lengthy + 14), 'content-length');
});
