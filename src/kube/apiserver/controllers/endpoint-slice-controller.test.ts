import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import type { Kit } from './controllers-test-kit-fake.js';
import { setPodReady, startKit } from './controllers-test-kit-fake.js';
import { asArray, asRecord } from './json-fields.js';

function node(name: string, zone: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    spec: {},
  };
}

/** The seed's Service shape: named port `http` 8000, selector app. */
function service(name: string, ports: unknown[] = [{ port: 8000, name: 'http' }]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: name, service: name } },
    spec: { ports, selector: { app: name } },
  };
}

function pod(
  name: string,
  app: string,
  zone: string,
  containerPorts: unknown[] = [{ containerPort: 8000 }],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: {
      nodeSelector: { 'topology.kubernetes.io/zone': zone },
      containers: [{ name: 'default', image: 'img', ports: containerPorts }],
    },
  };
}

function slices(kit: Kit, svc: string): KubeObject[] {
  return kit.client.list('endpointslices', 'default', { labelSelector: `kubernetes.io/service-name=${svc}` })
    .items;
}

function endpoints(kit: Kit, svc: string): Array<Record<string, unknown>> {
  return slices(kit, svc).flatMap((s) => asArray(s['endpoints']).map(asRecord));
}

test('a seed Service gets an EndpointSlice with port http 8000 and one endpoint per pod with zone, node and targetRef', async () => {
  const kit = startKit();
  try {
    await kit.client.create('nodes', node('node-a', 'ap-northeast-1a'));
    await kit.client.create('nodes', node('node-b', 'ap-northeast-1b'));
    const svc = await kit.client.create('services', service('mockb'));
    await kit.settle();
    // No pods yet: one placeholder slice without endpoints.
    let all = slices(kit, 'mockb');
    assert.equal(all.length, 1);
    assert.deepEqual(all[0]?.['endpoints'], []);
    const a = await kit.client.create('pods', pod('mockb-a', 'mockb', 'ap-northeast-1a'));
    await kit.client.create('pods', pod('mockb-b', 'mockb', 'ap-northeast-1b'));
    await kit.client.create('pods', pod('other', 'mocka', 'ap-northeast-1a'));
    await kit.settle();
    // Pods without an IP are not endpoints yet.
    assert.deepEqual(endpoints(kit, 'mockb'), []);
    await setPodReady(kit, a, true, '10.1.0.1');
    await setPodReady(kit, kit.client.get('pods', 'default', 'mockb-b')!, false, '10.1.0.2');
    await kit.settle();
    all = slices(kit, 'mockb');
    assert.equal(all.length, 1);
    const slice = all[0]!;
    assert.match(slice.metadata.name ?? '', /^mockb-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(slice.metadata.labels, {
      app: 'mockb',
      service: 'mockb',
      'kubernetes.io/service-name': 'mockb',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    assert.deepEqual(slice.metadata.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'mockb',
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(slice['addressType'], 'IPv4');
    assert.deepEqual(slice['ports'], [{ name: 'http', port: 8000, protocol: 'TCP' }]);
    const podA = kit.client.get('pods', 'default', 'mockb-a')!;
    assert.deepEqual(endpoints(kit, 'mockb'), [
      {
        addresses: ['10.1.0.1'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-a',
        zone: 'ap-northeast-1a',
        targetRef: { kind: 'Pod', namespace: 'default', name: 'mockb-a', uid: podA.metadata.uid },
      },
      {
        addresses: ['10.1.0.2'],
        conditions: { ready: false, serving: false, terminating: false },
        nodeName: 'node-b',
        zone: 'ap-northeast-1b',
        targetRef: {
          kind: 'Pod',
          namespace: 'default',
          name: 'mockb-b',
          uid: kit.client.get('pods', 'default', 'mockb-b')!.metadata.uid,
        },
      },
    ]);
  } finally {
    await kit.controllers.stop();
  }
});

test('readiness transitions: ready -> not ready -> terminating (serving while ready) -> gone', async () => {
  const kit = startKit();
  try {
    kit.client.isPodDeletionGraceful = true;
    await kit.client.create('nodes', node('node-a', 'ap-northeast-1a'));
    await kit.client.create('services', service('web'));
    const p = await kit.client.create('pods', pod('web-1', 'web', 'ap-northeast-1a'));
    await kit.settle();
    const conditions = (): unknown => endpoints(kit, 'web').map((e) => e['conditions']);
    await setPodReady(kit, p, true, '10.1.0.9');
    await kit.settle();
    assert.deepEqual(conditions(), [{ ready: true, serving: true, terminating: false }]);
    await setPodReady(kit, p, false);
    await kit.settle();
    assert.deepEqual(conditions(), [{ ready: false, serving: false, terminating: false }]);
    await setPodReady(kit, p, true);
    await kit.client.delete('pods', 'default', 'web-1');
    await kit.settle();
    assert.deepEqual(conditions(), [{ ready: false, serving: true, terminating: true }]);
    kit.client.finishDeletion('pods', 'default', 'web-1');
    await kit.settle();
    assert.deepEqual(conditions(), []);
    assert.equal(slices(kit, 'web').length, 1);
  } finally {
    await kit.controllers.stop();
  }
});

test('named targetPorts resolve per pod; pods with different container ports get separate slices', async () => {
  const kit = startKit();
  try {
    await kit.client.create('nodes', node('node-a', 'ap-northeast-1a'));
    await kit.client.create('services', service('api', [{ port: 80, name: 'web', targetPort: 'http' }]));
    const p1 = await kit.client.create(
      'pods',
      pod('api-1', 'api', 'ap-northeast-1a', [{ name: 'http', containerPort: 8000 }]),
    );
    const p2 = await kit.client.create(
      'pods',
      pod('api-2', 'api', 'ap-northeast-1a', [{ name: 'http', containerPort: 9000 }]),
    );
    await kit.settle();
    await setPodReady(kit, p1, true, '10.1.0.1');
    await setPodReady(kit, p2, true, '10.1.0.2');
    await kit.settle();
    const byPort = slices(kit, 'api')
      .map((s) => [
        asRecord(asArray(s['ports'])[0])['port'],
        asArray(s['endpoints']).map((e) => asArray(asRecord(e)['addresses'])[0]),
      ])
      .sort();
    assert.deepEqual(byPort, [
      [8000, ['10.1.0.1']],
      [9000, ['10.1.0.2']],
    ]);
    // Deleting one pod folds back into a single slice.
    await kit.client.delete('pods', 'default', 'api-2');
    await kit.settle();
    assert.equal(slices(kit, 'api').length, 1);
  } finally {
    await kit.controllers.stop();
  }
});

test('a Service without a selector gets no EndpointSlice; a node relabel updates the zone', async () => {
  const kit = startKit();
  try {
    await kit.client.create('nodes', node('node-a', 'ap-northeast-1a'));
    await kit.client.create('services', { ...service('manual'), spec: { ports: [{ port: 80 }] } });
    await kit.client.create('services', service('web'));
    const p = await kit.client.create('pods', pod('web-1', 'web', 'ap-northeast-1a'));
    await kit.settle();
    await setPodReady(kit, p, true, '10.1.0.1');
    await kit.settle();
    assert.equal(slices(kit, 'manual').length, 0);
    const n = kit.client.get('nodes', undefined, 'node-a')!;
    await kit.client.update('nodes', {
      ...n,
      metadata: { ...n.metadata, labels: { 'topology.kubernetes.io/zone': 'ap-northeast-1c' } },
    });
    await kit.settle();
    assert.equal(endpoints(kit, 'web')[0]?.['zone'], 'ap-northeast-1c');
  } finally {
    await kit.controllers.stop();
  }
});

test('publishNotReadyAddresses makes every endpoint ready while serving still follows the pod; hostname from subdomain', async () => {
  const kit = startKit();
  try {
    kit.client.isPodDeletionGraceful = true;
    await kit.client.create('nodes', node('node-a', 'ap-northeast-1a'));
    const svc = service('db');
    await kit.client.create('services', {
      ...svc,
      spec: { ...asRecord(svc['spec']), clusterIP: 'None', publishNotReadyAddresses: true },
    });
    const base = pod('db-0', 'db', 'ap-northeast-1a');
    const p = await kit.client.create('pods', {
      ...base,
      spec: { ...asRecord(base['spec']), hostname: 'db-0', subdomain: 'db' },
    });
    await kit.settle();
    await setPodReady(kit, p, false, '10.1.0.5');
    await kit.client.delete('pods', 'default', 'db-0');
    await kit.settle();
    const [ep] = endpoints(kit, 'db');
    assert.deepEqual(ep?.['conditions'], { ready: true, serving: false, terminating: true });
    assert.equal(ep?.['hostname'], 'db-0');
    assert.equal(slices(kit, 'db')[0]?.metadata.labels?.['service.kubernetes.io/headless'], '');
  } finally {
    await kit.controllers.stop();
  }
});
