import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MeshState } from '../supervisor/lab-state.js';
import { proxiesOfPods, type LabNode } from './lab-proxies.js';
import { labTargetGroups, parseKinds } from './prometheus-sd.js';

const node: LabNode = {
  name: 'cluster-2-ap-northeast-1a-1',
  zone: 'ap-northeast-1a',
  address: '127.82.1.1',
  podCIDR: '127.82.1.0/24',
  stateDir: '/tmp/none',
  cluster: 'cluster-2',
  region: 'ap-northeast-1',
};

const agentPods = {
  node: node.name,
  pods: [
    {
      namespace: 'default',
      name: 'mocka-1a-abc',
      ip: '127.82.1.3',
      phase: 'Running',
      ready: true,
      proxy: { role: 'sidecar', container: 'istio-proxy', admin: '127.182.1.3:15000' },
    },
    {
      namespace: 'istio-system',
      name: 'istio-ingressgateway-1a',
      ip: '127.82.1.2',
      phase: 'Running',
      ready: false,
      proxy: { role: 'router', container: 'istio-proxy', admin: null },
    },
    // No proxy, no address yet, or finished: not a target.
    { namespace: 'default', name: 'plain', ip: '127.82.1.4', phase: 'Running', ready: true, proxy: null },
    { namespace: 'default', name: 'pending', ip: null, phase: 'Pending', proxy: { role: 'sidecar' } },
    { namespace: 'default', name: 'done', ip: '127.82.1.5', phase: 'Succeeded', proxy: { role: 'sidecar' } },
    'garbage',
  ],
};

const mesh: MeshState = {
  name: 'mesh-2',
  region: 'ap-northeast-1',
  configCluster: 'cluster-2',
  clusters: ['cluster-1', 'cluster-2'],
  xdsAddress: '127.82.0.2:15010',
  adminAddress: '127.82.0.2:15014',
  state: 'running',
};

test('proxies are the pods with a proxy and an address; a router is a gateway', () => {
  const proxies = proxiesOfPods(node, agentPods);
  assert.deepEqual(
    proxies.map((p) => [p.namespace, p.pod, p.kind, p.prometheus, p.admin, p.ready]),
    [
      ['default', 'mocka-1a-abc', 'sidecar', '127.82.1.3:15090', '127.182.1.3:15000', true],
      ['istio-system', 'istio-ingressgateway-1a', 'gateway', '127.82.1.2:15090', null, false],
    ],
  );
  assert.deepEqual(proxiesOfPods(node, { nope: 1 }), []);
  assert.deepEqual(proxiesOfPods(node, null), []);
});

test('every proxy is an http_sd target on :15090 /stats/prometheus with its Kubernetes labels', () => {
  const groups = labTargetGroups(proxiesOfPods(node, agentPods), [
    mesh,
    { ...mesh, name: 'x', state: 'skipped' },
  ]);
  assert.deepEqual(groups[0], {
    targets: ['127.82.1.3:15090'],
    labels: {
      __metrics_path__: '/stats/prometheus',
      kind: 'sidecar',
      namespace: 'default',
      pod: 'mocka-1a-abc',
      node: 'cluster-2-ap-northeast-1a-1',
      cluster: 'cluster-2',
      region: 'ap-northeast-1',
      zone: 'ap-northeast-1a',
    },
  });
  // Only running control planes, scraped on their admin /metrics, labelled with the config cluster.
  assert.equal(groups.length, 3);
  assert.deepEqual(groups[2], {
    targets: ['127.82.0.2:15014'],
    labels: {
      __metrics_path__: '/metrics',
      kind: 'control-plane',
      namespace: 'istio-system',
      mesh: 'mesh-2',
      cluster: 'cluster-2',
      region: 'ap-northeast-1',
    },
  });
});

test('?kind= narrows the targets and rejects unknown kinds', () => {
  const proxies = proxiesOfPods(node, agentPods);
  const only = (q: string): string[] => {
    const kinds = parseKinds(q);
    assert.ok(typeof kinds !== 'string', String(kinds));
    return labTargetGroups(proxies, [mesh], kinds).map((g) => g.labels['kind'] ?? '');
  };
  assert.deepEqual(only('gateway'), ['gateway']);
  assert.deepEqual(only('sidecar,control-plane'), ['sidecar', 'control-plane']);
  assert.deepEqual(only(''), ['sidecar', 'gateway', 'control-plane']);
  assert.equal(parseKinds('pods'), 'unknown kind pods (kinds: sidecar, gateway, control-plane)');
});
