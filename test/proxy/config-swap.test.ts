/**
 * The config swap path the xDS client will use: replacing clusters and listeners keeps the outlier
 * state of endpoints that persist and does not drop requests in flight.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { buildBootstrap } from '../../src/proxy/bootstrap/bootstrap-builder.js';
import { httpGet } from '../support/http-client.js';
import { makeBootstrap, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';

describe('config swap', () => {
  let a: TestBackend;
  let b: TestBackend;
  let c: TestBackend;
  let slow: http.Server;
  let releaseSlow: (() => void) | undefined;
  let proxy: RunningProxy;
  const outlier = { consecutive_5xx: 1, max_ejection_percent: 100, base_ejection_time: '300s' };

  before(async () => {
    a = await startBackend('a', '127.77.50.1');
    b = await startBackend('b', '127.77.50.2');
    c = await startBackend('c', '127.77.50.3');
    slow = http.createServer((req, res) => {
      req.resume();
      releaseSlow = () => res.end('slow done');
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.77.50.4', resolve));
    proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [[a, b]], outlierDetection: outlier, healthyPanicThreshold: 0 },
      }),
    );
  });

  after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close(), c.close()]);
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  });

  test('an updated cluster keeps the ejection of an endpoint that persists', async () => {
    a.setBehaviour({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) await httpGet(`${proxy.url}/`);
    a.setBehaviour({ kind: 'ok' });
    // New config: same endpoints plus c, different connect timeout.
    const next = buildBootstrap(
      makeBootstrap({
        cluster: {
          priorities: [[a, b, c]],
          outlierDetection: outlier,
          healthyPanicThreshold: 0,
          connectTimeout: '2s',
        },
      }),
      {},
    );
    await proxy.server.applyResources({ clusters: next.clusters });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await httpGet(`${proxy.url}/`)).body);
    assert.deepEqual([...seen].sort(), ['b', 'c'], 'a stays ejected across the update');
    const stats = (await httpGet(`${proxy.adminUrl}/stats?filter=ejections_active`)).body;
    assert.match(stats, /ejections_active: 1/);
  });

  test('replacing the listener and cluster does not drop a request in flight', async () => {
    const slowPort = (slow.address() as { port: number }).port;
    const slowEndpoint = { address: '127.77.50.4', port: slowPort };
    await proxy.server.applyResources({
      clusters: buildBootstrap(makeBootstrap({ cluster: { priorities: [[slowEndpoint]] } }), {}).clusters,
    });
    const inFlight = httpGet(`${proxy.url}/slow`);
    await waitFor('the slow request to reach the backend', () => releaseSlow !== undefined);
    // Swap in a configuration that routes elsewhere, with a new route (same listener address).
    const listener = proxy.server.listenerAddresses().get('ingress') as { address: string; port: number };
    const next = makeBootstrap({ cluster: { name: 'other', priorities: [[c]] } });
    const listeners = (next['static_resources'] as { listeners: Array<Record<string, unknown>> }).listeners;
    (listeners[0] as { address: unknown }).address = {
      socket_address: { address: listener.address, port_value: listener.port },
    };
    const built = buildBootstrap(next, {});
    await proxy.server.applyResources({ clusters: built.clusters, listeners: built.listeners });
    assert.equal((await httpGet(`${proxy.url}/`)).body, 'c', 'new requests use the new route');
    releaseSlow?.();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'slow done');
  });
});
