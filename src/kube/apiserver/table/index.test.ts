import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ResourceType } from '../kube-object.js';
import { resourceByPlural } from '../resource-registry.js';
import { buildTable } from './index.js';

const now = Date.parse('2026-01-01T01:00:00Z');
const created = '2026-01-01T00:55:00Z'; // 5m before now

function resource(plural: string): ResourceType {
  const r = resourceByPlural(plural);
  assert.ok(r, plural);
  return r;
}

function table(
  plural: string,
  objects: KubeObject[],
  includeObject: 'None' | 'Metadata' | 'Object' = 'None',
) {
  return buildTable(resource(plural), objects, { includeObject, nowMs: now, resourceVersion: '42' }) as {
    kind: string;
    metadata: Record<string, unknown>;
    columnDefinitions: Array<{ name: string; priority: number; type: string; format: string }>;
    rows: Array<{ cells: unknown[]; object?: Record<string, unknown> }>;
  };
}

const header = (t: ReturnType<typeof table>) =>
  t.columnDefinitions.map((c) => (c.priority === 1 ? `(${c.name})` : c.name));

function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: 'default', creationTimestamp: created, ...extra };
}

describe('buildTable', () => {
  it('prints pods like kube-apiserver: ready count, status, restarts with age, wide columns', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web-1'),
      spec: { nodeName: 'node-a', containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.0.0.7' }],
        containerStatuses: [
          {
            name: 'a',
            ready: true,
            restartCount: 2,
            state: { running: {} },
            lastState: { terminated: { finishedAt: '2026-01-01T00:57:00Z' } },
          },
          { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
    };
    const pending: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web-2'),
      spec: { containers: [{ name: 'a' }] },
      status: { phase: 'Pending' },
    };
    const t = table('pods', [pod, pending]);
    assert.equal(t.kind, 'Table');
    assert.deepEqual(t.metadata, { resourceVersion: '42' });
    assert.deepEqual(header(t), [
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
      '(IP)',
      '(Node)',
      '(Nominated Node)',
      '(Readiness Gates)',
    ]);
    assert.deepEqual(t.rows[0]?.cells, [
      'web-1',
      '1/2',
      'CrashLoopBackOff',
      '2 (3m ago)',
      '5m',
      '10.0.0.7',
      'node-a',
      '<none>',
      '<none>',
    ]);
    assert.deepEqual(t.rows[1]?.cells, [
      'web-2',
      '0/1',
      'Pending',
      '0',
      '5m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
    assert.equal(t.rows[0]?.object, undefined);
  });

  it('shows Terminating for a pod being deleted', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web-1', { deletionTimestamp: '2026-01-01T00:59:00Z' }),
      spec: { containers: [{ name: 'a' }] },
      status: { phase: 'Running' },
    };
    assert.equal(table('pods', [pod]).rows[0]?.cells[2], 'Terminating');
  });

  it('prints deployments and replicasets with containers, images and selector', () => {
    const spec = {
      replicas: 3,
      selector: {
        matchLabels: { app: 'web', tier: 'fe' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['b', 'a'] }],
      },
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1' },
            { name: 'log', image: 'busybox' },
          ],
        },
      },
    };
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec,
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 },
    };
    const d = table('deployments', [deploy]);
    assert.deepEqual(header(d), [
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      '(Containers)',
      '(Images)',
      '(Selector)',
    ]);
    assert.deepEqual(d.rows[0]?.cells, [
      'web',
      '2/3',
      3,
      2,
      '5m',
      'web,log',
      'nginx:1,busybox',
      'app=web,env in (a,b),tier=fe',
    ]);
    const rs = table('replicasets', [{ ...deploy, kind: 'ReplicaSet', metadata: meta('web-abc') }]);
    assert.deepEqual(header(rs), [
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Age',
      '(Containers)',
      '(Images)',
      '(Selector)',
    ]);
    assert.deepEqual(rs.rows[0]?.cells, [
      'web-abc',
      3,
      3,
      2,
      '5m',
      'web,log',
      'nginx:1,busybox',
      'app=web,env in (a,b),tier=fe',
    ]);
  });

  it('prints services with ports, external IP and selector', () => {
    const svc = (
      name: string,
      spec: Record<string, unknown>,
      status: Record<string, unknown> = {},
    ): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name),
      spec,
      status,
    });
    const t = table('services', [
      svc('mocka', {
        clusterIP: '10.96.0.10',
        ports: [{ port: 8000, name: 'http' }],
        selector: { app: 'mocka' },
      }),
      svc('edge', {
        type: 'NodePort',
        clusterIP: '10.96.0.11',
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      }),
      svc('lb', { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: 443, nodePort: 31443 }] }),
    ]);
    assert.deepEqual(header(t), [
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      '(Selector)',
    ]);
    assert.deepEqual(
      t.rows.map((r) => r.cells),
      [
        ['mocka', 'ClusterIP', '10.96.0.10', '<none>', '8000/TCP', '5m', 'app=mocka'],
        ['edge', 'NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53/UDP', '5m', '<none>'],
        ['lb', 'LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP', '5m', '<none>'],
      ],
    );
  });

  it('prints endpointslices with at most three endpoints', () => {
    const slice: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('mocka-x1'),
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8000, protocol: 'TCP' }],
      endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((a) => ({
        addresses: [a],
      })),
    };
    const empty: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('empty'),
      addressType: 'IPv4',
    };
    const t = table('endpointslices', [slice, empty]);
    assert.deepEqual(header(t), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    assert.deepEqual(
      t.rows.map((r) => r.cells),
      [
        ['mocka-x1', 'IPv4', '8000', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...', '5m'],
        ['empty', 'IPv4', '<unset>', '<unset>', '5m'],
      ],
    );
  });

  it('prints nodes, namespaces, configmaps, secrets and events', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'node-a',
        creationTimestamp: created,
        labels: { 'node-role.kubernetes.io/worker': '' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.2' }],
        nodeInfo: { kubeletVersion: 'v1.32.4' },
      },
    };
    assert.deepEqual(table('nodes', [node]).rows[0]?.cells, [
      'node-a',
      'Ready,SchedulingDisabled',
      'worker',
      '5m',
      'v1.32.4',
      '127.0.0.2',
      '<none>',
      '<unknown>',
      '<unknown>',
      '<unknown>',
    ]);
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', creationTimestamp: created },
      status: { phase: 'Active' },
    };
    assert.deepEqual(table('namespaces', [ns]).rows[0]?.cells, ['default', 'Active', '5m']);
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('cfg'),
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    };
    assert.deepEqual(table('configmaps', [cm]).rows[0]?.cells, ['cfg', 3, '5m']);
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('tok'),
      type: 'Opaque',
      data: { t: 'eA==' },
    };
    assert.deepEqual(table('secrets', [secret]).rows[0]?.cells, ['tok', 'Opaque', 1, '5m']);
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('web.1'),
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned default/web to node-a',
      involvedObject: { kind: 'Pod', name: 'web' },
      source: { component: 'default-scheduler' },
      firstTimestamp: '2026-01-01T00:50:00Z',
      lastTimestamp: '2026-01-01T00:58:00Z',
      count: 4,
    };
    const et = table('events', [event]);
    assert.deepEqual(header(et), [
      'Last Seen',
      'Type',
      'Reason',
      'Object',
      '(Subobject)',
      '(Source)',
      'Message',
      '(First Seen)',
      '(Count)',
      '(Name)',
    ]);
    assert.deepEqual(et.rows[0]?.cells, [
      '2m',
      'Normal',
      'Scheduled',
      'pod/web',
      '',
      'default-scheduler',
      'Successfully assigned default/web to node-a',
      '10m',
      4,
      'web.1',
    ]);
  });

  it("prints Istio kinds with their CRDs' printer columns", () => {
    const dr: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: meta('mocka'),
      spec: { host: 'mocka' },
    };
    const d = table('destinationrules', [dr]);
    assert.deepEqual(
      d.columnDefinitions.map((c) => [c.name, c.type]),
      [
        ['Name', 'string'],
        ['Host', 'string'],
        ['Age', 'date'],
      ],
    );
    assert.deepEqual(d.rows[0]?.cells, ['mocka', 'mocka', '5m']);
    const vs: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta('demoapp-vs'),
      spec: { gateways: ['mocka'], hosts: ['*'] },
    };
    const v = table('virtualservices', [
      vs,
      { ...vs, metadata: meta('mesh-only'), spec: { hosts: ['a', 'b'] } },
    ]);
    assert.deepEqual(header(v), ['Name', 'Gateways', 'Hosts', 'Age']);
    assert.deepEqual(
      v.rows.map((r) => r.cells),
      [
        ['demoapp-vs', '["mocka"]', '["*"]', '5m'],
        ['mesh-only', null, '["a","b"]', '5m'],
      ],
    );
    const gw: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: meta('mocka'),
      spec: {},
    };
    assert.deepEqual(header(table('gateways', [gw])), ['Name', 'Age']);
    assert.deepEqual(header(table('serviceentries', [])), ['Name', 'Hosts', 'Location', 'Resolution', 'Age']);
    assert.deepEqual(header(table('peerauthentications', [])), ['Name', 'Mode', 'Age']);
    assert.deepEqual(header(table('authorizationpolicies', [])), ['Name', 'Action', 'Age']);
    assert.deepEqual(header(table('workloadentries', [])), ['Name', 'Age', 'Address']);
  });

  it('includes the row object per includeObject and the continue token', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: {} };
    assert.deepEqual(table('configmaps', [cm], 'Metadata').rows[0]?.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: cm.metadata,
    });
    assert.deepEqual(table('configmaps', [cm], 'Object').rows[0]?.object, cm);
    assert.equal('object' in (table('configmaps', [cm], 'None').rows[0] ?? {}), false);
    const withContinue = buildTable(resource('configmaps'), [], {
      includeObject: 'None',
      nowMs: now,
      resourceVersion: '7',
      continueToken: 'abc',
    });
    assert.deepEqual(withContinue['metadata'], { resourceVersion: '7', continue: 'abc' });
  });
});
