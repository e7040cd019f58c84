import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePod } from './kube-records.js';

function pod(meta: Record<string, unknown>): unknown {
  return { metadata: { namespace: 'default', ...meta }, spec: {}, status: {} };
}

test('a Deployment pod belongs to the Deployment (ReplicaSet name minus the pod-template-hash)', () => {
  const parsed = parsePod(
    pod({
      name: 'mockb-5d8f9c7b6-x2x9z',
      generateName: 'mockb-5d8f9c7b6-',
      labels: { app: 'mockb', 'pod-template-hash': '5d8f9c7b6' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'mockb-5d8f9c7b6', controller: true }],
    }),
  );
  assert.equal(parsed?.workloadName, 'mockb');
});

test('other controllers, CronJob jobs, the workload-name label and bare pods', () => {
  const owned = (kind: string, owner: string, labels: Record<string, string> = {}) =>
    parsePod(
      pod({
        name: `${owner}-abcde`,
        generateName: `${owner}-`,
        labels,
        ownerReferences: [{ kind, name: owner, controller: true }],
      }),
    )?.workloadName;
  assert.equal(owned('StatefulSet', 'db'), 'db');
  assert.equal(owned('Job', 'backup-28391040'), 'backup');
  assert.equal(owned('Job', 'once'), 'once');
  assert.equal(owned('ReplicationController', 'app-3', { deploymentconfig: 'app' }), 'app');
  assert.equal(owned('ReplicaSet', 'rs-without-hash'), 'rs-without-hash');
  assert.equal(parsePod(pod({ name: 'solo' }))?.workloadName, 'solo');
  // Owner references without a generated name are not followed (Istio GetDeployMetaFromPod).
  assert.equal(
    parsePod(pod({ name: 'named', ownerReferences: [{ kind: 'ReplicaSet', name: 'x', controller: true }] }))
      ?.workloadName,
    'named',
  );
  assert.equal(
    parsePod(pod({ name: 'p', labels: { 'service.istio.io/workload-name': 'custom' } }))?.workloadName,
    'custom',
  );
});
