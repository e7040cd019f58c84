/**
 * The controllers against the real in-process API (ObjectStore + ObjectService + ObjectDeletion via
 * LocalObjectClient) instead of the fake: the seed walkthrough must behave the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { FakeClock } from '../../../core/clock.js';
import { SeededRandom } from '../../../core/random.js';
import type { KubeObject } from '../kube-object.js';
import { LocalObjectClient } from '../local-object-client.js';
import { ObjectDeletion } from '../object-deletion.js';
import { ObjectService } from '../object-service.js';
import { resourceForKind } from '../resource-registry.js';
import { ObjectStore } from '../store/object-store.js';
import { findCondition } from './deployment-status.js';
import { LabControllers } from './index.js';
import { asArray, asRecord } from './json-fields.js';

const ZONE = 'topology.kubernetes.io/zone';

function nowIso(clock: FakeClock): string {
  return new Date(clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
}

test('seed walkthrough on the real in-process API: zones, rollout, endpoint slices, undo, cascade', async () => {
  const clock = new FakeClock();
  const random = new SeededRandom(3);
  const store = new ObjectStore();
  const service = new ObjectService({ store, clock, random });
  const client = new LocalObjectClient(service, new ObjectDeletion(service));
  await client.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const controllers = new LabControllers(client, { clock, random: new SeededRandom(4) });
  const settle = (): Promise<void> => controllers.whenIdle();
  let ip = 0;
  const readyAll = async (): Promise<void> => {
    for (const pod of client.list('pods', 'default').items) {
      const status = asRecord(pod['status']);
      if (asArray(status['conditions']).some((c) => asRecord(c)['type'] === 'Ready')) continue;
      ip += 1;
      await client.updateStatus('pods', {
        ...pod,
        status: {
          ...status,
          phase: 'Running',
          podIP: `10.2.0.${ip}`,
          conditions: [
            ...asArray(status['conditions']),
            { type: 'Ready', status: 'True', lastTransitionTime: nowIso(clock) },
          ],
        },
      });
    }
    await settle();
  };
  try {
    for (const [i, zone] of [
      'ap-northeast-1a',
      'ap-northeast-1a',
      'ap-northeast-1b',
      'ap-northeast-1b',
    ].entries()) {
      await client.create('nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${i}`, labels: { [ZONE]: zone } },
      });
    }
    for (const doc of parseAllDocuments(readFileSync('/work/shared/seed/cluster-2-app.yaml', 'utf8'))) {
      const obj = doc.toJS() as KubeObject;
      const resource = resourceForKind(obj.apiVersion, obj.kind);
      assert.ok(resource);
      await client.create(resource.plural, { ...obj, metadata: { ...obj.metadata, namespace: 'default' } });
    }
    await settle();
    assert.deepEqual([...controllers.lastErrors().keys()], []);
    const pods = client.list('pods', 'default').items;
    assert.equal(pods.length, 6);
    for (const pod of pods) {
      const spec = asRecord(pod['spec']);
      const node = client.get('nodes', undefined, String(spec['nodeName']));
      assert.equal(node?.metadata.labels?.[ZONE], asRecord(spec['nodeSelector'])[ZONE]);
    }
    await readyAll();
    for (const d of client.list('deployments', 'default').items) {
      assert.equal(
        findCondition(asRecord(d['status']), 'Progressing')?.['reason'],
        'NewReplicaSetAvailable',
        d.metadata.name,
      );
    }
    const slice = client.list('endpointslices', 'default', {
      labelSelector: 'kubernetes.io/service-name=mockb',
    }).items;
    assert.equal(slice.length, 1);
    assert.equal(asArray(slice[0]?.['endpoints']).length, 2);

    // Drill, then undo.
    const name = 'mockb-ap-northeast-1a';
    const oldRS = client
      .list('replicasets', 'default')
      .items.find((rs) => (rs.metadata.name ?? '').startsWith(`${name}-`))!;
    const d = client.get('deployments', 'default', name)!;
    const spec = structuredClone(asRecord(d['spec']));
    const c = asRecord(asArray(asRecord(asRecord(spec['template'])['spec'])['containers'])[0]);
    c['image'] = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';
    c['command'] = ['sleep', '36000'];
    await client.update('deployments', { ...d, spec });
    await settle();
    await readyAll();
    const rolled = client
      .list('pods', 'default')
      .items.filter((p) => (p.metadata.name ?? '').startsWith(`${name}-`));
    assert.equal(rolled.length, 1);
    assert.deepEqual(asRecord(asArray(asRecord(rolled[0]?.['spec'])['containers'])[0])['command'], [
      'sleep',
      '36000',
    ]);
    const current = client.get('deployments', 'default', name)!;
    const template = structuredClone(asRecord(asRecord(oldRS['spec'])['template']));
    delete asRecord(asRecord(template['metadata'])['labels'])['pod-template-hash'];
    await client.update('deployments', { ...current, spec: { ...asRecord(current['spec']), template } });
    await settle();
    await readyAll();
    const back = client.get('replicasets', 'default', oldRS.metadata.name ?? '')!;
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(asRecord(back['spec'])['replicas'], 1);
    assert.equal(asRecord(back['status'])['availableReplicas'], 1);

    // Deleting the deployment cascades (storage) and the slices follow the pods.
    await client.delete('deployments', 'default', name);
    await settle();
    assert.equal(
      client.list('pods', 'default').items.filter((p) => (p.metadata.name ?? '').startsWith(`${name}-`))
        .length,
      0,
    );
    const after = client.list('endpointslices', 'default', {
      labelSelector: 'kubernetes.io/service-name=mockb',
    }).items;
    assert.equal(asArray(after[0]?.['endpoints']).length, 1);
    assert.deepEqual([...controllers.lastErrors().keys()], []);
    // No conflicts or errors along the way, and no reconcile storm.
    for (const [loop, stats] of Object.entries(controllers.stats())) {
      assert.equal(stats.failures, 0, loop);
      assert.ok(stats.reconciles < 200, `${loop}: ${stats.reconciles} reconciles`);
    }
  } finally {
    await controllers.stop();
    store.close();
  }
});
