import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { TopologyLabel } from '../registry/mesh-model.js';
import { isProxylessGrpc, resolveProxyContext } from './resolve-proxy-context.js';
import { seedRegistry } from './testing/registry-builder.js';

const registry = seedRegistry().build();
const defaults = { clusterId: 'cluster-2', network: 'net-2' };
const pod = 'mockb-ap-northeast-1b-6d9f7c-x4';

function rejects(node: unknown, problem: RegExp): void {
  assert.throws(
    () => resolveProxyContext(node, registry, defaults),
    (e: unknown) =>
      e instanceof SpillwayError && e.code === ErrorCode.translateNodeInvalid && problem.test(e.message),
  );
}

test('an Istio sidecar node id gives type, IP, pod, namespace and DNS domain; the pod comes from the registry', () => {
  const proxy = resolveProxyContext(
    {
      id: `sidecar~127.84.2.4~${pod}.default~default.svc.cluster.local`,
      metadata: { CLUSTER_ID: 'cluster-2', WORKLOAD_NAME: 'mockb-ap-northeast-1b' },
    },
    registry,
    defaults,
  );
  assert.equal(proxy.type, 'sidecar');
  assert.deepEqual(proxy.ipAddresses, ['127.84.2.4']);
  assert.equal(proxy.podName, pod);
  assert.equal(proxy.namespace, 'default');
  assert.equal(proxy.dnsDomain, 'default.svc.cluster.local');
  assert.equal(proxy.workloadName, 'mockb-ap-northeast-1b');
  assert.deepEqual(proxy.locality, { region: 'ap-northeast-1', zone: 'ap-northeast-1b', subZone: '' });
  assert.equal(proxy.labels['app'], 'mockb');
  assert.equal(proxy.labels[TopologyLabel.zone], 'ap-northeast-1b');
  assert.equal(proxy.labels[TopologyLabel.cluster], 'cluster-2');
  assert.equal(proxy.labels[TopologyLabel.hostname], 'node-ap-northeast-1b');
  assert.equal(proxy.labels[TopologyLabel.network], 'net-2');
  assert.equal(proxy.localhostAddress, '127.0.0.1');
});

test('the registry locality wins over the node locality; an unknown pod falls back to LABELS and node.locality', () => {
  const known = resolveProxyContext(
    {
      id: `sidecar~127.84.2.4~${pod}.default~default.svc.cluster.local`,
      locality: { region: 'x', zone: 'y' },
    },
    registry,
    defaults,
  );
  assert.equal(known.locality.zone, 'ap-northeast-1b');
  const unknown = resolveProxyContext(
    {
      id: 'sidecar~127.84.99.1~ghost-1.default~default.svc.cluster.local',
      locality: { region: 'r', zone: 'z', sub_zone: 's' },
      metadata: { LABELS: { app: 'ghost' }, NETWORK: 'n9', SPILLWAY_LOCALHOST: '127.84.99.2' },
    },
    registry,
    defaults,
  );
  assert.deepEqual(unknown.locality, { region: 'r', zone: 'z', subZone: 's' });
  assert.equal(unknown.labels['app'], 'ghost');
  assert.equal(unknown.labels[TopologyLabel.subZone], 's');
  assert.equal(unknown.network, 'n9');
  assert.equal(unknown.localhostAddress, '127.84.99.2');
  assert.equal(unknown.clusterId, 'cluster-2');
});

test('topology labels in LABELS (or istio-locality) give the locality before node.locality', () => {
  const byLabel = resolveProxyContext(
    {
      id: 'router~127.84.99.1~gw-1.istio-system~istio-system.svc.cluster.local',
      locality: { region: 'no' },
      metadata: { LABELS: { 'istio-locality': 'eu.eu-1a' } },
    },
    registry,
    defaults,
  );
  assert.equal(byLabel.type, 'router');
  assert.deepEqual(byLabel.locality, { region: 'eu', zone: 'eu-1a', subZone: '' });
});

test('a pod is found by its IP when the node id names another pod', () => {
  const proxy = resolveProxyContext(
    { id: 'sidecar~127.84.2.4~renamed.default~default.svc.cluster.local' },
    registry,
    defaults,
  );
  assert.equal(proxy.podName, pod);
});

test('INSTANCE_IPS add addresses after the node id IP', () => {
  const proxy = resolveProxyContext(
    {
      id: 'sidecar~127.84.2.4~x.default~default.svc.cluster.local',
      metadata: { INSTANCE_IPS: '127.84.2.4,fd00::4' },
    },
    registry,
    defaults,
  );
  assert.deepEqual(proxy.ipAddresses, ['127.84.2.4', 'fd00::4']);
});

test('a proxyless gRPC client may use any node id and takes its namespace from metadata', () => {
  const proxy = resolveProxyContext(
    { id: 'my-client', locality: {}, metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } },
    registry,
    defaults,
  );
  assert.ok(isProxylessGrpc(proxy));
  assert.equal(proxy.namespace, 'default');
  assert.equal(proxy.dnsDomain, 'default.svc.cluster.local');
  assert.deepEqual(proxy.ipAddresses, []);
});

const invalidNodes: ReadonlyArray<[string, unknown, RegExp]> = [
  ['not an object', 'sidecar', /must be an object/],
  ['no id', { metadata: {} }, /no id/],
  ['an id with three parts', { id: 'sidecar~1.2.3.4~x.default' }, /is not <type>~<ip>/],
  ['an unknown node type', { id: 'waypoint~1.2.3.4~x.default~default.svc.cluster.local' }, /type "waypoint"/],
  ['no IP anywhere', { id: 'sidecar~nope~x.default~default.svc.cluster.local' }, /no valid IP/],
  [
    'a bad INSTANCE_IPS entry',
    {
      id: 'sidecar~1.2.3.4~x.default~default.svc.cluster.local',
      metadata: { INSTANCE_IPS: '1.2.3.4,banana' },
    },
    /INSTANCE_IPS/,
  ],
  [
    'LABELS that are not strings',
    { id: 'sidecar~1.2.3.4~x.default~default.svc.cluster.local', metadata: { LABELS: { a: 1 } } },
    /LABELS\["a"\]/,
  ],
  [
    'a non-IPv4 SPILLWAY_LOCALHOST',
    {
      id: 'sidecar~1.2.3.4~x.default~default.svc.cluster.local',
      metadata: { SPILLWAY_LOCALHOST: 'localhost' },
    },
    /SPILLWAY_LOCALHOST/,
  ],
  [
    'a gRPC client without NAMESPACE',
    { id: 'c', metadata: { GENERATOR: 'grpc' } },
    /needs metadata NAMESPACE/,
  ],
  [
    'a locality that is not an object',
    { id: 'c', locality: 'eu', metadata: { GENERATOR: 'grpc', NAMESPACE: 'a' } },
    /locality must be an object/,
  ],
];

for (const [name, node, problem] of invalidNodes) {
  test(`a node is refused with SPILLWAY_ERR_TRANSLATE_NODE_INVALID: ${name}`, () => rejects(node, problem));
}
