import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatHostPort, meshServing, planLab, podLocalhost } from './address-plan.js';
import { defaultTopology } from './default-topology.js';
import { topologyFromJson } from './parse-topology.js';

describe('the address plan', () => {
  test('of the seed topology: API servers, control planes, ingress and nodes per cluster', () => {
    const plan = planLab(defaultTopology());
    assert.deepEqual(
      plan.clusters.map((c) => ({
        name: c.name,
        apiServer: formatHostPort(c.apiServer),
        ingress: formatHostPort(c.ingress),
        nodes: c.nodes.map((n) => `${n.name} ${n.zone} ${n.address} ${n.podCIDR}`),
      })),
      [
        {
          name: 'cluster-1',
          apiServer: '127.101.0.1:6443',
          ingress: '127.101.0.10:80',
          nodes: [
            'cluster-1-cn-hangzhou-h-1 cn-hangzhou-h 127.101.1.1 127.101.1.0/24',
            'cluster-1-cn-hangzhou-k-1 cn-hangzhou-k 127.101.2.1 127.101.2.0/24',
          ],
        },
        {
          name: 'cluster-2',
          apiServer: '127.102.0.1:6443',
          ingress: '127.102.0.10:80',
          nodes: [
            'cluster-2-ap-northeast-1a-1 ap-northeast-1a 127.102.1.1 127.102.1.0/24',
            'cluster-2-ap-northeast-1b-1 ap-northeast-1b 127.102.2.1 127.102.2.0/24',
          ],
        },
      ],
    );
    assert.deepEqual(
      plan.meshes.map((m) => [m.name, formatHostPort(m.xds), formatHostPort(m.admin), m.remoteClusters]),
      [
        ['mesh-1', '127.101.0.2:15010', '127.101.0.2:15014', ['cluster-2']],
        ['mesh-2', '127.102.0.2:15010', '127.102.0.2:15014', ['cluster-1']],
      ],
    );
    assert.equal(meshServing(plan, 'cluster-2')?.name, 'mesh-2');
  });

  test('numbers nodes across zones of a cluster and per zone in their names', () => {
    const plan = planLab(
      topologyFromJson({
        apiVersion: 'spillway.io/v1alpha1',
        kind: 'LabTopology',
        spec: {
          addressBase: 90,
          regions: [{ name: 'r', zones: ['a', 'b'] }],
          clusters: [
            { name: 'x', region: 'r', zones: ['b'] },
            { name: 'y', region: 'r', nodesPerZone: { a: 2, b: 1 }, ingressPort: 8080 },
          ],
        },
      }),
    );
    assert.deepEqual(
      plan.clusters.map((c) => [formatHostPort(c.ingress), c.nodes.map((n) => `${n.name}@${n.address}`)]),
      [
        ['127.91.0.10:80', ['x-b-1@127.91.1.1']],
        ['127.92.0.10:8080', ['y-a-1@127.92.1.1', 'y-a-2@127.92.2.1', 'y-b-1@127.92.3.1']],
      ],
    );
    assert.deepEqual(plan.meshes, []);
    assert.equal(meshServing(plan, 'x'), undefined);
  });

  test("a pod's private localhost is its IP with the second octet + 100", () => {
    assert.equal(podLocalhost('127.102.2.7'), '127.202.2.7');
    assert.equal(podLocalhost('127.91.1.2'), '127.191.1.2');
    assert.throws(() => podLocalhost('10.0.0.1'), /not a lab pod address/);
    assert.throws(() => podLocalhost('127.200.0.1'), /not a lab pod address/);
  });
});
