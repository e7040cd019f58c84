import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import type { Kit } from './controllers-test-kit-fake.js';
import { readyAll, setPodReady, startKit } from './controllers-test-kit-fake.js';
import { asRecord } from './json-fields.js';
import { findCondition } from './deployment-status.js';

function deployment(
  name: string,
  replicas: number,
  image: string,
  strategy?: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(strategy !== undefined ? { strategy } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'default', image }] } },
    },
  };
}

function replicaSets(kit: Kit, deploy = 'web'): KubeObject[] {
  return kit.client
    .list('replicasets', 'default')
    .items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.name === deploy))
    .sort(
      (a, b) =>
        Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) -
        Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']),
    );
}

/** spec.replicas of every ReplicaSet of the deployment by creation order (oldest first). */
function sizes(kit: Kit): number[] {
  return kit.client
    .list('replicasets', 'default')
    .items.sort((a, b) => Number(a.metadata.uid?.slice(4)) - Number(b.metadata.uid?.slice(4)))
    .map((rs) => Number(asRecord(rs['spec'])['replicas']));
}

async function setImage(kit: Kit, name: string, image: string): Promise<void> {
  const d = kit.client.get('deployments', 'default', name)!;
  const spec = structuredClone(asRecord(d['spec']));
  asRecord(spec['template'])['spec'] = { containers: [{ name: 'default', image }] };
  await kit.client.update('deployments', { ...d, spec });
  await kit.settle();
}

async function readyOneNew(kit: Kit): Promise<void> {
  const newest = replicaSets(kit).at(-1)!;
  const pod = kit.client
    .list('pods', 'default')
    .items.find(
      (p) =>
        p.metadata.ownerReferences?.[0]?.uid === newest.metadata.uid &&
        !JSON.stringify(p['status'] ?? {}).includes('"Ready","status":"True"'),
    );
  assert.ok(pod, 'a not-ready pod of the new replica set');
  await setPodReady(kit, pod, true);
  await kit.settle();
}

/** kubectl's DeploymentStatusViewer (`kubectl rollout status`), reading our status. */
function rolloutStatus(kit: Kit, name = 'web'): string {
  const d = kit.client.get('deployments', 'default', name)!;
  const s = asRecord(d['status']);
  const n = (field: string): number => Number(s[field] ?? 0);
  if ((d.metadata.generation ?? 0) > n('observedGeneration'))
    return 'Waiting for deployment spec update to be observed...';
  if (findCondition(s, 'Progressing')?.['reason'] === 'ProgressDeadlineExceeded')
    return 'exceeded its progress deadline';
  const replicas = Number(asRecord(d['spec'])['replicas']);
  if (n('updatedReplicas') < replicas)
    return `${n('updatedReplicas')} out of ${replicas} new replicas have been updated...`;
  if (n('replicas') > n('updatedReplicas'))
    return `${n('replicas') - n('updatedReplicas')} old replicas are pending termination...`;
  if (n('availableReplicas') < n('updatedReplicas'))
    return `${n('availableReplicas')} of ${n('updatedReplicas')} updated replicas are available...`;
  return 'successfully rolled out';
}

function status(kit: Kit, name = 'web'): Record<string, unknown> {
  return kit.client.statusOf('deployments', 'default', name);
}

test('creates <deploy>-<hash> with pod-template-hash, controller ownerReference and revision 1, then completes', async () => {
  const kit = startKit();
  try {
    const d = await kit.client.create('deployments', deployment('web', 2, 'v1'));
    await kit.settle();
    const [rs] = replicaSets(kit);
    assert.ok(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.deepEqual(asRecord(asRecord(rs['spec'])['selector']), {
      matchLabels: { app: 'web', 'pod-template-hash': hash },
    });
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '2');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '3');
    assert.equal(
      kit.client.get('deployments', 'default', 'web')?.metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
      '1',
    );
    for (const pod of kit.client.list('pods', 'default').items)
      assert.equal(pod.metadata.labels?.['pod-template-hash'], hash);
    let s = status(kit);
    assert.equal(findCondition(s, 'Available')?.['reason'], 'MinimumReplicasUnavailable');
    assert.equal(findCondition(s, 'Progressing')?.['reason'], 'ReplicaSetUpdated');
    assert.deepEqual(
      [s['replicas'], s['updatedReplicas'], s['unavailableReplicas'], s['observedGeneration']],
      [2, 2, 2, 1],
    );
    await readyAll(kit);
    s = status(kit);
    assert.deepEqual(
      [
        s['replicas'],
        s['updatedReplicas'],
        s['readyReplicas'],
        s['availableReplicas'],
        s['unavailableReplicas'],
      ],
      [2, 2, 2, 2, undefined],
    );
    assert.equal(findCondition(s, 'Available')?.['status'], 'True');
    assert.equal(findCondition(s, 'Available')?.['reason'], 'MinimumReplicasAvailable');
    assert.equal(findCondition(s, 'Progressing')?.['reason'], 'NewReplicaSetAvailable');
    assert.equal(
      findCondition(s, 'Progressing')?.['message'],
      `ReplicaSet "web-${hash}" has successfully progressed.`,
    );
    const events = kit.client
      .list('events', 'default')
      .items.filter((e) => e['reason'] === 'ScalingReplicaSet')
      .map((e) => e['message']);
    assert.deepEqual(events, [`Scaled up replica set web-${hash} from 0 to 2`]);
  } finally {
    await kit.controllers.stop();
  }
});

test('rolling update with 4 replicas and 25%/25%: surge 1 and unavailable 1 at every step', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 4, 'v1'));
    await kit.settle();
    await readyAll(kit);
    assert.deepEqual(sizes(kit), [4]);
    await setImage(kit, 'web', 'v2');
    // New RS +1 (surge), old RS -1 (unavailable), then the new RS refills the surge: 5 pods, 3 available.
    assert.deepEqual(sizes(kit), [3, 2]);
    assert.equal(kit.client.list('pods', 'default').items.length, 5);
    const steps: number[][] = [];
    for (let i = 0; i < 4; i++) {
      await readyOneNew(kit);
      steps.push(sizes(kit));
    }
    assert.deepEqual(steps, [
      [2, 3],
      [1, 4],
      [0, 4],
      [0, 4],
    ]);
    const s = status(kit);
    assert.deepEqual([s['replicas'], s['updatedReplicas'], s['availableReplicas']], [4, 4, 4]);
    assert.equal(findCondition(s, 'Progressing')?.['reason'], 'NewReplicaSetAvailable');
    assert.equal(
      kit.client.get('deployments', 'default', 'web')?.metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
      '2',
    );
  } finally {
    await kit.controllers.stop();
  }
});

test('rolling update with 1 replica and 25%/25%: surge rounds up to 1, unavailable down to 0', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 1, 'v1'));
    await kit.settle();
    await readyAll(kit);
    await setImage(kit, 'web', 'v2');
    assert.deepEqual(sizes(kit), [1, 1]);
    // The old pod stays until the new one is available (maxUnavailable 0).
    assert.equal(kit.client.list('pods', 'default').items.length, 2);
    let s = status(kit);
    assert.deepEqual([s['replicas'], s['updatedReplicas'], s['availableReplicas']], [2, 1, 1]);
    await readyOneNew(kit);
    assert.deepEqual(sizes(kit), [0, 1]);
    s = status(kit);
    assert.deepEqual([s['replicas'], s['updatedReplicas'], s['availableReplicas']], [1, 1, 1]);
  } finally {
    await kit.controllers.stop();
  }
});

test('rollout undo (template restored) reuses the old ReplicaSet and gives it the next revision', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 1, 'v1'));
    await kit.settle();
    await readyAll(kit);
    const v1 = replicaSets(kit)[0]!;
    await setImage(kit, 'web', 'v2');
    await readyAll(kit);
    assert.equal(replicaSets(kit).length, 2);
    // What kubectl rollout undo sends: the old RS's template without the pod-template-hash label.
    const d = kit.client.get('deployments', 'default', 'web')!;
    const template = structuredClone(asRecord(asRecord(v1['spec'])['template']));
    delete (asRecord(asRecord(template['metadata'])['labels']) as Record<string, unknown>)[
      'pod-template-hash'
    ];
    await kit.client.update('deployments', { ...d, spec: { ...asRecord(d['spec']), template } });
    await kit.settle();
    await readyAll(kit);
    const rss = replicaSets(kit);
    assert.equal(rss.length, 2, 'no third ReplicaSet');
    const reused = kit.client.get('replicasets', 'default', v1.metadata.name ?? '')!;
    assert.equal(reused.metadata.uid, v1.metadata.uid);
    assert.equal(reused.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(asRecord(reused['spec'])['replicas'], 1);
    assert.equal(
      kit.client.get('deployments', 'default', 'web')?.metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
      '3',
    );
    assert.deepEqual(sizes(kit), [1, 0]);
    assert.equal(findCondition(status(kit), 'Progressing')?.['reason'], 'NewReplicaSetAvailable');
  } finally {
    await kit.controllers.stop();
  }
});

test('Recreate scales old ReplicaSets to zero and waits for their pods before creating new ones', async () => {
  const kit = startKit();
  try {
    kit.client.isPodDeletionGraceful = true;
    await kit.client.create('deployments', deployment('web', 2, 'v1', { type: 'Recreate' }));
    await kit.settle();
    await readyAll(kit);
    await setImage(kit, 'web', 'v2');
    assert.deepEqual(sizes(kit), [0]);
    const terminating = kit.client.list('pods', 'default').items;
    assert.equal(terminating.length, 2);
    assert.ok(terminating.every((p) => p.metadata.deletionTimestamp !== undefined));
    kit.client.finishDeletion('pods', 'default', terminating[0]!.metadata.name ?? '');
    await kit.settle();
    assert.deepEqual(sizes(kit), [0]);
    kit.client.finishDeletion('pods', 'default', terminating[1]!.metadata.name ?? '');
    await kit.settle();
    assert.deepEqual(sizes(kit), [0, 2]);
  } finally {
    await kit.controllers.stop();
  }
});

test('revisionHistoryLimit deletes the oldest scaled-down ReplicaSets', async () => {
  const kit = startKit();
  try {
    const d = deployment('web', 1, 'v1');
    asRecord(d['spec'])['revisionHistoryLimit'] = 1;
    await kit.client.create('deployments', d);
    await kit.settle();
    await readyAll(kit);
    for (const image of ['v2', 'v3', 'v4']) {
      await setImage(kit, 'web', image);
      await readyAll(kit);
    }
    const revisions = replicaSets(kit).map(
      (rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
    );
    assert.deepEqual(revisions, ['3', '4']);
  } finally {
    await kit.controllers.stop();
  }
});

test('resizing a deployment in the middle of a rollout scales its ReplicaSets proportionally', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 10, 'v1'));
    await kit.settle();
    await readyAll(kit);
    await setImage(kit, 'web', 'v2');
    // surge 3, unavailable 2: new RS 3, old RS 10 - 2 = 8, new RS refills to 13 - 8 = 5.
    assert.deepEqual(sizes(kit), [8, 5]);
    const d = kit.client.get('deployments', 'default', 'web')!;
    await kit.client.update('deployments', { ...d, spec: { ...asRecord(d['spec']), replicas: 15 } });
    await kit.settle();
    // allowed 15 + 4 = 19, 6 to add: old round(8*19/13)-8 = 4, new min(round(5*19/13)-5, 6-4) = 2.
    assert.deepEqual(sizes(kit), [12, 7]);
    const rs = kit.client.list('replicasets', 'default').items[0]!;
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '15');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '19');
  } finally {
    await kit.controllers.stop();
  }
});

test('a rollout that makes no progress within progressDeadlineSeconds reports ProgressDeadlineExceeded', async () => {
  const kit = startKit();
  try {
    const d = deployment('web', 1, 'v1');
    asRecord(d['spec'])['progressDeadlineSeconds'] = 60;
    await kit.client.create('deployments', d);
    await kit.settle();
    assert.equal(findCondition(status(kit), 'Progressing')?.['status'], 'True');
    await kit.tick(30_000);
    assert.equal(findCondition(status(kit), 'Progressing')?.['status'], 'True');
    await kit.tick(32_000);
    const cond = findCondition(status(kit), 'Progressing');
    assert.equal(cond?.['status'], 'False');
    assert.equal(cond?.['reason'], 'ProgressDeadlineExceeded');
    assert.match(String(cond?.['message']), /^ReplicaSet "web-\w+" has timed out progressing\.$/);
  } finally {
    await kit.controllers.stop();
  }
});

test('scaling a complete deployment resizes its only ReplicaSet', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 1, 'v1'));
    await kit.settle();
    await readyAll(kit);
    const d = kit.client.get('deployments', 'default', 'web')!;
    await kit.client.update('deployments', { ...d, spec: { ...asRecord(d['spec']), replicas: 3 } });
    await kit.settle();
    assert.deepEqual(sizes(kit), [3]);
    assert.equal(kit.client.list('pods', 'default').items.length, 3);
    assert.equal(rolloutStatus(kit), '1 of 3 updated replicas are available...');
    await readyAll(kit);
    assert.equal(rolloutStatus(kit), 'successfully rolled out');
    const events = kit.client
      .list('events', 'default')
      .items.filter((e) => e['reason'] === 'ScalingReplicaSet');
    assert.match(String(events.at(-1)?.['message']), /^Scaled up replica set web-\w+ from 1 to 3$/);
  } finally {
    await kit.controllers.stop();
  }
});

test('a paused deployment does not roll out a template change until resumed', async () => {
  const kit = startKit();
  try {
    await kit.client.create('deployments', deployment('web', 1, 'v1'));
    await kit.settle();
    await readyAll(kit);
    let d = kit.client.get('deployments', 'default', 'web')!;
    await kit.client.update('deployments', { ...d, spec: { ...asRecord(d['spec']), paused: true } });
    await setImage(kit, 'web', 'v2');
    assert.deepEqual(sizes(kit), [1]);
    d = kit.client.get('deployments', 'default', 'web')!;
    assert.equal(asRecord(d['status'])['observedGeneration'], d.metadata.generation);
    assert.equal(findCondition(asRecord(d['status']), 'Progressing')?.['reason'], 'DeploymentPaused');
    assert.equal(findCondition(asRecord(d['status']), 'Progressing')?.['status'], 'Unknown');
    await kit.client.update('deployments', { ...d, spec: { ...asRecord(d['spec']), paused: false } });
    await kit.settle();
    assert.deepEqual(sizes(kit), [1, 1]);
    assert.equal(findCondition(status(kit), 'Progressing')?.['reason'], 'ReplicaSetUpdated');
    await readyAll(kit);
    assert.equal(rolloutStatus(kit), 'successfully rolled out');
  } finally {
    await kit.controllers.stop();
  }
});
