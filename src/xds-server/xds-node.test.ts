import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseXdsNode } from './xds-node.js';

test('a node with id, locality, metadata, user agent and client features', () => {
  const node = parseXdsNode({
    id: 'sidecar~127.20.0.3~mocka-1a.default~default.svc.cluster.local',
    cluster: 'mocka.default',
    metadata: { CLUSTER_ID: 'cluster-2', LABELS: { app: 'mocka' } },
    locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a', sub_zone: 's1' },
    user_agent_name: 'grpc-node-js',
    user_agent_version: '1.14.7',
    client_features: ['envoy.lb.does_not_support_overprovisioning'],
  });
  assert.ok(!('problem' in node));
  assert.equal(node.id, 'sidecar~127.20.0.3~mocka-1a.default~default.svc.cluster.local');
  assert.equal(node.cluster, 'mocka.default');
  assert.deepEqual(node.metadata, { CLUSTER_ID: 'cluster-2', LABELS: { app: 'mocka' } });
  assert.deepEqual(node.locality, { region: 'ap-northeast-1', zone: 'ap-northeast-1a', subZone: 's1' });
  assert.equal(node.userAgentName, 'grpc-node-js');
  assert.equal(node.userAgentVersion, '1.14.7');
  assert.deepEqual(node.clientFeatures, ['envoy.lb.does_not_support_overprovisioning']);
});

test('no node, or a node without an id, is "missing node information" (as Istio says)', () => {
  for (const json of [undefined, null, 'x', {}, { id: '' }, { cluster: 'c' }]) {
    const parsed = parseXdsNode(json);
    assert.ok('problem' in parsed);
    assert.match(parsed.problem, /missing node information/);
  }
});

test('a node without locality or metadata has none (not empty defaults that look real)', () => {
  const node = parseXdsNode({ id: 'n' });
  assert.ok(!('problem' in node));
  assert.equal(node.locality, undefined);
  assert.deepEqual(node.metadata, {});
});
