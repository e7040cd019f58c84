/**
 * A remote cluster that goes down never blocks the others (two real lab API servers, client-node
 * informers): while cluster-2's API server is stopped, cluster-1's changes keep flowing, cluster-2's
 * last known endpoints stay, and its state is disconnected with the error and since when; a control
 * plane started during the outage serves after a bounded wait; when cluster-2 comes back on its data
 * directory both registries resync, including a change made while it was unreachable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiServer } from '../../src/kube/apiserver/start-api-server.js';
import { MeshDiscovery } from '../../src/registry/mesh-discovery.js';
import type { ClusterSyncState, MeshEndpoint, RegistrySnapshot } from '../../src/registry/mesh-model.js';
import { waitFor } from '../support/wait-for.js';
import { closeSeedCluster, startSeedCluster, type SeedCluster } from './support/seed-clusters.js';

const host = (s: string): string => `${s}.default.svc.cluster.local`;
const backoff = { initialMs: 100, maxMs: 1000 };

function endpointsOf(snapshot: RegistrySnapshot, service: string, clusterId?: string): MeshEndpoint[] {
  return (snapshot.endpoints.get(host(service)) ?? []).filter(
    (e) => clusterId === undefined || e.clusterId === clusterId,
  );
}

function stateOf(discovery: MeshDiscovery, clusterId: string): ClusterSyncState {
  const state = discovery.syncStates().find((s) => s.clusterId === clusterId);
  assert.ok(state, clusterId);
  return state;
}

function discoveryOf(c1: SeedCluster, c2: SeedCluster, remoteSyncTimeoutMs?: number): MeshDiscovery {
  return new MeshDiscovery({
    local: { clusterId: 'cluster-1', network: '', kubeconfig: c1.cluster.kubeconfig },
    remotes: [{ clusterId: 'cluster-2', network: '', kubeconfig: c2.cluster.kubeconfig }],
    backoff,
    ...(remoteSyncTimeoutMs !== undefined ? { remoteSyncTimeoutMs } : {}),
  });
}

describe('a remote cluster going down and coming back', () => {
  let c1: SeedCluster | undefined;
  let c2: SeedCluster | undefined;
  let first: MeshDiscovery | undefined;
  let late: MeshDiscovery | undefined;
  /** A cluster-2 endpoint of mockb seen before the outage. */
  let probe: MeshEndpoint | undefined;

  before(async () => {
    c1 = await startSeedCluster({ clusterId: 'cluster-1', address: '127.81.3.1', ipPrefix: '127.81.13' });
    c2 = await startSeedCluster({ clusterId: 'cluster-2', address: '127.81.4.1', ipPrefix: '127.81.14' });
    first = discoveryOf(c1, c2);
    first.start();
    const d = first;
    await waitFor('both clusters discovered and connected', () => {
      const s = d.registry.snapshot();
      const isComplete = ['mocka', 'mockb', 'mockc'].every(
        (svc) => endpointsOf(s, svc).filter((e) => e.health === 'healthy').length === 4,
      );
      return isComplete && d.syncStates().every((c) => c.isConnected);
    });
  });

  after(async () => {
    await first?.stop();
    await late?.stop();
    await closeSeedCluster(c1);
    await closeSeedCluster(c2);
  });

  test("with cluster-2's API server stopped, cluster-1 keeps flowing and cluster-2's endpoints stay, marked disconnected", async () => {
    const d = first as MeshDiscovery;
    const one = c1 as SeedCluster;
    const two = c2 as SeedCluster;
    const before = d.registry.snapshot();
    const remoteBefore = endpointsOf(before, 'mockb', 'cluster-2');
    assert.equal(remoteBefore.length, 2);
    probe = remoteBefore.find((e) => e.locality.zone === 'ap-northeast-1a');

    await two.agent.stop();
    await two.cluster.server.close();
    const down = await waitFor('cluster-2 disconnected with an error', () => {
      const s = stateOf(d, 'cluster-2');
      return !s.isConnected && s.lastError !== undefined ? s : undefined;
    });
    assert.equal(down.hasSynced, true);
    assert.equal(down.syncStatus, 'synced');
    assert.ok(down.disconnectedSinceWallMs !== undefined && down.lastUpdateWallMs !== undefined);
    assert.ok(down.disconnectedSinceWallMs >= down.lastUpdateWallMs);
    assert.equal(stateOf(d, 'cluster-1').isConnected, true);

    await one.kubectl(['scale', 'deployment', 'mocka-cn-hangzhou-h', '--replicas=2']);
    const after = await waitFor('a second healthy mocka endpoint in cn-hangzhou-h', () => {
      const s = d.registry.snapshot();
      const local = endpointsOf(s, 'mocka', 'cluster-1').filter(
        (e) => e.locality.zone === 'cn-hangzhou-h' && e.health === 'healthy',
      );
      return local.length === 2 ? s : undefined;
    });
    assert.ok(after.version > before.version);
    assert.deepEqual(endpointsOf(after, 'mockb', 'cluster-2'), remoteBefore);
    assert.equal(endpointsOf(after, 'mocka', 'cluster-2').length, 2);
    const snapshotState = after.clusters.find((c) => c.clusterId === 'cluster-2');
    assert.equal(snapshotState?.isConnected, false);
    assert.match(snapshotState?.lastError ?? '', /ECONNREFUSED|close|reset/i);
  });

  test('a control plane started while the remote is down serves the clusters that are up after a bounded wait', async () => {
    late = discoveryOf(c1 as SeedCluster, c2 as SeedCluster, 1500);
    late.start();
    const d = late;
    assert.equal(d.isReady(), false);
    await waitFor('readiness without cluster-2', () => d.isReady());
    const remote = stateOf(d, 'cluster-2');
    assert.deepEqual([remote.syncStatus, remote.hasSynced, remote.isConnected], ['timeout', false, false]);
    assert.ok(remote.lastError !== undefined);
    const s = d.registry.snapshot();
    assert.equal(endpointsOf(s, 'mocka', 'cluster-1').length, 3);
    assert.equal(endpointsOf(s, 'mockb').length, 2);
    assert.deepEqual([...(s.services.get(host('mockb'))?.clusters.keys() ?? [])], ['cluster-1']);
    assert.equal(d.config.snapshot().destinationRules.length, 3);
  });

  test('after cluster-2 restarts on its data dir, both registries resync it, including a change made while it was down', async () => {
    const two = c2 as SeedCluster;
    const target = probe;
    assert.ok(target?.nodeName !== undefined);
    // The change: while the registries cannot reach cluster-2, its node gets a subzone label
    // (written through a server on the same data dir that the registries do not know of).
    const offline = await startApiServer({
      dataDir: two.cluster.dataDir,
      address: '127.81.4.1',
      port: 0,
      runControllers: false,
    });
    try {
      const node = offline.client.get('nodes', undefined, target.nodeName);
      assert.ok(node);
      const labels = { ...node.metadata.labels, 'topology.istio.io/subzone': 'rack-7' };
      await offline.client.update('nodes', { ...node, metadata: { ...node.metadata, labels } });
    } finally {
      await offline.close();
    }
    await two.cluster.restart();

    const address = target.address;
    for (const d of [first as MeshDiscovery, late as MeshDiscovery]) {
      const s = await waitFor<RegistrySnapshot>('cluster-2 resynced with the subzone', () => {
        const snap = d.registry.snapshot();
        const moved = endpointsOf(snap, 'mockb', 'cluster-2').find((e) => e.address === address);
        const state = stateOf(d, 'cluster-2');
        return moved?.locality.subZone === 'rack-7' && state.isConnected && state.syncStatus === 'synced'
          ? snap
          : undefined;
      });
      const moved = endpointsOf(s, 'mockb', 'cluster-2').find((e) => e.address === address);
      assert.deepEqual(moved?.locality, {
        region: 'ap-northeast-1',
        zone: 'ap-northeast-1a',
        subZone: 'rack-7',
      });
      assert.equal(moved?.labels['topology.istio.io/subzone'], 'rack-7');
      assert.equal(endpointsOf(s, 'mockb').length, 4);
      assert.deepEqual(
        [...(s.services.get(host('mockb'))?.clusters.keys() ?? [])],
        ['cluster-1', 'cluster-2'],
      );
      const state = stateOf(d, 'cluster-2');
      assert.equal(state.lastError, undefined);
      assert.equal(state.disconnectedSinceWallMs, undefined);
    }
  });
});
