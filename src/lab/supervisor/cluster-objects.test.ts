import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { planLab } from '../topology/address-plan.js';
import { defaultTopology } from '../topology/default-topology.js';
import { topologyFromJson } from '../topology/parse-topology.js';
import {
  gatewayDeployment,
  gatewayService,
  gatewayServiceStatus,
  initialNodeStatus,
  istioSystemObjects,
  nodeObject,
} from './cluster-objects.js';
import { readyGatewayTargets } from './gateway-targets.js';

const plan = planLab(defaultTopology());
const cluster1 = plan.clusters[0];

describe('the objects the lab creates', () => {
  test('a Node per planned node, labelled with hostname, region and zone, with its podCIDR', () => {
    const node = cluster1?.nodes[1];
    assert.ok(node !== undefined);
    assert.deepEqual(nodeObject(node), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'cluster-1-cn-hangzhou-k-1',
        labels: {
          'kubernetes.io/hostname': 'cluster-1-cn-hangzhou-k-1',
          'kubernetes.io/os': 'linux',
          'topology.kubernetes.io/region': 'cn-hangzhou',
          'topology.kubernetes.io/zone': 'cn-hangzhou-k',
          'topology.istio.io/network': 'network-1',
          'lab.spillway.io/cluster': 'cluster-1',
        },
      },
      spec: { podCIDR: '127.101.2.0/24', podCIDRs: ['127.101.2.0/24'] },
    });
    const status = initialNodeStatus(node, '2026-01-01T00:00:00Z') as {
      addresses: unknown[];
      conditions: Array<{ type: string; status: string }>;
    };
    assert.deepEqual(status.addresses[0], { type: 'InternalIP', address: '127.101.2.1' });
    assert.deepEqual([status.conditions[0]?.type, status.conditions[0]?.status], ['Ready', 'Unknown']);
  });

  test('istio-system: namespace with the network, istiod, a pinned gateway per zone, the LoadBalancer Service', () => {
    assert.ok(cluster1 !== undefined);
    const objects = istioSystemObjects(plan, cluster1);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Namespace/istio-system',
        'Service/istiod',
        'Deployment/istio-ingressgateway-cn-hangzhou-h',
        'Deployment/istio-ingressgateway-cn-hangzhou-k',
        'Service/istio-ingressgateway',
      ],
    );
    assert.equal(objects[0]?.metadata.labels?.['topology.istio.io/network'], 'network-1');
    const deployment = gatewayDeployment(cluster1, 'cn-hangzhou-k') as unknown as {
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: { nodeSelector: unknown; containers: Array<{ name: string; image: string }> };
        };
      };
    };
    assert.equal(deployment.spec.replicas, 1);
    assert.deepEqual(deployment.spec.template.spec.nodeSelector, {
      'topology.kubernetes.io/zone': 'cn-hangzhou-k',
    });
    assert.equal(deployment.spec.template.metadata.labels['istio'], 'ingressgateway');
    assert.deepEqual(
      deployment.spec.template.spec.containers.map((c) => [c.name, c.image]),
      [['istio-proxy', 'spillway/proxyv2']],
    );
    const service = gatewayService() as unknown as {
      spec: { type: string; ports: Array<{ port: number; targetPort: number }> };
    };
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.deepEqual(service.spec.ports[0], { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' });
    assert.deepEqual(gatewayServiceStatus(cluster1), {
      loadBalancer: { ingress: [{ ip: '127.101.0.10', ipMode: 'VIP' }] },
    });
  });

  test("the gateway Service keeps Istio's port 80 -> 8080 when the NLB listens elsewhere", () => {
    // A Gateway's port.number (80 in the seed) is matched against the Service port; the NLB port
    // is only a frontend, so it must not leak into the Service.
    const p = planLab(
      topologyFromJson({
        apiVersion: 'spillway.io/v1alpha1',
        kind: 'LabTopology',
        spec: {
          regions: [{ name: 'r', zones: ['z'] }],
          clusters: [{ name: 'c', region: 'r', ingressPort: 8080 }],
        },
      }),
    );
    const c = p.clusters[0];
    assert.ok(c !== undefined);
    const service = istioSystemObjects(p, c).find(
      (o) => o.metadata.name === 'istio-ingressgateway',
    ) as unknown as {
      spec: { ports: Array<{ name: string; port: number; targetPort: number }> };
    };
    assert.deepEqual(
      service.spec.ports.map((x) => [x.name, x.port, x.targetPort]),
      [
        ['http2', 80, 8080],
        ['status-port', 15021, 15021],
      ],
    );
    assert.equal(c.ingress.port, 8080);
  });

  test('a cluster no mesh is configured from has no istiod Service', () => {
    const p = planLab(
      topologyFromJson({
        apiVersion: 'spillway.io/v1alpha1',
        kind: 'LabTopology',
        spec: { regions: [{ name: 'r', zones: ['z'] }], clusters: [{ name: 'c', region: 'r' }] },
      }),
    );
    const c = p.clusters[0];
    assert.ok(c !== undefined);
    assert.ok(!istioSystemObjects(p, c).some((o) => o.metadata.name === 'istiod'));
  });
});

describe('load balancer targets', () => {
  function gatewayPod(
    name: string,
    ip: string,
    ready: boolean,
    extra: Partial<V1Pod['metadata']> = {},
  ): V1Pod {
    return {
      metadata: { name, labels: { istio: 'ingressgateway' }, ...extra },
      status: { podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
  }

  test('are the Ready gateway pods with an IP, at port 8080, in address order', () => {
    const targets = readyGatewayTargets([
      gatewayPod('b', '127.101.10.2', true),
      gatewayPod('a', '127.101.2.2', true),
      gatewayPod('not-ready', '127.101.3.2', false),
      gatewayPod('no-ip', '', true),
      gatewayPod('terminating', '127.101.4.2', true, { deletionTimestamp: new Date() }),
      { ...gatewayPod('other', '127.101.5.2', true), metadata: { name: 'other', labels: { app: 'x' } } },
    ]);
    assert.deepEqual(targets, [
      { host: '127.101.2.2', port: 8080 },
      { host: '127.101.10.2', port: 8080 },
    ]);
  });
});
