/**
 * Proxyless gRPC against the control plane, with the real @grpc/grpc-js-xds 1.14.1 client: a gRPC
 * service `echo` (port `grpc-echo` 50051) with pods in two zones of cluster-2 and two zones of
 * cluster-1, a DestinationRule with outlier detection (so Istio assigns locality priorities), and a
 * client in ap-northeast-1a asking for `xds:///echo.default.svc.cluster.local:50051`. The client ACKs
 * every resource (CSDS, no NACK), reaches its own zone, and moves to the next priority when the
 * local endpoints go away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '../support/wait-for.js';
import { XdsClientProcess } from '../support/xds-client-process.js';
import { closeSeedCluster, startSeedCluster, type SeedCluster } from '../registry/support/seed-clusters.js';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane-process.js';

const identity = (b: Buffer): Buffer => b;
const echoService: grpc.ServiceDefinition = {
  Echo: {
    path: '/spillway.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function echoManifests(zones: readonly string[]): string {
  const docs: unknown[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', labels: { app: 'echo' } },
      spec: { selector: { app: 'echo' }, ports: [{ name: 'grpc-echo', port: 50051 }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'echo' },
      spec: {
        host: 'echo',
        trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1, maxEjectionPercent: 100 } },
      },
    },
    ...zones.map((zone) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `echo-${zone}` },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'echo', zone } },
        template: {
          metadata: { labels: { app: 'echo', zone } },
          spec: {
            nodeSelector: { 'topology.kubernetes.io/zone': zone },
            containers: [{ name: 'echo', image: 'echo:1', ports: [{ containerPort: 50051 }] }],
          },
        },
      },
    })),
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs });
}

describe('grpc-js-xds (proxyless gRPC) against the control plane', () => {
  let c1: SeedCluster | undefined;
  let c2: SeedCluster | undefined;
  let cp: ControlPlaneProcess | undefined;
  let client: XdsClientProcess | undefined;
  const servers: grpc.Server[] = [];

  before(async () => {
    c1 = await startSeedCluster({ clusterId: 'cluster-1', address: '127.89.1.1', ipPrefix: '127.89.11' });
    c2 = await startSeedCluster({ clusterId: 'cluster-2', address: '127.89.2.1', ipPrefix: '127.89.12' });
    await c1.kubectl(['apply', '-f', '-'], echoManifests(c1.zones));
    await c2.kubectl(['apply', '-f', '-'], echoManifests(c2.zones));
    for (const seed of [c1, c2]) {
      await waitFor(
        `echo pods ready in ${seed.clusterId}`,
        () => [...seed.agent.marked.keys()].filter((k) => k.startsWith('default/echo-')).length === 2,
        { timeoutMs: 20_000 },
      );
      for (const [key, ip] of seed.agent.marked) {
        if (!key.startsWith('default/echo-')) continue;
        const name = key.slice('default/'.length).replace(/-[a-z0-9]+-[a-z0-9]+$/, '');
        const server = new grpc.Server();
        server.addService(echoService, {
          Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
            done(null, Buffer.from(name)),
        });
        await new Promise<void>((resolve, reject) =>
          server.bindAsync(`${ip}:50051`, grpc.ServerCredentials.createInsecure(), (err) =>
            err ? reject(err) : resolve(),
          ),
        );
        servers.push(server);
      }
    }
    cp = await startControlPlane([
      '--cluster-id',
      'cluster-2',
      '--kubeconfig',
      c2.cluster.kubeconfig,
      '--remote',
      `${c1.cluster.kubeconfig}=cluster-1`,
      '--xds-address',
      '127.89.2.2:0',
      '--admin-address',
      '127.89.2.2:0',
    ]);
    await waitFor(
      'control plane ready',
      async () => (await (cp as ControlPlaneProcess).status('/ready')) === 200,
      { timeoutMs: 20_000 },
    );
    client = XdsClientProcess.start(
      {
        serverUri: `${cp.xds.address}:${cp.xds.port}`,
        nodeId: 'grpc-client-1a',
        locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
        metadata: { GENERATOR: 'grpc', NAMESPACE: 'default', CLUSTER_ID: 'cluster-2' },
      },
      'xds:///echo.default.svc.cluster.local:50051',
      '127.89.2.3',
    );
  });

  after(async () => {
    await client?.stop();
    await cp?.stop();
    for (const s of servers) s.forceShutdown();
    await closeSeedCluster(c1);
    await closeSeedCluster(c2);
  });

  test('the client reaches its own zone and ACKs every resource', async () => {
    const c = client as XdsClientProcess;
    const reply = await waitFor(
      'an RPC answered',
      async () => {
        const r = await c.call();
        return r.reply;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(reply, 'echo-ap-northeast-1a');
    // Every call stays in the zone: priority 0 holds only ap-northeast-1a (round robin over all four
    // localities would spread them).
    for (let i = 0; i < 12; i++) assert.equal((await c.call()).reply, 'echo-ap-northeast-1a');
    const statuses = await c.clientStatus();
    const types = new Set(statuses.map((s) => s.typeUrl.split('.').pop()));
    assert.deepEqual(types, new Set(['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']));
    for (const s of statuses)
      assert.equal(s.clientStatus, 'ACKED', `${s.typeUrl} ${s.name}: ${s.errorDetails ?? ''}`);
  });

  test('when the local endpoints go away the client moves to the next priority (ap-northeast-1b)', async () => {
    await (c2 as SeedCluster).kubectl(['scale', 'deployment', 'echo-ap-northeast-1a', '--replicas=0']);
    const c = client as XdsClientProcess;
    await waitFor(
      'replies from ap-northeast-1b',
      async () => (await c.call()).reply === 'echo-ap-northeast-1b',
      { timeoutMs: 20_000 },
    );
    for (const s of await c.clientStatus()) assert.equal(s.clientStatus, 'ACKED', `${s.typeUrl} ${s.name}`);
  });
});
