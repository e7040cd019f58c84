import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import { SeededRandom } from '../../../core/random.js';
import type { KubeObject } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';
import { LocalObjectClient } from '../local-object-client.js';
import { ObjectDeletion } from '../object-deletion.js';
import { ObjectService } from '../object-service.js';
import { ObjectStore } from '../store/object-store.js';
import type { MutatingAdmission } from './mutating-admission.js';
import {
  injectSidecar,
  isInjectionRequired,
  sidecarInjectorAdmission,
  workloadOf,
  type SidecarInjectionPolicy,
} from './sidecar-injector.js';

function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function pod(
  ns: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: ns, ...meta },
    spec: {
      containers: [{ name: 'app', image: 'example/app:1', ports: [{ containerPort: 8000 }] }],
      ...spec,
    },
  };
}

describe('which pods Istio injects', () => {
  const cases: Array<{
    name: string;
    ns: KubeObject;
    pod: KubeObject;
    policy?: SidecarInjectionPolicy;
    expected: boolean;
  }> = [
    {
      name: 'namespace labelled enabled',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a'),
      expected: true,
    },
    { name: 'unlabelled namespace', ns: namespace('a'), pod: pod('a'), expected: false },
    {
      name: 'namespace labelled disabled',
      ns: namespace('a', { 'istio-injection': 'disabled' }),
      pod: pod('a', { labels: { 'sidecar.istio.io/inject': 'true' } }),
      expected: false,
    },
    {
      name: 'pod label true in an unlabelled namespace',
      ns: namespace('a'),
      pod: pod('a', { labels: { 'sidecar.istio.io/inject': 'true' } }),
      expected: true,
    },
    {
      name: 'pod annotation true alone does not select the object webhook',
      ns: namespace('a'),
      pod: pod('a', { annotations: { 'sidecar.istio.io/inject': 'true' } }),
      expected: false,
    },
    {
      name: 'pod annotation false opts out',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a', { annotations: { 'sidecar.istio.io/inject': 'false' } }),
      expected: false,
    },
    {
      name: 'pod label false opts out',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      expected: false,
    },
    {
      name: 'label wins over annotation',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a', {
        labels: { 'sidecar.istio.io/inject': 'yes' },
        annotations: { 'sidecar.istio.io/inject': 'false' },
      }),
      expected: true,
    },
    {
      name: 'an unknown annotation value means no',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a', { annotations: { 'sidecar.istio.io/inject': 'maybe' } }),
      expected: false,
    },
    {
      name: 'host network is never injected',
      ns: namespace('a', { 'istio-injection': 'enabled' }),
      pod: pod('a', {}, { hostNetwork: true }),
      expected: false,
    },
    {
      name: 'kube-system is never injected',
      ns: namespace('kube-system', { 'istio-injection': 'enabled' }),
      pod: pod('kube-system'),
      expected: false,
    },
    {
      name: "default is not injected under Istio's policy",
      ns: namespace('default'),
      pod: pod('default'),
      policy: 'namespace-label',
      expected: false,
    },
    {
      name: 'default is injected under the lab policy',
      ns: namespace('default'),
      pod: pod('default'),
      policy: 'lab',
      expected: true,
    },
    {
      name: 'default labelled disabled is not injected under the lab policy',
      ns: namespace('default', { 'istio-injection': 'disabled' }),
      pod: pod('default'),
      policy: 'lab',
      expected: false,
    },
    {
      name: 'the lab policy does not extend to other namespaces',
      ns: namespace('other'),
      pod: pod('other'),
      policy: 'lab',
      expected: false,
    },
    {
      name: 'a revision label enables the namespace',
      ns: namespace('a', { 'istio.io/rev': 'default' }),
      pod: pod('a'),
      expected: true,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.expected ? 'injected' : 'not injected'}`, () => {
      assert.equal(isInjectionRequired(c.pod, c.ns, c.policy ?? 'namespace-label'), c.expected);
    });
  }
});

describe('what the injection adds', () => {
  const config = { policy: 'lab' as const, clusterId: 'cluster-1', network: 'network-1' };

  test('appends istio-proxy after the app containers with the template labels and annotations', () => {
    const p = pod('default', { labels: { app: 'mocka', version: 'v1' } });
    injectSidecar(p, config);
    const containers = (p['spec'] as { containers: Array<Record<string, unknown>> }).containers;
    assert.deepEqual(
      containers.map((c) => [c['name'], c['image']]),
      [
        ['app', 'example/app:1'],
        ['istio-proxy', 'spillway/proxyv2'],
      ],
    );
    assert.deepEqual(p.metadata.labels, {
      app: 'mocka',
      version: 'v1',
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'mocka',
      'service.istio.io/canonical-revision': 'v1',
    });
    const annotations = p.metadata.annotations ?? {};
    assert.equal(annotations['kubectl.kubernetes.io/default-container'], 'app');
    assert.deepEqual(JSON.parse(annotations['sidecar.istio.io/status'] ?? ''), {
      initContainers: null,
      containers: ['istio-proxy'],
      volumes: null,
      imagePullSecrets: null,
      revision: 'default',
    });
    const env = Object.fromEntries(
      ((containers[1]?.['env'] ?? []) as Array<{ name: string; value?: string }>).map((e) => [
        e.name,
        e.value,
      ]),
    );
    assert.equal(env['ISTIO_META_CLUSTER_ID'], 'cluster-1');
    assert.equal(env['ISTIO_META_NETWORK'], 'network-1');
    assert.equal(env['ISTIO_META_POD_PORTS'], '[{"containerPort":8000}]');
    assert.equal(env['ISTIO_META_APP_CONTAINERS'], 'app');
    assert.ok('POD_NAME' in env && 'INSTANCE_IP' in env);
  });

  test('keeps labels the pod already sets and falls back to the workload name and "latest"', () => {
    const p = pod('default', { labels: { 'security.istio.io/tlsMode': 'disabled' } });
    p.metadata = {
      ...p.metadata,
      name: '',
      generateName: 'mockb-ap-northeast-1a-5d8f7c9b4-',
      labels: { ...p.metadata.labels, 'pod-template-hash': '5d8f7c9b4' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'mockb-ap-northeast-1a-5d8f7c9b4',
          uid: 'u',
          controller: true,
        },
      ],
    };
    injectSidecar(p, config);
    assert.equal(p.metadata.labels?.['security.istio.io/tlsMode'], 'disabled');
    assert.equal(p.metadata.labels?.['service.istio.io/canonical-name'], 'mockb-ap-northeast-1a');
    assert.equal(p.metadata.labels?.['service.istio.io/canonical-revision'], 'latest');
    const proxy = (
      p['spec'] as { containers: Array<{ name: string; env: Array<{ name: string; value?: string }> }> }
    ).containers[1];
    const owner = proxy?.env.find((e) => e.name === 'ISTIO_META_OWNER')?.value;
    assert.equal(owner, 'kubernetes://apis/apps/v1/namespaces/default/deployments/mockb-ap-northeast-1a');
  });

  test('injecting twice leaves one sidecar (re-injection strips what the status annotation lists)', () => {
    const p = pod('default');
    injectSidecar(p, config);
    injectSidecar(p, config);
    const names = (p['spec'] as { containers: Array<{ name: string }> }).containers.map((c) => c.name);
    assert.deepEqual(names, ['app', 'istio-proxy']);
  });

  test('a pod bringing its own istio-proxy keeps its fields over the template', () => {
    const p = pod('default');
    (p['spec'] as { containers: unknown[] }).containers.push({
      name: 'istio-proxy',
      image: 'custom/proxy:2',
    });
    injectSidecar(p, config);
    const containers = (p['spec'] as { containers: Array<Record<string, unknown>> }).containers;
    assert.equal(containers.length, 2);
    assert.equal(containers[1]?.['image'], 'custom/proxy:2');
    assert.ok(containers[1]?.['readinessProbe'] !== undefined);
  });

  test('a bare pod is its own workload', () => {
    assert.deepEqual(workloadOf(pod('default')), { name: 'p', kind: 'Pod', apiVersion: 'v1' });
  });
});

describe('the injector as an admission step of the API', () => {
  function api(admission: readonly MutatingAdmission[]): LocalObjectClient {
    const service = new ObjectService({
      store: new ObjectStore(),
      clock: new FakeClock(),
      random: new SeededRandom(1),
      admission,
    });
    return new LocalObjectClient(service, new ObjectDeletion(service));
  }

  test('a pod created in an enabled namespace is stored with its sidecar, and passes validation', async () => {
    const client = api([sidecarInjectorAdmission({ policy: 'lab', clusterId: 'c1' })]);
    await client.create('namespaces', namespace('default'));
    await client.create('namespaces', namespace('plain'));
    const created = await client.create('pods', pod('default'));
    const stored = client.get('pods', 'default', 'p');
    for (const object of [created, stored]) {
      const names = (object?.['spec'] as { containers: Array<{ name: string }> }).containers.map(
        (c) => c.name,
      );
      assert.deepEqual(names, ['app', 'istio-proxy']);
    }
    const plain = await client.create('pods', pod('plain'));
    assert.equal((plain['spec'] as { containers: unknown[] }).containers.length, 1);
  });

  test('generated names come after admission, as kube-apiserver orders them', async () => {
    const seen: Array<string | undefined> = [];
    const client = api([
      {
        name: 'probe',
        admit: (a) => void (a.resource.plural === 'pods' && seen.push(a.object.metadata.name)),
      },
    ]);
    await client.create('namespaces', namespace('default'));
    const created = await client.create('pods', {
      ...pod('default'),
      metadata: { generateName: 'x-', namespace: 'default' },
    });
    assert.deepEqual(seen, [undefined]);
    assert.match(created.metadata.name ?? '', /^x-[a-z0-9]{5}$/);
  });

  test('a step that refuses turns the create into its API error, and nothing is stored', async () => {
    const client = api([
      {
        name: 'deny',
        admit: (a) => {
          if (a.resource.plural !== 'pods') return;
          throw new KubeApiError(403, 'Forbidden', 'admission webhook "deny" denied the request');
        },
      },
    ]);
    await client.create('namespaces', namespace('default'));
    await assert.rejects(client.create('pods', pod('default')), /denied the request/);
    assert.equal(client.get('pods', 'default', 'p'), undefined);
  });
});
