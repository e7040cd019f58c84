/**
 * The control plane's own metrics in istiod's names: the per-proxy NACK gauges
 * pilot_xds_<type>_reject{node, err} and istiod_remote_cluster_sync_status{cluster, cluster_type,
 * status}, beside Spillway's per-cluster sync gauges; the exposition passes the real
 * `promtool check metrics`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from '../../src/core/metrics-registry.js';
import { IstioConfigStore } from '../../src/istio/istio-config-store.js';
import { ControlPlaneMetrics } from '../../src/control-plane/control-plane-metrics.js';
import type { ClusterSyncState } from '../../src/registry/mesh-model.js';
import { runCommand } from '../support/run-command.js';

const node = 'sidecar~127.81.1.3~mocka-h-1.default~default.svc.cluster.local';

function state(clusterId: string, extra: Partial<ClusterSyncState> = {}): ClusterSyncState {
  return { clusterId, network: 'network-1', hasSynced: true, isConnected: true, ...extra };
}

test('NACKs count per proxy and type in pilot_xds_<type>_reject with the error code', () => {
  const registry = new MetricsRegistry();
  const metrics = new ControlPlaneMetrics(registry, 'cluster-1');
  metrics.countReject('cds', node, 3);
  metrics.countReject('cds', node, 3);
  metrics.countReject('eds', node, 13);
  metrics.countReject('sds', node, 3); // istiod has no per-proxy gauge for other types
  const text = registry.render();
  assert.match(text, /^# TYPE pilot_xds_cds_reject gauge$/m);
  assert.ok(text.includes(`pilot_xds_cds_reject{node="${node}",err="3"} 2\n`), text);
  assert.ok(text.includes(`pilot_xds_eds_reject{node="${node}",err="13"} 1\n`), text);
  assert.doesNotMatch(text, /pilot_xds_(lds|rds)_reject\{/);
  assert.doesNotMatch(text, /sds_reject/);
});

test('istiod_remote_cluster_sync_status: 1 for the current state of each remote, 0 once it is gone', () => {
  const registry = new MetricsRegistry();
  const metrics = new ControlPlaneMetrics(registry, 'cluster-1');
  const config = new IstioConfigStore();
  const counts = { proxies: 2, services: 3 };
  metrics.refresh(
    [
      state('cluster-1'),
      state('cluster-2', { syncStatus: 'synced', lastUpdateWallMs: 1_000 }),
      state('cluster-3', { syncStatus: 'timeout', hasSynced: false, isConnected: false }),
    ],
    config,
    counts,
    31_000,
  );
  const sample = (cluster: string, status: string): string | undefined =>
    new RegExp(
      `^istiod_remote_cluster_sync_status\\{cluster="${cluster}",cluster_type="remote",status="${status}"\\} (\\d+)$`,
      'm',
    ).exec(registry.render())?.[1];
  assert.equal(sample('cluster-2', 'synced'), '1');
  assert.equal(sample('cluster-2', 'syncing'), '0');
  assert.equal(sample('cluster-3', 'timeout'), '1');
  assert.equal(sample('cluster-3', 'synced'), '0');
  assert.equal(sample('cluster-1', 'synced'), undefined, 'the local cluster is not a remote');
  assert.match(
    registry.render(),
    /^spillway_cluster_data_age_seconds\{cluster_id="cluster-2",cluster_type="remote"\} 30$/m,
  );
  metrics.refresh([state('cluster-1'), state('cluster-2', { syncStatus: 'synced' })], config, counts, 32_000);
  for (const status of ['synced', 'syncing', 'timeout', 'closed'])
    assert.equal(sample('cluster-3', status), '0');
  assert.equal(sample('cluster-2', 'synced'), '1');
});

test('the control-plane metrics pass promtool check metrics', async () => {
  const registry = new MetricsRegistry();
  const metrics = new ControlPlaneMetrics(registry, 'cluster-1');
  metrics.countReject('lds', node, 3);
  metrics.refresh(
    [state('cluster-1'), state('cluster-2', { syncStatus: 'syncing', hasSynced: false })],
    new IstioConfigStore(),
    { proxies: 1, services: 1 },
    5_000,
  );
  const r = await runCommand('promtool', ['check', 'metrics'], { input: registry.render() });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
