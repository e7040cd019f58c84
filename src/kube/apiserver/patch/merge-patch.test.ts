import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../kube-object.js';
import { applyMergePatch } from './merge-patch.js';

test('merges objects recursively, deletes on null and replaces lists whole', () => {
  const doc = { metadata: { labels: { a: '1', b: '2' } }, spec: { ports: [1, 2], replicas: 1 } };
  const result = applyMergePatch(doc, {
    metadata: { labels: { a: null, c: '3' } },
    spec: { ports: [3], paused: true, nothing: null },
  });
  assert.deepEqual(result, {
    metadata: { labels: { b: '2', c: '3' } },
    spec: { ports: [3], replicas: 1, paused: true },
  });
  assert.deepEqual(doc.metadata.labels, { a: '1', b: '2' }, 'input not modified');
});

test('a merge patch that is not an object is 400', () => {
  assert.throws(
    () => applyMergePatch({}, [1]),
    (error: unknown) => error instanceof KubeApiError && error.code === 400,
  );
});
