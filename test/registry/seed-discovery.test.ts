/**
 * Multi-cluster discovery of the seed against two real lab API servers: the aggregate registry shows
 * mocka/mockb/mockc with four endpoints each (two zones x two clusters) with their localities, cluster
 * ids and networks; the config store shows the config cluster's Istio resources only; updates
 * (a pod turning unready, a scaled deployment, an edited DestinationRule) arrive in new snapshots;
 * an invalid DestinationRule stored by an API server without Istio's webhook is skipped with its
 * reason while everything else keeps flowing. Manifests go in with real kubectl, pod status through
 * the status subresource with real client-node, discovery through client-node informers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { MeshDiscovery } from '../../src/registry/mesh-discovery.js';
import type { MeshEndpoint, RegistrySnapshot } from '../../src/registry/mesh-model.js';
import type { RegistryChange } from '../../src/registry/aggregate-registry.js';
import { waitFor } from '../support/wait-for.js';
import { closeSeedCluster, startSeedCluster, topology, type SeedCluster } from './support/seed-clusters.js';

const services = ['mocka', 'mockb', 'mockc'] as const;
const host = (s: string): string => `${s}.default.svc.cluster.local`;
const networks: Record<string, string> = { 'cluster-1': 'network-1', 'cluster-2': 'network-2' };

function endpointsOf(snapshot: RegistrySnapshot, service: string): readonly MeshEndpoint[] {
  return snapshot.endpoints.get(host(service)) ?? [];
}

/** The endpoint of the pod whose name starts with `prefix` (a Deployment's pods). */
function endpointOfDeployment(
  snapshot: RegistrySnapshot,
  service: string,
  deployment: string,
): MeshEndpoint[] {
  return endpointsOf(snapshot, service).filter((e) => e.podName?.startsWith(`${deployment}-`) === true);
}

describe('multi-cluster discovery of the seed (two lab API servers, client-node informers)', () => {
  let c1: SeedCluster | undefined;
  let c2: SeedCluster | undefined;
  let discovery: MeshDiscovery | undefined;
  const changes: RegistryChange[] = [];

  before(async () => {
    // cluster-1 has no Istio validating webhook: invalid Istio resources can be stored there.
    c1 = await startSeedCluster({
      clusterId: 'cluster-1',
      address: '127.81.1.1',
      ipPrefix: '127.81.11',
      isIstioWebhookEnabled: false,
    });
    c2 = await startSeedCluster({ clusterId: 'cluster-2', address: '127.81.2.1', ipPrefix: '127.81.12' });
    // A DestinationRule that only the remote cluster has: a control plane must not read it.
    await c2.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'only-in-cluster-2', namespace: 'default' },
        spec: { host: 'mocka' },
      }),
    );
    discovery = new MeshDiscovery({
      local: { clusterId: 'cluster-1', network: 'network-1', kubeconfig: c1.cluster.kubeconfig },
      remotes: [{ clusterId: 'cluster-2', network: 'network-2', kubeconfig: c2.cluster.kubeconfig }],
      backoff: { initialMs: 50, maxMs: 500 },
    });
    discovery.registry.onChange((change) => changes.push(change));
    discovery.start();
    await discovery.whenReady();
  });

  after(async () => {
    await discovery?.stop();
    await closeSeedCluster(c1);
    await closeSeedCluster(c2);
  });

  test('mocka, mockb and mockc each have 4 endpoints: two zones in each cluster, with locality, cluster id and network', async () => {
    const registry = (discovery as MeshDiscovery).registry;
    // Synced (listed) comes first; connected follows once every watch is accepted.
    const snapshot = await waitFor('12 healthy endpoints of the seed, both clusters connected', () => {
      const s = registry.snapshot();
      const isComplete = services.every(
        (svc) => endpointsOf(s, svc).length === 4 && endpointsOf(s, svc).every((e) => e.health === 'healthy'),
      );
      return isComplete && s.clusters.every((c) => c.isConnected) ? s : undefined;
    });
    for (const svc of services) {
      const service = snapshot.services.get(host(svc));
      assert.ok(service, svc);
      assert.deepEqual([...service.clusters.keys()], ['cluster-1', 'cluster-2']);
      assert.deepEqual(service.ports, [{ name: 'http', port: 8000, protocol: 'TCP', targetPort: 8000 }]);
      assert.deepEqual(service.exportTo, ['*']);
      for (const [clusterId, { region, zones }] of Object.entries(topology)) {
        const prefix = clusterId === 'cluster-1' ? '127.81.11.' : '127.81.12.';
        for (const zone of zones) {
          const [ep, ...more] = endpointOfDeployment(snapshot, svc, `${svc}-${zone}`);
          assert.ok(ep !== undefined && more.length === 0, `${svc} in ${zone}`);
          assert.deepEqual(ep.locality, { region, zone, subZone: '' });
          assert.equal(ep.clusterId, clusterId);
          assert.equal(ep.network, networks[clusterId]);
          assert.ok(ep.address.startsWith(prefix), `${ep.address} is a ${clusterId} pod IP`);
          assert.equal(ep.servicePortName, 'http');
          assert.equal(ep.servicePort, 8000);
          assert.equal(ep.endpointPort, 8000);
          assert.equal(ep.tlsMode, 'disabled');
          assert.equal(ep.serviceAccount, 'spiffe://cluster.local/ns/default/sa/default');
          assert.equal(ep.labels['app'], svc);
          assert.equal(ep.labels['topology.kubernetes.io/region'], region);
          assert.equal(ep.labels['topology.kubernetes.io/zone'], zone);
          assert.equal(ep.labels['topology.istio.io/cluster'], clusterId);
          assert.equal(ep.labels['topology.istio.io/network'], networks[clusterId]);
          assert.equal(ep.labels['kubernetes.io/hostname'], ep.nodeName);
        }
      }
    }
    // The article's example: mockb in ap-northeast-1a comes from cluster-2.
    const [mockb1a] = endpointOfDeployment(snapshot, 'mockb', 'mockb-ap-northeast-1a');
    assert.equal(mockb1a?.clusterId, 'cluster-2');
    assert.equal(mockb1a?.locality.zone, 'ap-northeast-1a');

    const pods = [...snapshot.workloads.values()];
    assert.equal(pods.length, 12);
    const workload = pods.find((w) => w.address === mockb1a?.address);
    assert.equal(workload?.clusterId, 'cluster-2');
    assert.equal(workload?.locality.zone, 'ap-northeast-1a');
    assert.equal(workload?.name, mockb1a?.podName);

    assert.deepEqual(
      snapshot.clusters.map((c) => [c.clusterId, c.network, c.hasSynced, c.isConnected, c.syncStatus]),
      [
        ['cluster-1', 'network-1', true, true, 'synced'],
        ['cluster-2', 'network-2', true, true, 'synced'],
      ],
    );
    assert.ok(changes.length > 0 && changes.some((c) => c.services.has(host('mockb'))));
  });

  test("the config store holds the config cluster's 3 DestinationRules, the Gateway and the VirtualService, and nothing of the remote's", async () => {
    const config = (discovery as MeshDiscovery).config;
    const snapshot = await waitFor('the seed config', () => {
      const s = config.snapshot();
      return s.destinationRules.length === 3 && s.gateways.length === 1 && s.virtualServices.length === 1
        ? s
        : undefined;
    });
    assert.deepEqual(
      snapshot.destinationRules.map((d) => [d.name, d.namespace, d.clusterId, d.spec.host]),
      [
        ['mocka', 'default', 'cluster-1', 'mocka'],
        ['mockb', 'default', 'cluster-1', 'mockb'],
        ['mockc', 'default', 'cluster-1', 'mockc'],
      ],
    );
    assert.deepEqual(snapshot.destinationRules[1]?.spec.trafficPolicy?.outlierDetection, {
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailures: 1,
      baseEjectionTime: '5m',
      consecutive5xxErrors: 1,
      interval: '30s',
      maxEjectionPercent: 100,
    });
    assert.equal(snapshot.gateways[0]?.name, 'mocka');
    assert.deepEqual(snapshot.gateways[0]?.spec.selector, { istio: 'ingressgateway' });
    assert.equal(snapshot.virtualServices[0]?.name, 'demoapp-vs');
    assert.deepEqual(snapshot.virtualServices[0]?.spec.gateways, ['mocka']);
    assert.deepEqual(snapshot.serviceEntries, []);
    assert.deepEqual(snapshot.sidecars, []);
    assert.deepEqual(config.rejected(), []);
  });

  test('a pod turning unready, a scaled deployment and an edited DestinationRule show up in new snapshots', async () => {
    const d = discovery as MeshDiscovery;
    const one = c1 as SeedCluster;
    const two = c2 as SeedCluster;
    const before = d.registry.snapshot();

    // The node agent reports mockc-cn-hangzhou-h's container as no longer ready.
    const [target] = endpointOfDeployment(before, 'mockc', 'mockc-cn-hangzhou-h');
    assert.ok(target?.podName !== undefined);
    one.agent.leaveAlone('default', target.podName);
    const kc = new KubeConfig();
    kc.loadFromFile(one.cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const pod: V1Pod = await core.readNamespacedPod({ namespace: 'default', name: target.podName });
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c,
    );
    await core.replaceNamespacedPodStatus({
      namespace: 'default',
      name: target.podName,
      body: { ...pod, status: { ...pod.status, conditions } },
    });
    const unready = await waitFor('mockc-cn-hangzhou-h unhealthy', () => {
      const s = d.registry.snapshot();
      const [ep] = endpointOfDeployment(s, 'mockc', 'mockc-cn-hangzhou-h');
      return ep?.health === 'unhealthy' ? s : undefined;
    });
    assert.ok(unready.version > before.version);
    assert.equal(endpointsOf(unready, 'mockc').filter((e) => e.health === 'healthy').length, 3);
    // Services the change did not touch keep their endpoint lists (structural sharing).
    assert.equal(unready.endpoints.get(host('mocka')), before.endpoints.get(host('mocka')));
    assert.ok(changes.some((c) => c.services.has(host('mockc')) && c.version > before.version));

    await two.kubectl(['scale', 'deployment', 'mocka-ap-northeast-1b', '--replicas=2']);
    const scaled = await waitFor('two healthy mocka endpoints in ap-northeast-1b', () => {
      const s = d.registry.snapshot();
      const eps = endpointOfDeployment(s, 'mocka', 'mocka-ap-northeast-1b');
      return eps.length === 2 && eps.every((e) => e.health === 'healthy') ? s : undefined;
    });
    assert.equal(endpointsOf(scaled, 'mocka').length, 5);
    for (const ep of endpointOfDeployment(scaled, 'mocka', 'mocka-ap-northeast-1b')) {
      assert.deepEqual(
        [ep.clusterId, ep.locality.region, ep.locality.zone],
        ['cluster-2', 'ap-northeast-1', 'ap-northeast-1b'],
      );
    }

    const configBefore = d.config.snapshot();
    await one.kubectl([
      'patch',
      'destinationrule',
      'mockb',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } } }),
    ]);
    const edited = await waitFor('the edited DestinationRule', () => {
      const s = d.config.snapshot();
      const dr = s.destinationRules.find((r) => r.name === 'mockb');
      return dr?.spec.trafficPolicy?.outlierDetection?.consecutive5xxErrors === 3 ? s : undefined;
    });
    assert.ok(edited.version > configBefore.version);
    assert.equal(edited.destinationRules.length, 3);
    // Only the DestinationRules changed: the other kinds' lists are the same objects.
    assert.equal(edited.gateways, configBefore.gateways);
  });

  test('an invalid DestinationRule that got past the API server is skipped with its reason; the others remain', async () => {
    const d = discovery as MeshDiscovery;
    const one = c1 as SeedCluster;
    const invalidOutlier = { consecutiveLocalOriginFailures: 1, interval: '10s' };
    await one.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'local-origin-without-split', namespace: 'default' },
        spec: { host: 'mockc', trafficPolicy: { outlierDetection: invalidOutlier } },
      }),
    );
    const [rejected] = await waitFor('the rejection', () => {
      const r = d.config.rejected();
      return r.length === 1 ? r : undefined;
    });
    assert.equal(rejected?.kind, 'DestinationRule');
    assert.equal(`${rejected?.namespace}/${rejected?.name}`, 'default/local-origin-without-split');
    assert.equal(rejected?.clusterId, 'cluster-1');
    assert.deepEqual(rejected?.issues, [
      {
        field: 'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures',
        message:
          'Invalid value: 1: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
      },
    ]);
    assert.equal(d.config.rejectionCounts().DestinationRule, 1);
    assert.deepEqual(
      d.config.snapshot().destinationRules.map((r) => r.name),
      ['mocka', 'mockb', 'mockc'],
    );

    // An invalid update of a valid resource is not half-applied: the resource leaves the served
    // config as a whole, and comes back when fixed.
    await one.kubectl([
      'patch',
      'destinationrule',
      'mockc',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { trafficPolicy: { outlierDetection: { splitExternalLocalOriginErrors: false } } },
      }),
    ]);
    await waitFor('mockc rejected', () => d.config.rejected().some((r) => r.name === 'mockc'));
    assert.deepEqual(
      d.config.snapshot().destinationRules.map((r) => r.name),
      ['mocka', 'mockb'],
    );
    assert.equal(d.config.rejectionCounts().DestinationRule, 2);
    await one.kubectl([
      'patch',
      'destinationrule',
      'mockc',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { trafficPolicy: { outlierDetection: { splitExternalLocalOriginErrors: true } } },
      }),
    ]);
    await waitFor('mockc served again', () =>
      d.config.snapshot().destinationRules.some((r) => r.name === 'mockc'),
    );
    assert.deepEqual(
      d.config.rejected().map((r) => r.name),
      ['local-origin-without-split'],
    );
    // Discovery was never disturbed.
    assert.equal(endpointsOf(d.registry.snapshot(), 'mockb').length, 4);
  });
});
