/**
 * The seed walkthrough at the controller level: cluster-2's Services and Deployments on Nodes in two
 * zones, then the drill (new image + command, then rollout undo).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../kube-object.js';
import { resourceForKind } from '../resource-registry.js';
import type { Kit } from './controllers-test-kit-fake.js';
import { readyAll, startKit } from './controllers-test-kit-fake.js';
import { findCondition } from './deployment-status.js';
import { asArray, asRecord } from './json-fields.js';

const seedFile = '/work/shared/seed/cluster-2-app.yaml';
const ZONE = 'topology.kubernetes.io/zone';

async function applySeed(kit: Kit): Promise<void> {
  for (const [i, zone] of [
    'ap-northeast-1a',
    'ap-northeast-1a',
    'ap-northeast-1b',
    'ap-northeast-1b',
  ].entries()) {
    await kit.client.create('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}`, labels: { [ZONE]: zone } },
    });
  }
  for (const doc of parseAllDocuments(readFileSync(seedFile, 'utf8'))) {
    const obj = doc.toJS() as KubeObject;
    const resource = resourceForKind(obj.apiVersion, obj.kind);
    assert.ok(resource, `${obj.apiVersion} ${obj.kind} is served`);
    await kit.client.create(resource.plural, { ...obj, metadata: { ...obj.metadata, namespace: 'default' } });
  }
  await kit.settle();
}

function zoneOfNode(kit: Kit, node: string): string | undefined {
  return kit.client.get('nodes', undefined, node)?.metadata.labels?.[ZONE];
}

function podsOf(kit: Kit, deployment: string): KubeObject[] {
  return kit.client
    .list('pods', 'default')
    .items.filter((p) => (p.metadata.name ?? '').startsWith(`${deployment}-`));
}

function container(pod: KubeObject): Record<string, unknown> {
  return asRecord(asArray(asRecord(pod['spec'])['containers'])[0]);
}

test('seed: pods land in their nodeSelector zone, deployments complete, slices list both zones', async () => {
  const kit = startKit(7);
  try {
    await applySeed(kit);
    const pods = kit.client.list('pods', 'default').items;
    assert.equal(pods.length, 6);
    for (const pod of pods) {
      const spec = asRecord(pod['spec']);
      assert.equal(
        zoneOfNode(kit, String(spec['nodeName'])),
        asRecord(spec['nodeSelector'])[ZONE],
        pod.metadata.name,
      );
    }
    await readyAll(kit);
    for (const d of kit.client.list('deployments', 'default').items) {
      const status = asRecord(d['status']);
      assert.equal(status['availableReplicas'], 1, d.metadata.name);
      assert.equal(findCondition(status, 'Progressing')?.['reason'], 'NewReplicaSetAvailable');
      assert.equal(findCondition(status, 'Available')?.['status'], 'True');
    }
    for (const svc of ['mocka', 'mockb', 'mockc']) {
      const slices = kit.client.list('endpointslices', 'default', {
        labelSelector: `kubernetes.io/service-name=${svc}`,
      }).items;
      assert.equal(slices.length, 1, svc);
      assert.deepEqual(slices[0]?.['ports'], [{ name: 'http', port: 8000, protocol: 'TCP' }]);
      const eps = asArray(slices[0]?.['endpoints']).map(asRecord);
      assert.deepEqual(eps.map((e) => e['zone']).sort(), ['ap-northeast-1a', 'ap-northeast-1b']);
      assert.ok(eps.every((e) => asRecord(e['conditions'])['ready'] === true));
    }
    // Settled means settled: ten quiet minutes write nothing.
    const writes = kit.client.actions.length;
    await kit.tick(600_000);
    assert.equal(kit.client.actions.length, writes, kit.client.actions.slice(writes).join('\n'));
  } finally {
    await kit.controllers.stop();
  }
});

test('seed drill: new image + command rolls to a new pod; rollout undo brings the old template and ReplicaSet back', async () => {
  const kit = startKit(11);
  try {
    await applySeed(kit);
    await readyAll(kit);
    const name = 'mockb-ap-northeast-1a';
    const [oldPod] = podsOf(kit, name);
    assert.ok(oldPod);
    const oldRS = kit.client
      .list('replicasets', 'default')
      .items.find((rs) => (rs.metadata.name ?? '').startsWith(`${name}-`))!;
    // kubectl set image + kubectl patch adding command.
    const d = kit.client.get('deployments', 'default', name)!;
    const spec = structuredClone(asRecord(d['spec']));
    const c = asRecord(asArray(asRecord(asRecord(spec['template'])['spec'])['containers'])[0]);
    c['image'] = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';
    c['command'] = ['sleep', '36000'];
    await kit.client.update('deployments', { ...d, spec });
    await kit.settle();
    assert.equal(podsOf(kit, name).length, 2, 'surge pod next to the old one');
    await readyAll(kit);
    const [newPod] = podsOf(kit, name);
    assert.ok(newPod && newPod.metadata.name !== oldPod.metadata.name);
    assert.equal(container(newPod)['image'], 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2');
    assert.deepEqual(container(newPod)['command'], ['sleep', '36000']);
    assert.equal(zoneOfNode(kit, String(asRecord(newPod['spec'])['nodeName'])), 'ap-northeast-1a');
    const slice = kit.client.list('endpointslices', 'default', {
      labelSelector: 'kubernetes.io/service-name=mockb',
    }).items[0]!;
    assert.deepEqual(
      asArray(slice['endpoints'])
        .map((e) => asRecord(asRecord(e)['targetRef'])['name'])
        .sort(),
      [newPod.metadata.name, podsOf(kit, 'mockb-ap-northeast-1b')[0]?.metadata.name].sort(),
    );

    // kubectl rollout undo: the template of the previous revision, hash label removed.
    const current = kit.client.get('deployments', 'default', name)!;
    const template = structuredClone(asRecord(asRecord(oldRS['spec'])['template']));
    delete asRecord(asRecord(template['metadata'])['labels'])['pod-template-hash'];
    await kit.client.update('deployments', { ...current, spec: { ...asRecord(current['spec']), template } });
    await kit.settle();
    await readyAll(kit);
    const [restored] = podsOf(kit, name);
    assert.ok(restored);
    assert.equal(
      restored.metadata.labels?.['pod-template-hash'],
      oldRS.metadata.labels?.['pod-template-hash'],
    );
    assert.equal(container(restored)['command'], undefined);
    assert.equal(
      kit.client.get('replicasets', 'default', oldRS.metadata.name ?? '')?.metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
      '3',
    );
    assert.equal(
      kit.client
        .list('replicasets', 'default')
        .items.filter((rs) => (rs.metadata.name ?? '').startsWith(`${name}-`)).length,
      2,
    );
  } finally {
    await kit.controllers.stop();
  }
});
