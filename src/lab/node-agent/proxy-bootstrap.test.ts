import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildBootstrap } from '../../proxy/bootstrap/bootstrap-builder.js';
import { parsePodSpec } from './pod-spec.js';
import {
  adsProxyBootstrap,
  istioMetaFromEnv,
  proxyNodeId,
  workloadNameOf,
  type ProxyIdentity,
} from './proxy-bootstrap.js';
import { staticProxyBootstrap } from './static-proxy-bootstrap.js';

const sidecar: ProxyIdentity = {
  role: 'sidecar',
  podName: 'mockb-ap-northeast-1a-5d8f7c9b4-x2x9q',
  namespace: 'default',
  podIP: '127.87.1.3',
  localhost: '127.187.1.3',
  nodeName: 'cluster-2-ap-northeast-1a-1',
  labels: { app: 'mockb', locality: 'ap-northeast-1a' },
  locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a', subZone: '' },
  clusterId: 'cluster-2',
  network: 'network-2',
  workloadName: 'mockb-ap-northeast-1a',
  extraMetadata: { APP_CONTAINERS: 'default', MESH_ID: 'cluster.local' },
  podDir: '/state/pods/default_mockb_u1',
  appPorts: [8000],
};

describe('proxy identity', () => {
  test("node ids are Istio's sidecar~ip~pod.ns~ns.svc.cluster.local and router~...", () => {
    assert.equal(
      proxyNodeId(sidecar),
      'sidecar~127.87.1.3~mockb-ap-northeast-1a-5d8f7c9b4-x2x9q.default~default.svc.cluster.local',
    );
    assert.equal(
      proxyNodeId({ ...sidecar, role: 'router', podName: 'gw', namespace: 'istio-system' }),
      'router~127.87.1.3~gw.istio-system~istio-system.svc.cluster.local',
    );
  });

  test('the workload is the Deployment behind the ReplicaSet, else the controller, else the pod', () => {
    const pod = (owner?: Record<string, unknown>, hash?: string) =>
      parsePodSpec({
        metadata: {
          name: 'p-1',
          labels: hash === undefined ? {} : { 'pod-template-hash': hash },
          ownerReferences: owner === undefined ? [] : [{ controller: true, apiVersion: 'apps/v1', ...owner }],
        },
        spec: { containers: [{ name: 'a', image: 'x' }] },
      });
    assert.equal(
      workloadNameOf(pod({ kind: 'ReplicaSet', name: 'mocka-1a-5d8f7c9b4' }, '5d8f7c9b4')),
      'mocka-1a',
    );
    assert.equal(workloadNameOf(pod({ kind: 'StatefulSet', name: 'db' })), 'db');
    assert.equal(workloadNameOf(pod()), 'p-1');
  });

  test('ISTIO_META_ variables become node metadata without the prefix', () => {
    assert.deepEqual(istioMetaFromEnv({ ISTIO_META_CLUSTER_ID: 'c1', ISTIO_META_: 'x', PATH: '/bin' }), {
      CLUSTER_ID: 'c1',
    });
  });
});

describe('ADS bootstrap', () => {
  const bootstrap = adsProxyBootstrap(sidecar, { host: '127.102.0.2', port: 15010 });

  test('node, admin, ADS to xds-grpc and the outlier event log as the design says', () => {
    assert.deepEqual(bootstrap['node'], {
      id: 'sidecar~127.87.1.3~mockb-ap-northeast-1a-5d8f7c9b4-x2x9q.default~default.svc.cluster.local',
      cluster: 'mockb.default',
      locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
      metadata: {
        APP_CONTAINERS: 'default',
        MESH_ID: 'cluster.local',
        CLUSTER_ID: 'cluster-2',
        NAMESPACE: 'default',
        NAME: 'mockb-ap-northeast-1a-5d8f7c9b4-x2x9q',
        LABELS: {
          app: 'mockb',
          locality: 'ap-northeast-1a',
          'service.istio.io/canonical-name': 'mockb',
          'service.istio.io/canonical-revision': 'latest',
        },
        WORKLOAD_NAME: 'mockb-ap-northeast-1a',
        INSTANCE_IPS: '127.87.1.3',
        POD_NAME: 'mockb-ap-northeast-1a-5d8f7c9b4-x2x9q',
        NODE_NAME: 'cluster-2-ap-northeast-1a-1',
        SPILLWAY_LOCALHOST: '127.187.1.3',
        NETWORK: 'network-2',
      },
    });
    assert.deepEqual(bootstrap['admin'], {
      address: { socket_address: { address: '127.187.1.3', port_value: 15000 } },
    });
    assert.deepEqual(bootstrap['cluster_manager'], {
      outlier_detection: { event_log_path: '/state/pods/default_mockb_u1/istio-proxy.outlier-events.log' },
    });
  });

  test("the proxy's own builder accepts it: ADS to xds-grpc, status listeners on the pod IP", () => {
    const config = buildBootstrap(bootstrap, {});
    assert.equal(config.dynamicResources?.ads?.clusterName, 'xds-grpc');
    assert.deepEqual(
      config.listeners.map((l) => `${l.name} ${l.address.address}:${l.address.port}`),
      ['127.87.1.3_15021 127.87.1.3:15021', '127.87.1.3_15090 127.87.1.3:15090'],
    );
    assert.deepEqual(
      config.clusters.map((c) => c.name),
      ['xds-grpc', 'agent', 'prometheus_stats'],
    );
    assert.equal(config.admin?.address.address, '127.187.1.3');
    assert.equal(config.node.locality.zone, 'ap-northeast-1a');
  });

  test('metadata from the container wins over the defaults; an empty network is left out', () => {
    const b = adsProxyBootstrap(
      { ...sidecar, network: '', extraMetadata: { CLUSTER_ID: 'from-env', WORKLOAD_NAME: 'w' } },
      { host: '127.0.0.1', port: 1 },
    );
    const metadata = (b['node'] as { metadata: Record<string, unknown> }).metadata;
    assert.equal(metadata['CLUSTER_ID'], 'from-env');
    assert.equal(metadata['WORKLOAD_NAME'], 'w');
    assert.equal('NETWORK' in metadata, false);
  });
});

describe('static bootstrap', () => {
  test('a sidecar: inbound per app port, the HTTP-proxy listener with the given services, block_all last', () => {
    const b = staticProxyBootstrap(
      { ...sidecar, appPorts: [8000, 9000, 8000] },
      {
        services: [
          {
            host: 'mockc.default.svc.cluster.local',
            port: 8000,
            domains: ['mockc:8000', 'mockc.default.svc.cluster.local:8000'],
            endpoints: [{ address: '127.87.1.4', port: 8000 }],
          },
        ],
      },
    );
    const config = buildBootstrap(b, {});
    assert.deepEqual(
      config.listeners.map((l) => l.name),
      ['127.87.1.3_8000', '127.87.1.3_9000', '127.187.1.3_15001', '127.87.1.3_15021', '127.87.1.3_15090'],
    );
    assert.deepEqual(
      config.clusters.map((c) => c.name),
      [
        'inbound|8000||',
        'inbound|9000||',
        'outbound|8000||mockc.default.svc.cluster.local',
        'agent',
        'prometheus_stats',
      ],
    );
    const outbound = config.listeners.find((l) => l.name === '127.187.1.3_15001');
    assert.deepEqual(
      outbound?.hcm.routeConfig?.virtualHosts.map((v) => v.name),
      ['mockc.default.svc.cluster.local:8000', 'block_all'],
    );
    const inbound = config.listeners.find((l) => l.name === '127.87.1.3_8000');
    assert.equal(inbound?.hcm.serverName, 'istio-envoy');
  });

  test('a router: the services on the gateway port of the pod IP', () => {
    const b = staticProxyBootstrap(
      { ...sidecar, role: 'router', appPorts: [] },
      { gatewayPort: 8080, services: [] },
    );
    const config = buildBootstrap(b, {});
    assert.deepEqual(
      config.listeners.map((l) => l.name),
      ['127.87.1.3_8080', '127.87.1.3_15021', '127.87.1.3_15090'],
    );
  });
});
