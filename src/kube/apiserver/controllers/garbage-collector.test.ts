import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../core/random.js';
import type { KubeObject, OwnerReference } from '../kube-object.js';
import { startKit } from './controllers-test-kit-fake.js';
import { LabControllers } from './index.js';

function configMap(name: string, owners: OwnerReference[], namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ownerReferences: owners },
    data: {},
  };
}

function deployment(name: string, finalizers?: string[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', ...(finalizers ? { finalizers } : {}) },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'img' }] } },
    },
  };
}

const refTo = (obj: KubeObject, uid = obj.metadata.uid ?? ''): OwnerReference => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  name: obj.metadata.name ?? '',
  uid,
});

test('deletes objects whose owners are all gone and drops dangling references when one owner remains', async () => {
  const kit = startKit();
  try {
    const owner = await kit.client.create('configmaps', configMap('owner', []));
    await kit.client.create(
      'configmaps',
      configMap('orphan', [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone', uid: 'uid-missing' }]),
    );
    await kit.client.create('configmaps', configMap('stale-uid', [refTo(owner, 'uid-of-an-older-owner')]));
    await kit.client.create(
      'configmaps',
      configMap('half', [
        refTo(owner),
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone', uid: 'uid-missing' },
      ]),
    );
    await kit.client.create('configmaps', configMap('kept', [refTo(owner)]));
    await kit.client.create(
      'configmaps',
      configMap('unknown-kind', [{ apiVersion: 'example.com/v1', kind: 'Thing', name: 't', uid: 'x' }]),
    );
    await kit.settle();
    assert.deepEqual(kit.client.names('configmaps', 'default'), ['half', 'kept', 'owner', 'unknown-kind']);
    assert.deepEqual(kit.client.get('configmaps', 'default', 'half')?.metadata.ownerReferences, [
      refTo(owner),
    ]);
  } finally {
    await kit.controllers.stop();
  }
});

test('orphans left while no controllers ran are collected at start (after a restart)', async () => {
  const kit = startKit();
  await kit.client.create('deployments', deployment('web'));
  await kit.settle();
  assert.equal(kit.client.list('pods', 'default').items.length, 2);
  await kit.controllers.stop();
  // The Deployment vanishes without cascading (as if the process died mid-delete).
  const rs = kit.client.list('replicasets', 'default').items[0]!;
  await kit.client.update('replicasets', {
    ...rs,
    metadata: {
      ...rs.metadata,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-gone', controller: true },
      ],
    },
  });
  const restarted = new LabControllers(kit.client, { clock: kit.clock, random: new SeededRandom(2) });
  try {
    await kit.client.delete('deployments', 'default', 'web', { propagationPolicy: 'Orphan' });
    await restarted.whenIdle();
    assert.deepEqual(kit.client.names('replicasets', 'default'), []);
    assert.deepEqual(kit.client.names('pods', 'default'), []);
  } finally {
    await restarted.stop();
  }
});

test('foreground deletion removes dependents first, then the foregroundDeletion finalizer', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', ['foregroundDeletion']));
    await kit.settle();
    assert.equal(kit.client.list('pods', 'default').items.length, 2);
    await kit.client.delete('deployments', 'default', 'web');
    await kit.settle();
    assert.deepEqual(kit.client.names('replicasets', 'default'), []);
    assert.deepEqual(kit.client.names('pods', 'default'), []);
    assert.equal(kit.client.get('deployments', 'default', 'web'), undefined);
  } finally {
    await kit.controllers.stop();
  }
});

test('the orphan finalizer strips ownerReferences from dependents and lets the owner go', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', ['orphan']));
    await kit.settle();
    await kit.client.delete('deployments', 'default', 'web');
    await kit.settle();
    assert.equal(kit.client.get('deployments', 'default', 'web'), undefined);
    const [rs] = kit.client.list('replicasets', 'default').items;
    assert.ok(rs);
    assert.deepEqual(rs.metadata.ownerReferences, []);
    assert.equal(kit.client.list('pods', 'default').items.length, 2);
  } finally {
    await kit.controllers.stop();
  }
});
