import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { SeededRandom } from '../../core/random.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import { LocalObjectClient } from './local-object-client.js';
import { ObjectDeletion } from './object-deletion.js';
import { ObjectService } from './object-service.js';
import { resourceByPlural } from './resource-registry.js';
import { ObjectStore } from './store/object-store.js';

function rt(plural: string): ResourceType {
  const r = resourceByPlural(plural);
  if (r === undefined) throw new Error(plural);
  return r;
}

function setup(): {
  service: ObjectService;
  deletion: ObjectDeletion;
  client: LocalObjectClient;
  store: ObjectStore;
} {
  const store = new ObjectStore();
  const service = new ObjectService({ store, clock: new FakeClock(), random: new SeededRandom(7) });
  const deletion = new ObjectDeletion(service);
  service.create(rt('namespaces'), 'v1', undefined, { metadata: { name: 'default' } });
  return { service, deletion, client: new LocalObjectClient(service, deletion), store };
}

function owned(kind: string, apiVersion: string, name: string, owner?: KubeObject): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace: 'default',
      ...(owner !== undefined
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name: owner.metadata.name ?? '',
                uid: owner.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: validSpec(kind),
  };
}

/** A spec that Kubernetes validation accepts, so these tests exercise only bookkeeping and deletion. */
function validSpec(kind: string): Record<string, unknown> {
  const podSpec = { containers: [{ name: 'main', image: 'example/app:1' }] };
  if (kind === 'Pod') return podSpec;
  if (kind === 'Deployment' || kind === 'ReplicaSet') {
    return {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
    };
  }
  return {};
}

async function chain(
  client: LocalObjectClient,
): Promise<{ deploy: KubeObject; rs: KubeObject; pod: KubeObject }> {
  const deploy = await client.create('deployments', owned('Deployment', 'apps/v1', 'web'));
  const rs = await client.create('replicasets', owned('ReplicaSet', 'apps/v1', 'web-1', deploy));
  const pod = await client.create('pods', owned('Pod', 'v1', 'web-1-a', rs));
  return { deploy, rs, pod };
}

describe('object bookkeeping', () => {
  test('create assigns uid, creationTimestamp, generation 1 and resets a pod to Pending', async () => {
    const { client } = setup();
    const pod = await client.create('pods', { ...owned('Pod', 'v1', 'p'), status: { phase: 'Running' } });
    assert.match(pod.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
    assert.equal(pod.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(pod.metadata.generation, 1);
    assert.deepEqual(pod['status'], { phase: 'Pending' });
  });

  test('generateName appends five random characters', async () => {
    const { client } = setup();
    const cm = await client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'cfg-', namespace: 'default' },
    });
    assert.match(cm.metadata.name ?? '', /^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('creating in a missing namespace is 404 and a duplicate is 409 AlreadyExists', async () => {
    const { client } = setup();
    await assert.rejects(
      client.create('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: 'nope' },
      }),
      (e: unknown) =>
        e instanceof KubeApiError && e.code === 404 && e.message === 'namespaces "nope" not found',
    );
    await client.create('deployments', owned('Deployment', 'apps/v1', 'web'));
    await assert.rejects(
      client.create('deployments', owned('Deployment', 'apps/v1', 'web')),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.reason === 'AlreadyExists' &&
        e.message === 'deployments.apps "web" already exists',
    );
  });

  test('an update with a stale resourceVersion is 409 Conflict; generation moves only on spec changes', async () => {
    const { client } = setup();
    const d = await client.create('deployments', owned('Deployment', 'apps/v1', 'web'));
    const labelled = await client.update('deployments', {
      ...d,
      metadata: { ...d.metadata, labels: { a: 'b' } },
    });
    assert.equal(labelled.metadata.generation, 1);
    const scaled = await client.update('deployments', {
      ...labelled,
      spec: { ...(labelled['spec'] as object), replicas: 3 },
    });
    assert.equal(scaled.metadata.generation, 2);
    await assert.rejects(
      client.update('deployments', { ...d, spec: { ...(d['spec'] as object), replicas: 5 } }),
      (e: unknown) =>
        e instanceof KubeApiError && e.code === 409 && /the object has been modified/.test(e.message),
    );
    const status = await client.updateStatus('deployments', {
      ...scaled,
      status: { replicas: 3 },
      spec: { ...(scaled['spec'] as object), replicas: 9 },
    });
    assert.equal((status['spec'] as { replicas: number }).replicas, 3);
    assert.deepEqual(status['status'], { replicas: 3 });
    assert.equal(status.metadata.generation, 2);
  });

  test('an update that changes nothing writes nothing', async () => {
    const { client, store } = setup();
    const cm = await client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
    });
    const rv = store.currentRv();
    const same = await client.update('configmaps', cm);
    assert.equal(same.metadata.resourceVersion, cm.metadata.resourceVersion);
    assert.equal(store.currentRv(), rv);
  });
});

describe('deletion', () => {
  test('background deletion of a Deployment removes its ReplicaSets and Pods', async () => {
    const { client } = setup();
    await chain(client);
    await client.delete('deployments', 'default', 'web');
    assert.equal(client.get('deployments', 'default', 'web'), undefined);
    assert.equal(client.get('replicasets', 'default', 'web-1'), undefined);
    assert.equal(client.get('pods', 'default', 'web-1-a'), undefined);
  });

  test('orphan deletion keeps dependents and removes their owner reference', async () => {
    const { client } = setup();
    await chain(client);
    await client.delete('deployments', 'default', 'web', { propagationPolicy: 'Orphan' });
    const rs = client.get('replicasets', 'default', 'web-1');
    assert.equal(rs?.metadata.ownerReferences, undefined);
    assert.notEqual(client.get('pods', 'default', 'web-1-a'), undefined);
  });

  test('a finalizer keeps a deleted object (with deletionTimestamp) until it is removed', async () => {
    const { client } = setup();
    const cm = await client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] },
    });
    await client.delete('configmaps', 'default', 'held');
    const marked = client.get('configmaps', 'default', 'held');
    assert.equal(marked?.metadata.deletionTimestamp, '2026-01-01T00:00:00Z');
    assert.ok(marked !== undefined);
    await client.update('configmaps', { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    assert.equal(client.get('configmaps', 'default', 'held'), undefined);
    void cm;
  });

  test('foreground deletion waits for a dependent held by a finalizer, then removes the owner', async () => {
    const { client } = setup();
    const { rs } = await chain(client);
    const pod = client.get('pods', 'default', 'web-1-a');
    assert.ok(pod !== undefined);
    await client.update('pods', { ...pod, metadata: { ...pod.metadata, finalizers: ['example.com/hold'] } });
    await client.delete('replicasets', 'default', 'web-1', { propagationPolicy: 'Foreground' });
    const waiting = client.get('replicasets', 'default', 'web-1');
    assert.deepEqual(waiting?.metadata.finalizers, ['foregroundDeletion']);
    assert.notEqual(waiting?.metadata.deletionTimestamp, undefined);
    const heldPod = client.get('pods', 'default', 'web-1-a');
    assert.ok(heldPod !== undefined);
    await client.update('pods', { ...heldPod, metadata: { ...heldPod.metadata, finalizers: [] } });
    assert.equal(client.get('pods', 'default', 'web-1-a'), undefined);
    assert.equal(client.get('replicasets', 'default', rs.metadata.name ?? ''), undefined);
  });

  test('a dependent whose owners are all gone is collected by the orphan sweep', async () => {
    const { client, deletion } = setup();
    const ghost = {
      ...owned('ConfigMap', 'v1', 'gone'),
      metadata: { name: 'gone', namespace: 'default', uid: 'no-such-uid' },
    };
    await client.create('pods', owned('Pod', 'v1', 'orphan', ghost as KubeObject));
    deletion.sweepOrphans();
    assert.equal(client.get('pods', 'default', 'orphan'), undefined);
  });

  test('the default namespace may not be deleted', async () => {
    const { client } = setup();
    await assert.rejects(
      client.delete('namespaces', undefined, 'default'),
      (e: unknown) => e instanceof KubeApiError && e.code === 403,
    );
  });

  test('in-process watches deliver events in resourceVersion order after the write returns', async () => {
    const { client } = setup();
    const seen: string[] = [];
    const start = client.list('pods', 'default').resourceVersion;
    const handle = client.watch('pods', 'default', start, (e) =>
      seen.push(`${e.type}:${e.object.metadata.resourceVersion}`),
    );
    await chain(client);
    await client.delete('deployments', 'default', 'web');
    await new Promise((resolve) => setImmediate(resolve));
    handle.stop();
    assert.equal(seen.length, 2);
    assert.match(seen[0] ?? '', /^ADDED:/);
    assert.match(seen[1] ?? '', /^DELETED:/);
    const rvs = seen.map((s) => Number(s.split(':')[1]));
    assert.ok((rvs[0] ?? 0) < (rvs[1] ?? 0));
  });
});
