import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeLocality } from '../core/locality.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import type { MeshEndpoint, RegistrySnapshot } from '../registry/mesh-model.js';
import { explainzOf } from './control-plane-explain.js';
import type { ServedProxy } from './control-plane.js';

const name = 'outbound|8000||mockb.asm-demo.svc.cluster.local';
const dr = {
  kind: 'DestinationRule' as const,
  namespace: 'asm-demo',
  name: 'mockb',
  path: '/apis/networking.istio.io/v1/namespaces/asm-demo/destination-rule/mockb',
};
const vsPath = '/apis/networking.istio.io/v1/namespaces/asm-demo/virtual-service/mockb';

function endpoint(address: string, pod: string, clusterId: string, port = 8000): MeshEndpoint {
  return {
    serviceHostname: 'mockb.asm-demo.svc.cluster.local',
    servicePortName: 'http',
    servicePort: port,
    address,
    endpointPort: 8000,
    labels: {},
    locality: makeLocality('ap-northeast-1', 'ap-northeast-1a'),
    clusterId,
    network: 'network-1',
    namespace: 'asm-demo',
    podName: pod,
    health: 'healthy',
    tlsMode: 'istio',
    weight: 1,
  };
}

const served: ServedProxy = {
  proxyKey: 'sidecar~10.0.0.9~mocka.asm-demo~asm-demo.svc.cluster.local',
  node: { id: 'p', cluster: '', metadata: {}, locality: undefined, userAgentName: '' } as ServedProxy['node'],
  streams: 1,
  computedAtWallMs: Date.UTC(2026, 11, 7),
  resources: new Map([
    [
      XdsTypeUrl.routeConfiguration,
      new Map([
        [
          'http_proxy',
          {
            name: 'http_proxy',
            virtual_hosts: [
              {
                name: 'mockb.asm-demo.svc.cluster.local:8000',
                routes: [
                  {
                    name: 'r1',
                    route: { cluster: name },
                    metadata: { filter_metadata: { istio: { config: vsPath } } },
                  },
                  { name: 'r2', route: { weighted_clusters: { clusters: [{ name, weight: 20 }] } } },
                  { name: 'other', route: { cluster: 'outbound|8000||mocka.asm-demo.svc.cluster.local' } },
                ],
              },
            ],
          },
        ],
      ]),
    ],
  ]) as unknown as NonNullable<ServedProxy['resources']>,
  explanation: {
    clusters: new Map([
      [
        name,
        {
          destinationRule: dr,
          mergedFrom: [dr],
          subset: undefined,
          outlierDetectionFrom: 'destination',
          outlierDetectionApplied: true,
          localityLb: 'mesh',
          failoverEnabled: true,
        },
      ],
    ]),
    assignments: new Map([
      [
        name,
        {
          mode: 'failover',
          reason: `${dr.path} (outlierDetection from destination)`,
          priorities: 3,
          endpoints: 3,
        },
      ],
    ]),
    routes: new Map(),
    proxy: { locality: 'ap-northeast-1/ap-northeast-1a', namespace: 'asm-demo', flavor: 'sidecar' },
  },
};

const registry = {
  endpoints: new Map([
    [
      'mockb.asm-demo.svc.cluster.local',
      [
        endpoint('10.0.1.4', 'mockb-1a-abc', 'cluster-2'),
        endpoint('10.0.1.5', 'mockb-9000', 'cluster-2', 9000),
      ],
    ],
  ]),
} as unknown as RegistrySnapshot;

test('explainz: the DestinationRule field, the assignment, the routes to the cluster and the pods behind it', () => {
  const body = explainzOf(served, name, registry) as Record<string, unknown>;
  assert.equal(body['found'], true);
  assert.deepEqual(body['destinationRule'], dr);
  assert.deepEqual(body['outlierDetection'], {
    from: 'destination',
    field: 'spec.trafficPolicy.outlierDetection',
    applied: true,
  });
  assert.deepEqual(body['localityLb'], { source: 'mesh', failoverEnabled: true });
  assert.equal((body['assignment'] as { mode: string }).mode, 'failover');
  assert.deepEqual(body['routes'], [
    {
      routeConfig: 'http_proxy',
      virtualHost: 'mockb.asm-demo.svc.cluster.local:8000',
      route: 'r1',
      virtualService: vsPath,
    },
    {
      routeConfig: 'http_proxy',
      virtualHost: 'mockb.asm-demo.svc.cluster.local:8000',
      route: 'r2',
      weight: 20,
    },
  ]);
  assert.deepEqual(body['endpoints'], [
    {
      address: '10.0.1.4',
      port: 8000,
      pod: 'mockb-1a-abc',
      namespace: 'asm-demo',
      cluster: 'cluster-2',
      locality: 'ap-northeast-1/ap-northeast-1a',
      health: 'healthy',
    },
  ]);
  assert.equal((body['proxy'] as { computedAt: string }).computedAt, '2026-12-07T00:00:00.000Z');
});

test('explainz: a cluster the proxy was not given lists the outbound clusters it has', () => {
  const body = explainzOf(served, 'outbound|8000||nope.asm-demo.svc.cluster.local', registry) as Record<
    string,
    unknown
  >;
  assert.equal(body['found'], false);
  assert.deepEqual(body['knownClusters'], [name]);
});

test('explainz: subset and port-level outlier detection name their DestinationRule field', () => {
  const explanation = served.explanation;
  assert.ok(explanation !== undefined);
  const sub = 'outbound|8000|v1|mockb.asm-demo.svc.cluster.local';
  const withSubset: ServedProxy = {
    ...served,
    explanation: {
      ...explanation,
      clusters: new Map([
        [sub, { ...explanation.clusters.get(name)!, subset: 'v1', outlierDetectionFrom: 'subset-port' }],
      ]),
    },
  };
  const body = explainzOf(withSubset, sub, registry) as { outlierDetection: { field: string } };
  assert.equal(
    body.outlierDetection.field,
    'spec.subsets[name=v1].trafficPolicy.portLevelSettings[port.number=8000].outlierDetection',
  );
});
