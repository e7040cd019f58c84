/**
 * Admin interface endpoints, circuit breakers and DNS-resolved clusters.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { httpGet } from '../support/http-client.js';
import {
  makeBootstrap,
  readAccessLog,
  startProxy,
  tempDir,
  type RunningProxy,
} from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';

describe('admin interface', () => {
  let backend: TestBackend;
  let proxy: RunningProxy;

  before(async () => {
    backend = await startBackend('ok', '127.77.80.1');
    proxy = await startProxy(makeBootstrap({ cluster: { priorities: [[backend]] } }));
  });

  after(async () => {
    await proxy.close();
    await backend.close();
  });

  test('/ready says LIVE; POST /healthcheck/fail turns it into 503 DRAINING and /healthcheck/ok back', async () => {
    assert.deepEqual(await get('/ready'), { status: 200, body: 'LIVE\n' });
    assert.equal(
      (await httpGet(`${proxy.adminUrl}/healthcheck/fail`)).status,
      405,
      'mutating endpoints need POST',
    );
    assert.equal((await httpGet(`${proxy.adminUrl}/healthcheck/fail`, {}, { method: 'POST' })).status, 200);
    assert.deepEqual(await get('/ready'), { status: 503, body: 'DRAINING\n' });
    assert.match((await get('/stats?filter=^server\\.state$')).body, /server\.state: 1\n/);
    await httpGet(`${proxy.adminUrl}/healthcheck/ok`, {}, { method: 'POST' });
    assert.deepEqual(await get('/ready'), { status: 200, body: 'LIVE\n' });
  });

  test("/config_dump returns the static bootstrap, clusters, listeners and routes in Envoy's shape", async () => {
    const dump = JSON.parse((await get('/config_dump')).body) as { configs: Array<Record<string, unknown>> };
    assert.deepEqual(
      dump.configs.map((c) => c['@type']),
      [
        'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
        'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
      ],
    );
    const clusters = dump.configs[1]?.['static_clusters'] as Array<{ cluster: { name: string } }>;
    assert.equal(clusters[0]?.cluster.name, 'backend');
  });

  test('/stats counts requests with Envoy names', async () => {
    await httpGet(`${proxy.url}/`);
    const stats = (await get('/stats')).body;
    assert.match(stats, /^cluster\.backend\.upstream_rq_total: [1-9]\d*$/m);
    assert.match(stats, /^cluster\.backend\.upstream_rq_200: [1-9]\d*$/m);
    assert.match(stats, /^http\.ingress_http\.downstream_rq_2xx: [1-9]\d*$/m);
  });

  async function get(path: string): Promise<{ status: number; body: string }> {
    const res = await httpGet(`${proxy.adminUrl}${path}`);
    return { status: res.status, body: res.body };
  }
});

describe('circuit breakers and DNS clusters', () => {
  let hanging: http.Server;
  let release: Array<() => void> = [];
  let dir: { path: string; cleanup(): Promise<void> };

  before(async () => {
    hanging = http.createServer((req, res) => {
      req.resume();
      release.push(() => res.end('released'));
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    dir = await tempDir();
  });

  after(async () => {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    await dir.cleanup();
  });

  test('max_requests reached: the next request gets 503 overflow with flag UO and x-envoy-overloaded', async () => {
    const port = (hanging.address() as { port: number }).port;
    const bootstrap = makeBootstrap({
      cluster: { priorities: [[{ address: 'localhost', port }]] },
      accessLogPath: `${dir.path}/overflow.log`,
    });
    const cluster = (bootstrap['static_resources'] as { clusters: Array<Record<string, unknown>> })
      .clusters[0] as Record<string, unknown>;
    // STRICT_DNS: `localhost` is resolved by the system resolver.
    cluster['type'] = 'STRICT_DNS';
    cluster['dns_lookup_family'] = 'V4_ONLY';
    cluster['circuit_breakers'] = { thresholds: [{ max_requests: 1 }] };
    const proxy = await startProxy(bootstrap);
    try {
      const first = httpGet(`${proxy.url}/first`);
      await waitFor('the first request to reach the backend', () => release.length === 1);
      const second = await httpGet(`${proxy.url}/second`);
      assert.equal(second.status, 503);
      assert.equal(
        second.body,
        'upstream connect error or disconnect/reset before headers. reset reason: overflow',
      );
      assert.equal(second.headers['x-envoy-overloaded'], 'true');
      release.forEach((r) => r());
      release = [];
      assert.equal((await first).body, 'released');
      const log = await readAccessLog(`${dir.path}/overflow.log`, 2);
      assert.equal(log.find((e) => e.path === '/second')?.flags, 'UO');
      assert.equal(log.find((e) => e.path === '/first')?.upstream, `127.0.0.1:${port}`);
      const stats = (await httpGet(`${proxy.adminUrl}/stats?filter=pending_overflow`)).body;
      assert.match(stats, /cluster\.backend\.upstream_rq_pending_overflow: 1/);
    } finally {
      release.forEach((r) => r());
      await proxy.close();
    }
  });
});
