import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterRegistry } from './cluster-registry.js';

const host = 'mockb.default.svc.cluster.local';

function registry(): ClusterRegistry {
  return new ClusterRegistry({
    clusterId: 'cluster-2',
    network: 'network-2',
    trustDomain: 'cluster.local',
    domainSuffix: 'cluster.local',
    systemNamespace: 'istio-system',
  });
}

const service = {
  metadata: { name: 'mockb', namespace: 'default' },
  spec: { selector: { app: 'mockb' }, ports: [{ name: 'http', port: 8000 }] },
};

function slice(ready = true): unknown {
  return {
    metadata: {
      name: 'mockb-abcde',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'mockb' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8000 }],
    endpoints: [
      {
        addresses: ['127.81.12.1'],
        conditions: { ready, serving: ready, terminating: false },
        nodeName: 'node-2-0',
        zone: 'ap-northeast-1a',
        targetRef: { kind: 'Pod', namespace: 'default', name: 'mockb-1' },
      },
    ],
  };
}

function pod(labels: Record<string, string> = { app: 'mockb' }, resourceVersion = '1'): unknown {
  return {
    metadata: { name: 'mockb-1', namespace: 'default', labels, resourceVersion },
    spec: { nodeName: 'node-2-0' },
    status: { podIP: '127.81.12.1', phase: 'Running' },
  };
}

function node(labels: Record<string, string>): unknown {
  return { metadata: { name: 'node-2-0', labels } };
}

describe('ClusterRegistry', () => {
  it('shows endpoints once the Service and its slice are known, and fills them in as the pod and node arrive', () => {
    const r = registry();
    assert.deepEqual([...r.apply('EndpointSlice', 'upsert', slice()).services], []);
    assert.deepEqual([...r.apply('Service', 'upsert', service).services], [host]);
    assert.deepEqual(r.endpoints(host)[0]?.locality, { region: '', zone: 'ap-northeast-1a', subZone: '' });

    const podDelta = r.apply('Pod', 'upsert', pod());
    assert.deepEqual([...podDelta.services], [host]);
    assert.deepEqual([...podDelta.workloads], ['cluster-2/default/mockb-1']);
    assert.equal(r.endpoints(host)[0]?.podName, 'mockb-1');

    const nodeDelta = r.apply(
      'Node',
      'upsert',
      node({
        'topology.kubernetes.io/region': 'ap-northeast-1',
        'topology.kubernetes.io/zone': 'ap-northeast-1a',
      }),
    );
    assert.deepEqual([...nodeDelta.services], [host]);
    assert.deepEqual(r.endpoints(host)[0]?.locality, {
      region: 'ap-northeast-1',
      zone: 'ap-northeast-1a',
      subZone: '',
    });
    assert.equal(r.workload('cluster-2/default/mockb-1')?.locality.region, 'ap-northeast-1');
  });

  it('reports no change for a pod update that changes nothing the registry uses', () => {
    const r = registry();
    r.apply('Service', 'upsert', service);
    r.apply('EndpointSlice', 'upsert', slice());
    r.apply('Pod', 'upsert', pod());
    const before = r.endpoints(host);
    const delta = r.apply('Pod', 'upsert', pod({ app: 'mockb' }, '2'));
    assert.deepEqual([...delta.services], []);
    assert.deepEqual([...delta.workloads], []);
    assert.equal(r.endpoints(host), before);
  });

  it('recomputes the endpoints a pod label change affects', () => {
    const r = registry();
    r.apply('Service', 'upsert', service);
    r.apply('EndpointSlice', 'upsert', slice());
    r.apply('Pod', 'upsert', pod());
    const delta = r.apply('Pod', 'upsert', pod({ app: 'mockb', 'istio-locality': 'r9.z9' }, '2'));
    assert.deepEqual([...delta.services], [host]);
    assert.deepEqual(r.endpoints(host)[0]?.locality, { region: 'r9', zone: 'z9', subZone: '' });
  });

  it('moves every endpoint and workload to the network the istio-system namespace labels', () => {
    const r = registry();
    r.apply('Service', 'upsert', service);
    r.apply('EndpointSlice', 'upsert', slice());
    r.apply('Pod', 'upsert', pod());
    assert.equal(r.endpoints(host)[0]?.network, 'network-2');
    const ns = { metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': 'net-east' } } };
    const delta = r.apply('Namespace', 'upsert', ns);
    assert.deepEqual([...delta.services], [host]);
    assert.equal(r.endpoints(host)[0]?.network, 'net-east');
    assert.equal(r.workload('cluster-2/default/mockb-1')?.network, 'net-east');
    r.apply('Namespace', 'delete', ns);
    assert.equal(r.endpoints(host)[0]?.network, 'network-2');
  });

  it('updates health from slice conditions and drops everything when the Service goes', () => {
    const r = registry();
    r.apply('Service', 'upsert', service);
    r.apply('EndpointSlice', 'upsert', slice());
    r.apply('EndpointSlice', 'upsert', slice(false));
    assert.equal(r.endpoints(host)[0]?.health, 'unhealthy');
    const delta = r.apply('Service', 'delete', service);
    assert.deepEqual([...delta.services], [host]);
    assert.equal(r.service(host), undefined);
    assert.deepEqual(r.endpoints(host), []);
  });

  it('keeps a workload only while the pod has an IP and has not finished', () => {
    const r = registry();
    r.apply('Pod', 'upsert', pod());
    assert.equal(r.workload('cluster-2/default/mockb-1')?.address, '127.81.12.1');
    const done = {
      ...(pod() as Record<string, unknown>),
      status: { podIP: '127.81.12.1', phase: 'Succeeded' },
    };
    assert.deepEqual([...r.apply('Pod', 'upsert', done).workloads], ['cluster-2/default/mockb-1']);
    assert.equal(r.workload('cluster-2/default/mockb-1'), undefined);
  });

  it('counts and ignores objects without a name', () => {
    const r = registry();
    const delta = r.apply('Pod', 'upsert', { metadata: {} });
    assert.deepEqual([...delta.services, ...delta.workloads], []);
    r.apply('Service', 'upsert', 'not an object');
    assert.equal(r.droppedObjects, 2);
  });

  it('clear() reports every service and workload it held', () => {
    const r = registry();
    r.apply('Service', 'upsert', service);
    r.apply('Pod', 'upsert', pod());
    const delta = r.clear();
    assert.deepEqual([...delta.services], [host]);
    assert.deepEqual([...delta.workloads], ['cluster-2/default/mockb-1']);
    assert.deepEqual([...r.hostnames()], []);
  });
});
