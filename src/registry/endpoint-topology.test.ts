import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  augmentLabels,
  endpointLocality,
  endpointNetwork,
  nodeLocality,
  podLocalityLabel,
  podTlsMode,
  spiffeIdentity,
  splitLocality,
} from './endpoint-topology.js';
import type { NodeRecord, PodRecord } from './kube-records.js';

function pod(labels: Record<string, string> = {}, annotations: Record<string, string> = {}): PodRecord {
  return {
    namespace: 'default',
    name: 'p',
    labels,
    annotations,
    serviceAccountName: 'default',
    nodeName: 'n1',
  };
}

function node(labels: Record<string, string>): NodeRecord {
  return { name: 'n1', labels };
}

const gaNode = node({
  'topology.kubernetes.io/region': 'ap-northeast-1',
  'topology.kubernetes.io/zone': 'ap-northeast-1a',
});

describe('endpoint locality', () => {
  it('takes region and zone from the node, with an empty subzone', () => {
    assert.deepEqual(endpointLocality({ pod: pod(), node: gaNode }), {
      region: 'ap-northeast-1',
      zone: 'ap-northeast-1a',
      subZone: '',
    });
  });

  it('lets the pod label istio-locality win over the node, with dots as separators', () => {
    assert.deepEqual(
      endpointLocality({ pod: pod({ 'istio-locality': 'us-east1.us-east1-b' }), node: gaNode }),
      {
        region: 'us-east1',
        zone: 'us-east1-b',
        subZone: '',
      },
    );
  });

  it('reads topology.istio.io/locality before istio-locality and keeps slashes as written', () => {
    const labels = { 'topology.istio.io/locality': 'r1/z1/s1', 'istio-locality': 'r2.z2' };
    assert.equal(podLocalityLabel(labels), 'r1/z1/s1');
    assert.deepEqual(endpointLocality({ pod: pod(labels) }), { region: 'r1', zone: 'z1', subZone: 's1' });
  });

  it('falls back to the deprecated failure-domain labels and reads the Istio subzone label', () => {
    const old = node({
      'failure-domain.beta.kubernetes.io/region': 'old-region',
      'failure-domain.beta.kubernetes.io/zone': 'old-zone',
      'topology.istio.io/subzone': 'rack-3',
    });
    assert.deepEqual(nodeLocality(old), { region: 'old-region', zone: 'old-zone', subZone: 'rack-3' });
    const mixed = node({
      'topology.kubernetes.io/region': 'ga-region',
      'failure-domain.beta.kubernetes.io/region': 'old-region',
      'failure-domain.beta.kubernetes.io/zone': 'old-zone',
    });
    assert.deepEqual(nodeLocality(mixed), { region: 'ga-region', zone: 'old-zone', subZone: '' });
  });

  it('uses the EndpointSlice zone alone when neither pod label nor node is known', () => {
    assert.deepEqual(endpointLocality({ sliceZone: 'cn-hangzhou-k' }), {
      region: '',
      zone: 'cn-hangzhou-k',
      subZone: '',
    });
    assert.deepEqual(endpointLocality({ pod: pod(), node: node({}), sliceZone: 'z' }), {
      region: '',
      zone: 'z',
      subZone: '',
    });
  });

  it('is unknown (all empty) with nothing to go on', () => {
    assert.deepEqual(endpointLocality({}), { region: '', zone: '', subZone: '' });
  });

  it('splits region/zone/subzone and ignores extra parts', () => {
    assert.deepEqual(splitLocality('a'), { region: 'a', zone: '', subZone: '' });
    assert.deepEqual(splitLocality('a/b/c/d'), { region: 'a', zone: 'b', subZone: 'c' });
  });
});

describe('endpoint network precedence', () => {
  const table: ReadonlyArray<
    [string, Record<string, string> | undefined, string | undefined, string, string]
  > = [
    ['pod label wins', { 'topology.istio.io/network': 'pod-net' }, 'ns-net', 'cluster-net', 'pod-net'],
    ['then the system namespace label', {}, 'ns-net', 'cluster-net', 'ns-net'],
    ['then the cluster network', {}, undefined, 'cluster-net', 'cluster-net'],
    [
      'an empty pod label does not count',
      { 'topology.istio.io/network': '' },
      '',
      'cluster-net',
      'cluster-net',
    ],
    ['no pod at all', undefined, undefined, '', ''],
  ];
  for (const [name, labels, systemNs, cluster, expected] of table) {
    it(name, () => assert.equal(endpointNetwork(labels, systemNs, cluster), expected));
  }
});

describe('augmented labels', () => {
  it('adds region, zone, subzone, cluster, hostname and network to the pod labels', () => {
    const labels = augmentLabels(
      { app: 'mockb' },
      'cluster-2',
      { region: 'ap-northeast-1', zone: 'ap-northeast-1a', subZone: 'rack-1' },
      'node-2-0',
      'network-2',
    );
    assert.deepEqual(labels, {
      app: 'mockb',
      'topology.kubernetes.io/region': 'ap-northeast-1',
      'topology.kubernetes.io/zone': 'ap-northeast-1a',
      'topology.istio.io/subzone': 'rack-1',
      'topology.istio.io/cluster': 'cluster-2',
      'kubernetes.io/hostname': 'node-2-0',
      'topology.istio.io/network': 'network-2',
    });
  });

  it('adds only what is known and never overrides a network the pod labels', () => {
    const labels = augmentLabels(
      { 'topology.istio.io/network': 'own' },
      'c',
      { region: '', zone: 'z', subZone: '' },
      undefined,
      'other',
    );
    assert.deepEqual(labels, {
      'topology.istio.io/network': 'own',
      'topology.kubernetes.io/zone': 'z',
      'topology.istio.io/cluster': 'c',
    });
  });
});

describe('TLS mode and identity', () => {
  it('is istio with the injector label, disabled with another value, without a pod, or without any marker', () => {
    assert.equal(podTlsMode(pod({ 'security.istio.io/tlsMode': 'istio' })), 'istio');
    assert.equal(
      podTlsMode(pod({ 'security.istio.io/tlsMode': 'disabled' }, { 'sidecar.istio.io/status': '{}' })),
      'disabled',
    );
    assert.equal(podTlsMode(undefined), 'disabled');
    assert.equal(podTlsMode(pod()), 'disabled');
  });

  it('is istio for a pod with the sidecar status annotation and no label', () => {
    assert.equal(
      podTlsMode(pod({}, { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' })),
      'istio',
    );
  });

  it('builds the SPIFFE identity of the service account', () => {
    assert.equal(
      spiffeIdentity('cluster.local', 'default', 'mockb'),
      'spiffe://cluster.local/ns/default/sa/mockb',
    );
  });
});
