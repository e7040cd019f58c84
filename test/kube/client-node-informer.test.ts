/**
 * `@kubernetes/client-node` 1.4 against the lab API server: typed API calls, and an informer that
 * sees every change in resourceVersion order and relists (on 410 Gone) after an API server restart
 * without missing anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import type { KubeObject } from '../../src/kube/apiserver/kube-object.js';
import { waitFor } from '../support/wait-for.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'example/app:1' }] },
  };
}

/** The same pod as a plain object for the in-process client. */
function podObject(name: string): KubeObject {
  return { ...(pod(name) as unknown as KubeObject), metadata: { name, namespace: 'default' } };
}

function configMap(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} };
}

interface Recorded {
  readonly informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  readonly events: string[];
  readonly rvs: number[];
  lists: number;
  stop(): Promise<void>;
}

/** Starts a pod informer that records events and, like a controller would, restarts after errors. */
async function recordPods(kc: KubeConfig): Promise<Recorded> {
  const core = kc.makeApiClient(CoreV1Api);
  let isStopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const recorded: Recorded = {
    events: [],
    rvs: [],
    lists: 0,
    informer: makeInformer(kc, '/api/v1/namespaces/default/pods', () => {
      recorded.lists++;
      return core.listNamespacedPod({ namespace: 'default' });
    }),
    stop: async () => {
      isStopped = true;
      clearTimeout(restartTimer);
      await recorded.informer.stop();
    },
  };
  const note = (type: string) => (p: V1Pod) => {
    recorded.events.push(`${type} ${p.metadata?.name ?? ''}`);
    recorded.rvs.push(Number(p.metadata?.resourceVersion));
  };
  recorded.informer.on('add', note('add'));
  recorded.informer.on('update', note('update'));
  recorded.informer.on('delete', note('delete'));
  recorded.informer.on('error', () => {
    // client-node stops an informer on errors other than 410 (e.g. the server restarting).
    // The check repeats when the timer fires: a restart scheduled just before stop() must not run
    // (a watch started after stop keeps the test process alive).
    if (isStopped) return;
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      if (!isStopped) void recorded.informer.start().catch(() => {});
    }, 100);
  });
  await recorded.informer.start();
  return recorded;
}

describe('@kubernetes/client-node against the lab API server', () => {
  let cluster: TestCluster;
  let kc: KubeConfig;

  before(async () => {
    cluster = await startTestCluster({ address: '127.31.0.2' });
    kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
  });

  after(async () => {
    await cluster.close();
  });

  test('CoreV1Api creates, reads and lists through the kubeconfig the server wrote', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: pod('api-1', { app: 'x' }),
    });
    assert.equal(created.metadata?.name, 'api-1');
    assert.equal(created.status?.phase, 'Pending');
    const read = await core.readNamespacedPod({ namespace: 'default', name: 'api-1' });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=x' });
    assert.deepEqual(
      list.items.map((p) => p.metadata?.name),
      ['api-1'],
    );
    await assert.rejects(core.readNamespacedPod({ namespace: 'default', name: 'nope' }), /404|not found/i);
    await core.deleteNamespacedPod({ namespace: 'default', name: 'api-1' });
  });

  test('an informer sees add, update and delete in resourceVersion order', async () => {
    const recorded = await recordPods(kc);
    try {
      const client = cluster.server.client;
      await client.create('pods', podObject('inf-1'));
      await client.create('pods', podObject('inf-2'));
      const p1 = client.get('pods', 'default', 'inf-1');
      assert.ok(p1 !== undefined);
      await client.update('pods', { ...p1, metadata: { ...p1.metadata, labels: { touched: 'yes' } } });
      await client.delete('pods', 'default', 'inf-2');
      await waitFor('four informer events', () => recorded.events.length >= 4);
      assert.deepEqual(recorded.events, ['add inf-1', 'add inf-2', 'update inf-1', 'delete inf-2']);
      const sorted = [...recorded.rvs].sort((a, b) => a - b);
      assert.deepEqual(recorded.rvs, sorted);
      assert.equal(new Set(recorded.rvs).size, recorded.rvs.length);
    } finally {
      await recorded.stop();
    }
  });

  test('after an API server restart the informer relists (410 Gone) and misses nothing', async () => {
    const recorded = await recordPods(kc);
    try {
      await waitFor(
        'the initial list',
        () => recorded.lists >= 1 && recorded.informer.list('default').length > 0,
      );
      const listsBefore = recorded.lists;
      // Writes to another resource move the cluster's resourceVersion past the informer's last pod
      // event; after the restart the server's history starts there, so resuming is 410 Gone.
      for (let i = 0; i < 3; i++) await cluster.server.client.create('configmaps', configMap(`bump-${i}`));
      await cluster.restart();
      const client = cluster.server.client;
      await client.delete('pods', 'default', 'inf-1');
      await client.create('pods', podObject('after'));
      await waitFor(
        'the informer to catch up after the restart',
        () => {
          const names = recorded.informer.list('default').map((p: V1Pod) => p.metadata?.name);
          return names.length === 1 && names[0] === 'after';
        },
        { timeoutMs: 20_000 },
      );
      assert.ok(recorded.lists > listsBefore, 'the informer relisted');
      assert.ok(recorded.events.includes('delete inf-1'));
      assert.ok(recorded.events.includes('add after'));
    } finally {
      await recorded.stop();
    }
  });
});
