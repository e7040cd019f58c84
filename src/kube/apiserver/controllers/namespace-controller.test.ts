import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startKit } from './controllers-test-kit-fake.js';
import { asRecord } from './json-fields.js';

test('deleting a namespace deletes its objects, waits for terminating pods, then the namespace itself', async () => {
  const kit = startKit();
  try {
    kit.client.isPodDeletionGraceful = true;
    await kit.client.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
    });
    await kit.client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'team' },
    });
    await kit.client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'keep', namespace: 'default' },
    });
    await kit.client.create('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'team' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'img' }] },
        },
      },
    });
    await kit.settle();
    assert.equal(kit.client.list('pods', 'team').items.length, 2);
    await kit.client.delete('namespaces', undefined, 'team');
    await kit.settle();
    const ns = kit.client.get('namespaces', undefined, 'team');
    assert.equal(asRecord(ns?.['status'])['phase'], 'Terminating');
    assert.deepEqual(kit.client.names('configmaps', 'team'), []);
    assert.deepEqual(kit.client.names('deployments', 'team'), []);
    // Pods are terminating (the ReplicaSet may have replaced some before it went: a race real clusters have too).
    const pods = kit.client.list('pods', 'team').items;
    assert.ok(pods.length >= 2);
    assert.ok(pods.every((p) => p.metadata.deletionTimestamp !== undefined));
    await kit.tick(5_000);
    assert.notEqual(kit.client.get('namespaces', undefined, 'team'), undefined, 'waits for terminating pods');
    for (const p of pods) kit.client.finishDeletion('pods', 'team', p.metadata.name ?? '');
    await kit.tick(1_000);
    assert.equal(kit.client.get('namespaces', undefined, 'team'), undefined);
    assert.deepEqual(kit.client.names('configmaps', 'default'), ['keep']);
  } finally {
    await kit.controllers.stop();
  }
});
