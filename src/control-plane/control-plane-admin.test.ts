import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ControlPlaneAdmin } from './control-plane-admin.js';

let ready = false;
const admin = new ControlPlaneAdmin({
  isReady: () => ready,
  metricsText: () => '# TYPE pilot_xds gauge\npilot_xds 2\n',
  syncz: () => ({ proxies: [{ proxy: 'sidecar~127.85.0.2~a.default~default.svc.cluster.local' }] }),
  configDump: (id) => (id === 'p1' ? { configs: [] } : undefined),
  registryz: () => ({ services: [] }),
  explainz: (id, cluster) => (id === 'p1' ? { cluster, found: true } : undefined),
});
let base = '';

before(async () => {
  const bound = await admin.listen({ host: '127.85.0.1', port: 0 });
  base = `http://${bound.host}:${bound.port}`;
});
after(() => admin.close());

test('/ready is 503 until the control plane says it is ready', async () => {
  assert.equal((await fetch(`${base}/ready`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${base}/ready`)).status, 200);
});

test('/metrics serves the Prometheus text the source renders', async () => {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0.0.4/);
  assert.equal(await res.text(), '# TYPE pilot_xds gauge\npilot_xds 2\n');
});

test('/debug/config_dump needs a connected proxyID', async () => {
  assert.equal((await fetch(`${base}/debug/config_dump`)).status, 400);
  assert.equal((await fetch(`${base}/debug/config_dump?proxyID=nope`)).status, 404);
  const res = await fetch(`${base}/debug/config_dump?proxyID=p1`);
  assert.deepEqual(await res.json(), { configs: [] });
});

test('/debug/explainz needs proxyID and cluster, and a connected proxy', async () => {
  assert.equal((await fetch(`${base}/debug/explainz?proxyID=p1`)).status, 400);
  assert.equal((await fetch(`${base}/debug/explainz?cluster=c`)).status, 400);
  assert.equal((await fetch(`${base}/debug/explainz?proxyID=nope&cluster=c`)).status, 404);
  const res = await fetch(
    `${base}/debug/explainz?proxyID=p1&cluster=${encodeURIComponent('outbound|8000||b')}`,
  );
  assert.deepEqual(await res.json(), { cluster: 'outbound|8000||b', found: true });
});

test('unknown paths are 404 and writes are refused', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/debug/syncz`, { method: 'POST' })).status, 405);
  assert.deepEqual(await (await fetch(`${base}/debug/syncz`)).json(), {
    proxies: [{ proxy: 'sidecar~127.85.0.2~a.default~default.svc.cluster.local' }],
  });
});
