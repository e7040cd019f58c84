import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import { readyAll, setPodReady, startKit } from './controllers-test-kit-fake.js';

function replicaSet(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'img' }] } },
      ...extra,
    },
  };
}

test('creates pods named <rs>-<5 chars> with a controller ownerReference and reports status', async () => {
  const kit = startKit();
  try {
    const rs = await kit.client.create('replicasets', replicaSet('web', 3));
    await kit.settle();
    const pods = kit.client.list('pods', 'default').items;
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.match(pod.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(pod.metadata.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.deepEqual(pod.metadata.labels, { app: 'web' });
    }
    let status = kit.client.statusOf('replicasets', 'default', 'web');
    assert.deepEqual(
      [
        status['replicas'],
        status['readyReplicas'],
        status['availableReplicas'],
        status['fullyLabeledReplicas'],
        status['observedGeneration'],
      ],
      [3, undefined, undefined, 3, 1],
    );
    await readyAll(kit);
    status = kit.client.statusOf('replicasets', 'default', 'web');
    assert.deepEqual([status['readyReplicas'], status['availableReplicas']], [3, 3]);
    const events = kit.client
      .list('events', 'default')
      .items.filter((e) => e['reason'] === 'SuccessfulCreate');
    assert.equal(events.length, 3);
    assert.match(String(events[0]?.['message']), /^Created pod: web-/);
  } finally {
    await kit.controllers.stop();
  }
});

test('scaling down deletes not-ready pods before ready ones', async () => {
  const kit = startKit();
  try {
    const rs = await kit.client.create('replicasets', replicaSet('web', 3));
    await kit.settle();
    const [a, b] = kit.client.list('pods', 'default').items;
    assert.ok(a !== undefined && b !== undefined);
    await setPodReady(kit, a, true);
    await setPodReady(kit, b, true);
    await kit.settle();
    await kit.client.update('replicasets', {
      ...rs,
      metadata: { ...kit.client.get('replicasets', 'default', 'web')!.metadata },
      spec: { ...(rs['spec'] as object), replicas: 2 },
    });
    await kit.settle();
    assert.deepEqual(kit.client.names('pods', 'default').sort(), [a.metadata.name, b.metadata.name].sort());
    const status = kit.client.statusOf('replicasets', 'default', 'web');
    assert.deepEqual([status['replicas'], status['observedGeneration']], [2, 2]);
    assert.ok(kit.client.list('events', 'default').items.some((e) => e['reason'] === 'SuccessfulDelete'));
  } finally {
    await kit.controllers.stop();
  }
});

test('availableReplicas waits minReadySeconds after readiness', async () => {
  const kit = startKit();
  try {
    await kit.client.create('replicasets', replicaSet('web', 1, { minReadySeconds: 10 }));
    await kit.settle();
    await readyAll(kit);
    let status = kit.client.statusOf('replicasets', 'default', 'web');
    assert.deepEqual([status['readyReplicas'], status['availableReplicas']], [1, undefined]);
    await kit.tick(9_000);
    assert.equal(kit.client.statusOf('replicasets', 'default', 'web')['availableReplicas'], undefined);
    await kit.tick(1_500);
    status = kit.client.statusOf('replicasets', 'default', 'web');
    assert.equal(status['availableReplicas'], 1);
  } finally {
    await kit.controllers.stop();
  }
});

test('a conflict on the status write is retried after a back-off, and stop() closes every watch', async () => {
  const kit = startKit();
  await kit.client.create('replicasets', replicaSet('web', 1));
  kit.client.injectConflicts('replicasets', 3);
  await kit.settle();
  assert.equal(kit.client.statusOf('replicasets', 'default', 'web')['replicas'], undefined);
  assert.match(String(kit.controllers.lastErrors().get('replicaset default/web')), /Conflict|conflict/);
  await kit.tick(10);
  assert.equal(kit.client.statusOf('replicasets', 'default', 'web')['replicas'], undefined);
  await kit.tick(100);
  assert.equal(kit.client.statusOf('replicasets', 'default', 'web')['replicas'], 1);
  assert.equal(kit.client.list('pods', 'default').items.length, 1);
  await kit.controllers.stop();
  assert.equal(kit.client.watchCount(), 0);
  assert.equal(kit.clock.pendingCount(), 0);
});
