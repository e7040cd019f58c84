import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServiceEndpoints, type EndpointContext, type EndpointLookups } from './endpoint-builder.js';
import {
  objectKey,
  parseEndpointSlice,
  parseNode,
  parsePod,
  parseService,
  type NodeRecord,
  type PodRecord,
  type ServiceRecord,
  type SliceRecord,
} from './kube-records.js';

const hostname = 'mockb.default.svc.cluster.local';
const ctx: EndpointContext = {
  clusterId: 'cluster-2',
  clusterNetwork: 'network-2',
  trustDomain: 'cluster.local',
};

const service = parseService({
  metadata: { name: 'mockb', namespace: 'default', labels: { app: 'mockb' } },
  spec: {
    selector: { app: 'mockb' },
    ports: [
      { name: 'http', port: 8000 },
      { name: 'metrics', port: 9090, targetPort: 'prom' },
    ],
  },
}) as ServiceRecord;

function slice(
  name: string,
  endpoints: unknown[],
  ports: unknown[] = [{ name: 'http', port: 8000, protocol: 'TCP' }],
  extraLabels: Record<string, string> = {},
): SliceRecord {
  return parseEndpointSlice({
    metadata: {
      name,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'mockb', ...extraLabels },
    },
    addressType: 'IPv4',
    ports,
    endpoints,
  }) as SliceRecord;
}

function endpoint(ip: string, pod: string | undefined, extra: Record<string, unknown> = {}): unknown {
  return {
    addresses: [ip],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: 'node-2-0',
    zone: 'ap-northeast-1a',
    ...(pod !== undefined ? { targetRef: { kind: 'Pod', namespace: 'default', name: pod } } : {}),
    ...extra,
  };
}

const pod1 = parsePod({
  metadata: {
    name: 'mockb-ap-northeast-1a-abc',
    namespace: 'default',
    labels: { app: 'mockb', locality: 'ap-northeast-1a' },
  },
  spec: { nodeName: 'node-2-0', serviceAccountName: 'mockb' },
  status: { podIP: '127.81.12.1', phase: 'Running' },
}) as PodRecord;

const node20 = parseNode({
  metadata: {
    name: 'node-2-0',
    labels: {
      'topology.kubernetes.io/region': 'ap-northeast-1',
      'topology.kubernetes.io/zone': 'ap-northeast-1a',
    },
  },
}) as NodeRecord;

function lookups(pods: PodRecord[], nodes: NodeRecord[]): EndpointLookups {
  return {
    podByKey: (ns, name) => pods.find((p) => objectKey(p.namespace, p.name) === objectKey(ns, name)),
    podsByIp: (ip) => pods.filter((p) => p.podIP === ip),
    node: (name) => nodes.find((n) => n.name === name),
  };
}

describe('EndpointSlice + Pod + Node -> MeshEndpoint', () => {
  it('builds one endpoint per address and port with the pod, node and cluster facts', () => {
    const { endpoints, deps } = buildServiceEndpoints(
      hostname,
      service,
      [slice('mockb-x1', [endpoint('127.81.12.1', pod1.name)])],
      lookups([pod1], [node20]),
      ctx,
    );
    assert.deepEqual(endpoints, [
      {
        serviceHostname: hostname,
        servicePortName: 'http',
        servicePort: 8000,
        address: '127.81.12.1',
        endpointPort: 8000,
        labels: {
          app: 'mockb',
          locality: 'ap-northeast-1a',
          'topology.kubernetes.io/region': 'ap-northeast-1',
          'topology.kubernetes.io/zone': 'ap-northeast-1a',
          'topology.istio.io/cluster': 'cluster-2',
          'kubernetes.io/hostname': 'node-2-0',
          'topology.istio.io/network': 'network-2',
        },
        locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a', subZone: '' },
        clusterId: 'cluster-2',
        network: 'network-2',
        namespace: 'default',
        podName: 'mockb-ap-northeast-1a-abc',
        workloadName: 'mockb-ap-northeast-1a-abc',
        nodeName: 'node-2-0',
        serviceAccount: 'spiffe://cluster.local/ns/default/sa/mockb',
        health: 'healthy',
        tlsMode: 'disabled',
        weight: 1,
      },
    ]);
    assert.deepEqual([...deps.podKeys], ['default/mockb-ap-northeast-1a-abc']);
    assert.deepEqual([...deps.nodes], ['node-2-0']);
  });

  it('keeps an endpoint whose pod is not known yet, placed by the slice node and zone', () => {
    const withNode = buildServiceEndpoints(
      hostname,
      service,
      [slice('s', [endpoint('127.81.12.9', 'later')])],
      lookups([], [node20]),
      ctx,
    );
    assert.equal(withNode.endpoints.length, 1);
    const [ep] = withNode.endpoints;
    assert.deepEqual(ep?.locality, { region: 'ap-northeast-1', zone: 'ap-northeast-1a', subZone: '' });
    assert.equal(ep?.podName, undefined);
    assert.equal(ep?.serviceAccount, undefined);
    assert.equal(ep?.tlsMode, 'disabled');
    assert.equal(ep?.nodeName, 'node-2-0');
    assert.deepEqual([...withNode.deps.podKeys], ['default/later']);

    const nothingKnown = buildServiceEndpoints(
      hostname,
      service,
      [slice('s', [endpoint('127.81.12.9', 'later')])],
      lookups([], []),
      ctx,
    );
    assert.deepEqual(nothingKnown.endpoints[0]?.locality, {
      region: '',
      zone: 'ap-northeast-1a',
      subZone: '',
    });
  });

  it('maps slice ports to service ports by name and uses the slice port as the endpoint port', () => {
    const ports = [
      { name: 'http', port: 8000 },
      { name: 'metrics', port: 19090 },
      { name: 'unknown', port: 7000 },
    ];
    const { endpoints } = buildServiceEndpoints(
      hostname,
      service,
      [slice('s', [endpoint('127.81.12.1', pod1.name)], ports)],
      lookups([pod1], [node20]),
      ctx,
    );
    assert.deepEqual(
      endpoints.map((e) => [e.servicePortName, e.servicePort, e.endpointPort]),
      [
        ['http', 8000, 8000],
        ['metrics', 9090, 19090],
      ],
    );
  });

  it('carries the health of each endpoint from its conditions', () => {
    const eps = [
      endpoint('127.81.12.1', undefined),
      endpoint('127.81.12.2', undefined, {
        conditions: { ready: false, serving: false, terminating: false },
      }),
      endpoint('127.81.12.3', undefined, { conditions: { ready: false, serving: true, terminating: true } }),
    ];
    const { endpoints } = buildServiceEndpoints(hostname, service, [slice('s', eps)], lookups([], []), ctx);
    assert.deepEqual(
      endpoints.map((e) => e.health),
      ['healthy', 'unhealthy', 'terminating'],
    );
  });

  it('dedupes an address present in two slices, keeping the first slice by name', () => {
    const a = slice('mockb-a', [endpoint('127.81.12.1', pod1.name)]);
    const b = slice('mockb-b', [endpoint('127.81.12.1', pod1.name, { conditions: { ready: false } })]);
    const { endpoints } = buildServiceEndpoints(hostname, service, [b, a], lookups([pod1], [node20]), ctx);
    assert.deepEqual(
      endpoints.map((e) => [e.address, e.health]),
      [['127.81.12.1', 'healthy']],
    );
  });

  it('finds the pod by IP in the slice namespace when the endpoint has no targetRef', () => {
    const other = { ...pod1, namespace: 'other', name: 'impostor' };
    const { endpoints, deps } = buildServiceEndpoints(
      hostname,
      service,
      [slice('manual', [endpoint('127.81.12.1', undefined)])],
      lookups([other, pod1], [node20]),
      ctx,
    );
    assert.equal(endpoints[0]?.podName, pod1.name);
    assert.deepEqual([...deps.ips], ['127.81.12.1']);
  });

  it('ignores MCS-imported slices and slices that are not IPv4', () => {
    const mcs = slice('imported', [endpoint('127.81.12.1', pod1.name)], undefined, {
      'multicluster.kubernetes.io/service-name': 'mockb',
    });
    const fqdn = { ...slice('fqdn', [endpoint('example.com', undefined)]), addressType: 'FQDN' };
    const { endpoints } = buildServiceEndpoints(
      hostname,
      service,
      [mcs, fqdn],
      lookups([pod1], [node20]),
      ctx,
    );
    assert.deepEqual(endpoints, []);
  });

  it('takes the network from the system namespace when the pod has no network label', () => {
    const { endpoints } = buildServiceEndpoints(
      hostname,
      service,
      [slice('s', [endpoint('127.81.12.1', pod1.name)])],
      lookups([pod1], [node20]),
      { ...ctx, systemNamespaceNetwork: 'from-istio-system' },
    );
    assert.equal(endpoints[0]?.network, 'from-istio-system');
    assert.equal(endpoints[0]?.labels['topology.istio.io/network'], 'from-istio-system');
  });
});
