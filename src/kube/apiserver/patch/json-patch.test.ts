import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../kube-object.js';
import { applyJsonPatch, parseJsonPointer } from './json-patch.js';

const doc = {
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', 'a~b': 'x' } },
  spec: { replicas: 1, items: ['a', 'b'] },
};

function rejects(patch: unknown, code: number, detail?: RegExp): void {
  assert.throws(
    () => applyJsonPatch(doc, patch),
    (error: unknown) => {
      assert.ok(error instanceof KubeApiError);
      assert.equal(error.code, code);
      if (code === 422) {
        assert.equal(error.reason, 'Invalid');
        assert.equal(error.message, 'the server rejected our request due to an error in our request');
      }
      if (detail !== undefined) assert.match((error as KubeApiError & { detail: string }).detail, detail);
      return true;
    },
  );
}

test('decodes JSON pointers with ~0 and ~1 escapes', () => {
  assert.deepEqual(parseJsonPointer('/a~1b/c~0d/~01'), ['a/b', 'c~d', '~1']);
  assert.deepEqual(parseJsonPointer(''), []);
  assert.equal(parseJsonPointer('a'), undefined);
});

test('applies add, remove, replace, move, copy and test in order', () => {
  const result = applyJsonPatch(doc, [
    { op: 'test', path: '/spec/replicas', value: 1 },
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/metadata/labels/app.kubernetes.io~1version', value: 'v2' },
    { op: 'remove', path: '/metadata/labels/a~0b' },
    { op: 'add', path: '/spec/items/-', value: 'c' },
    { op: 'add', path: '/spec/items/0', value: 'z' },
    { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
    { op: 'move', from: '/spec/items/1', path: '/spec/first' },
  ]);
  assert.deepEqual(result, {
    metadata: {
      name: 'web',
      labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/version': 'v2' },
    },
    spec: { replicas: 3, items: ['z', 'b', 'c'], copied: 3, first: 'a' },
  });
  assert.equal(doc.spec.replicas, 1, 'input not modified');
});

test('a failed test operation is 422 Invalid with the generic message', () => {
  rejects([{ op: 'test', path: '/spec/replicas', value: 2 }], 422, /testing value \/spec\/replicas failed/);
});

test('replacing or removing a missing path is 422', () => {
  rejects([{ op: 'replace', path: '/spec/missing', value: 1 }], 422, /missing key/);
  rejects([{ op: 'remove', path: '/spec/missing' }], 422, /missing path/);
  rejects([{ op: 'add', path: '/nope/deeper', value: 1 }], 422, /missing path/);
  rejects([{ op: 'add', path: '/spec/items/5', value: 1 }], 422, /invalid index/);
  rejects([{ op: 'frobnicate', path: '/spec' }], 422, /Unexpected kind/);
});

test('a patch that is not a list of operations is 400', () => {
  rejects({ op: 'add', path: '/x', value: 1 }, 400);
  rejects(['add'], 400);
});
