import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import type { Kit } from './controllers-test-kit-fake.js';
import { startKit } from './controllers-test-kit-fake.js';
import { asArray, asRecord } from './json-fields.js';

function node(
  name: string,
  zone: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone, ...labels },
    },
    spec,
  };
}

function pod(
  name: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = { app: 'x' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'img' }], ...spec },
  };
}

async function withNodes(kit: Kit, nodes: KubeObject[]): Promise<void> {
  for (const n of nodes) await kit.client.create('nodes', n);
}

function nodeOf(kit: Kit, name: string): string {
  return String(asRecord(kit.client.get('pods', 'default', name)?.['spec'])['nodeName'] ?? '');
}

function scheduledCondition(kit: Kit, name: string): Record<string, unknown> | undefined {
  return asArray(asRecord(kit.client.get('pods', 'default', name)?.['status'])['conditions'])
    .map(asRecord)
    .find((c) => c['type'] === 'PodScheduled');
}

const seedNodes = (): KubeObject[] => [
  node('node-a1', 'ap-northeast-1a'),
  node('node-a2', 'ap-northeast-1a'),
  node('node-b1', 'ap-northeast-1b'),
  node('node-b2', 'ap-northeast-1b'),
];

test('binds pods to nodes of the zone their nodeSelector names, with PodScheduled=True and a Scheduled event', async () => {
  const kit = startKit();
  try {
    await withNodes(kit, seedNodes());
    for (let i = 0; i < 6; i++) {
      await kit.client.create(
        'pods',
        pod(`p${i}`, {
          nodeSelector: {
            'topology.kubernetes.io/zone': i % 2 === 0 ? 'ap-northeast-1a' : 'ap-northeast-1b',
          },
        }),
      );
    }
    await kit.settle();
    for (let i = 0; i < 6; i++) assert.match(nodeOf(kit, `p${i}`), i % 2 === 0 ? /^node-a/ : /^node-b/);
    // Spreads across the zone's nodes by pod count.
    const onA1 = [0, 2, 4].filter((i) => nodeOf(kit, `p${i}`) === 'node-a1').length;
    assert.ok(onA1 === 1 || onA1 === 2);
    assert.equal(scheduledCondition(kit, 'p0')?.['status'], 'True');
    const event = kit.client
      .list('events', 'default')
      .items.find((e) => e['reason'] === 'Scheduled' && asRecord(e['involvedObject'])['name'] === 'p0');
    assert.equal(event?.['message'], `Successfully assigned default/p0 to ${nodeOf(kit, 'p0')}`);
    assert.deepEqual(asRecord(event?.['source']), { component: 'default-scheduler' });
  } finally {
    await kit.controllers.stop();
  }
});

test('required node affinity: In, NotIn, Exists, DoesNotExist, Gt and Lt', async () => {
  const kit = startKit();
  try {
    await withNodes(kit, [
      node('n1', 'z1', {}, { disk: 'ssd', cores: '4' }),
      node('n2', 'z1', {}, { disk: 'hdd', cores: '16' }),
      node('n3', 'z2', {}, { cores: '8' }),
    ]);
    const affinity = (exprs: unknown[]): Record<string, unknown> => ({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: exprs }],
          },
        },
      },
    });
    await kit.client.create('pods', pod('in', affinity([{ key: 'disk', operator: 'In', values: ['ssd'] }])));
    await kit.client.create(
      'pods',
      pod('notin', affinity([{ key: 'disk', operator: 'NotIn', values: ['ssd', 'hdd'] }])),
    );
    await kit.client.create(
      'pods',
      pod(
        'exists',
        affinity([
          { key: 'disk', operator: 'Exists' },
          { key: 'cores', operator: 'Gt', values: ['8'] },
        ]),
      ),
    );
    await kit.client.create('pods', pod('lt', affinity([{ key: 'cores', operator: 'Lt', values: ['5'] }])));
    await kit.client.create(
      'pods',
      pod(
        'none',
        affinity([
          { key: 'disk', operator: 'DoesNotExist' },
          { key: 'cores', operator: 'Lt', values: ['8'] },
        ]),
      ),
    );
    await kit.settle();
    assert.deepEqual(
      ['in', 'notin', 'exists', 'lt', 'none'].map((n) => nodeOf(kit, n)),
      ['n1', 'n3', 'n2', 'n1', ''],
    );
    const cond = scheduledCondition(kit, 'none');
    assert.equal(cond?.['status'], 'False');
    assert.equal(cond?.['reason'], 'Unschedulable');
    assert.equal(
      cond?.['message'],
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  } finally {
    await kit.controllers.stop();
  }
});

test('taints: an untolerated NoSchedule taint keeps pods off; a toleration lets them on; the message counts reasons', async () => {
  const kit = startKit();
  try {
    await withNodes(kit, [
      node('node-a1', 'ap-northeast-1a', {
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      }),
      node('node-a2', 'ap-northeast-1a', {
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }],
      }),
      node('node-b1', 'ap-northeast-1b'),
      node('node-b2', 'ap-northeast-1b', { unschedulable: true }),
    ]);
    const zoneA = { nodeSelector: { 'topology.kubernetes.io/zone': 'ap-northeast-1a' } };
    await kit.client.create('pods', pod('blocked', zoneA));
    await kit.client.create(
      'pods',
      pod('tolerant', { ...zoneA, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu' }] }),
    );
    await kit.client.create('pods', pod('free'));
    await kit.settle();
    assert.equal(nodeOf(kit, 'blocked'), '');
    assert.match(nodeOf(kit, 'tolerant'), /^node-a/);
    assert.equal(nodeOf(kit, 'free'), 'node-b1');
    const message =
      "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.";
    assert.equal(scheduledCondition(kit, 'blocked')?.['message'], message);
    const failed = kit.client
      .list('events', 'default')
      .items.filter((e) => e['reason'] === 'FailedScheduling');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.['count'], 1, 'our own status write does not trigger another attempt');
    assert.equal(failed[0]?.['type'], 'Warning');
    assert.equal(failed[0]?.['message'], message);

    // Removing the taint makes the pending pod schedulable right away (node events requeue it).
    const a1 = kit.client.get('nodes', undefined, 'node-a1')!;
    await kit.client.update('nodes', { ...a1, spec: {} });
    await kit.settle();
    assert.equal(nodeOf(kit, 'blocked'), 'node-a1');
    assert.equal(scheduledCondition(kit, 'blocked')?.['status'], 'True');
  } finally {
    await kit.controllers.stop();
  }
});

test('topologySpreadConstraints on the zone: DoNotSchedule keeps skew within maxSkew', async () => {
  const kit = startKit();
  try {
    await withNodes(kit, [...seedNodes(), node('node-c1', 'ap-northeast-1c', {}, { disk: 'ssd' })]);
    const spread = (when: string): Record<string, unknown> => ({
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: when,
          labelSelector: { matchLabels: { app: 'web' } },
        },
      ],
    });
    // Only zones a and b are eligible: the affinity excludes zone c.
    const notC = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }],
          },
        },
      },
    };
    for (let i = 0; i < 4; i++) {
      await kit.client.create('pods', pod(`w${i}`, { ...spread('DoNotSchedule'), ...notC }, { app: 'web' }));
      await kit.settle();
    }
    const zones = [0, 1, 2, 3].map((i) => (nodeOf(kit, `w${i}`).startsWith('node-a') ? 'a' : 'b'));
    assert.equal(zones.filter((z) => z === 'a').length, 2);
    assert.equal(zones.filter((z) => z === 'b').length, 2);

    // ScheduleAnyway only prefers: a soft-spread pod goes to the emptier zone c.
    await kit.client.create('pods', pod('soft', spread('ScheduleAnyway'), { app: 'web' }));
    await kit.settle();
    assert.equal(nodeOf(kit, 'soft'), 'node-c1');
  } finally {
    await kit.controllers.stop();
  }
});

test('topology spread counts a tainted zone as a domain (nodeTaintsPolicy Ignore), so skew blocks the second pod', async () => {
  const kit = startKit();
  try {
    await withNodes(kit, [
      node('node-a1', 'ap-northeast-1a'),
      node('node-a2', 'ap-northeast-1a'),
      node('node-b1', 'ap-northeast-1b', {
        taints: [{ key: 'maintenance', value: '', effect: 'NoSchedule' }],
      }),
    ]);
    const spec = {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
        },
      ],
    };
    await kit.client.create('pods', pod('first', spec, { app: 'web' }));
    await kit.settle();
    assert.match(nodeOf(kit, 'first'), /^node-a/);
    await kit.client.create('pods', pod('second', spec, { app: 'web' }));
    await kit.settle();
    assert.equal(nodeOf(kit, 'second'), '');
    assert.equal(
      scheduledCondition(kit, 'second')?.['message'],
      "0/3 nodes are available: 1 node(s) had untolerated taint {maintenance: }, 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
    const b1 = kit.client.get('nodes', undefined, 'node-b1')!;
    await kit.client.update('nodes', { ...b1, spec: {} });
    await kit.settle();
    assert.equal(nodeOf(kit, 'second'), 'node-b1');
  } finally {
    await kit.controllers.stop();
  }
});
