import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withOneByteStrings } from './one-byte-strings.js';

test('every string keeps its content, in objects, arrays, Maps and Sets; other values are untouched', () => {
  const pattern = /^a+$/;
  const input = {
    name: 'envoy',
    empty: '',
    latin1: 'caf\u00e9',
    wide: 'z\u00fcrich \u2192 gen\u00e8ve',
    count: 3,
    flag: true,
    missing: undefined,
    pattern,
    list: ['x', ['y', 1]],
    map: new Map<string, unknown>([['k', 'v']]),
    set: new Set(['s']),
  };
  const out = withOneByteStrings(structuredClone(input));
  assert.deepEqual(out, { ...input, pattern: out.pattern });
  assert.ok(out.pattern instanceof RegExp && out.pattern.source === pattern.source);
  assert.equal(out.map.get('k'), 'v');
  assert.ok(out.set.has('s'));
});
