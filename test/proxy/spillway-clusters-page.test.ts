/**
 * The admin page `/spillway/clusters` of a real proxy: a cluster in two priorities whose P0 host
 * refuses connections. After one request the host is ejected; the page shows it with its ejection
 * type, duration and time left, the priority loads 0/100 and the outlier settings and counters, and
 * `spillway explain`'s parser reads it back (the page and its reader agree on the wire shape).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseProxyClusters } from '../../src/explain/proxy-cluster-view.js';
import { makeBootstrap, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';

let proxy: RunningProxy;
let fallback: TestBackend;
const refused = { address: '127.98.3.10', port: 9 };

before(async () => {
  fallback = await startBackend('fallback', '127.98.3.11');
  proxy = await startProxy(
    makeBootstrap({
      cluster: {
        priorities: [[refused], [fallback]],
        outlierDetection: { consecutive_5xx: 1, max_ejection_percent: 100, base_ejection_time: '60s' },
        healthyPanicThreshold: 0,
      },
      listenerAddress: '127.98.3.1',
    }),
  );
});

after(async () => {
  await proxy.close();
  await fallback.close();
});

test('/spillway/clusters shows priorities, loads, host health and the ejection of a refusing host', async () => {
  const before = await (await fetch(`${proxy.adminUrl}/spillway/clusters?cluster=backend`)).json();
  const initial = parseProxyClusters(before, 'admin').clusters[0];
  assert.deepEqual(
    initial?.priorities.map((p) => p.healthyLoad),
    [100, 0],
  );
  await fetch(`${proxy.url}/`);
  const res = await fetch(`${proxy.adminUrl}/spillway/clusters?cluster=backend&format=json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const page = parseProxyClusters(await res.json(), 'admin');
  assert.deepEqual(page.missing, []);
  const cluster = page.clusters[0];
  assert.equal(cluster?.name, 'backend');
  assert.equal(cluster.healthyPanicThreshold, 0);
  assert.deepEqual(
    cluster.priorities.map((p) => [p.priority, p.healthyLoad, p.health, p.healthyHosts, p.hosts]),
    [
      [0, 0, 0, 0, 1],
      [1, 100, 100, 1, 1],
    ],
  );
  const host = cluster.priorities[0]?.localities[0]?.hosts[0];
  assert.equal(host?.address, refused.address);
  assert.deepEqual(host?.healthFlags, ['failed_outlier_check']);
  assert.equal(host?.health, 'unhealthy');
  assert.equal(host?.ejection?.isEjected, true);
  assert.equal(host?.ejection?.type, 'CONSECUTIVE_5XX');
  assert.equal(host?.ejection?.ejectionDurationMs, 60_000);
  assert.ok((host?.ejection?.timeLeftMs ?? 0) > 50_000 && (host?.ejection?.timeLeftMs ?? 0) <= 60_000);
  assert.equal(host?.ejection?.numEjections, 1);
  assert.equal(cluster.outlierDetection?.config.maxEjectionPercent, 100);
  assert.equal(cluster.outlierDetection?.ejectionsActive, 1);
  assert.equal(cluster.outlierDetection?.counters['ejections_enforced_consecutive_5xx'], 1);
});

test('/spillway/clusters: every cluster without ?cluster, 404 naming the missing ones, only JSON', async () => {
  const all = parseProxyClusters(await (await fetch(`${proxy.adminUrl}/spillway/clusters`)).json(), 'admin');
  assert.ok(all.clusters.some((c) => c.name === 'backend'));
  const missing = await fetch(`${proxy.adminUrl}/spillway/clusters?cluster=nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { clusters: [], missing: ['nope'] });
  assert.equal((await fetch(`${proxy.adminUrl}/spillway/clusters?format=text`)).status, 400);
  assert.match(await (await fetch(`${proxy.adminUrl}/help`)).text(), /\/spillway\/clusters: priority loads/);
});
