/**
 * A one-machine demonstration of the data plane: the example bootstrap
 * `examples/proxy/three-localities.yaml` runs against six local backends of a service `mockb` in
 * three localities; the demo breaks priority-0 backends one by one (they stop listening, so
 * connections are refused) and shows where traffic goes, then heals them and waits for traffic to
 * come back. Every number printed is measured from real requests through the real proxy.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadBootstrapInWorker } from '../../proxy/bootstrap/load-bootstrap-in-worker.js';
import { ProxyServer } from '../../proxy/proxy-server.js';

export const demoBootstrapPath = fileURLToPath(
  new URL('../../../../examples/proxy/three-localities.yaml', import.meta.url),
);

interface DemoBackend {
  readonly address: string;
  readonly zone: string;
  server: http.Server | undefined;
}

export interface DemoStep {
  readonly title: string;
  readonly requests: number;
  readonly errors: number;
  /** Requests answered per zone. */
  readonly byZone: Record<string, number>;
  /** Endpoints the proxy has ejected (`/clusters` health flag failed_outlier_check). */
  readonly ejected: string[];
}

export interface DemoReport {
  readonly bootstrap: string;
  readonly steps: DemoStep[];
}

const zones = [
  'cn-hangzhou-h',
  'cn-hangzhou-h',
  'cn-hangzhou-k',
  'cn-hangzhou-k',
  'ap-northeast-1a',
  'ap-northeast-1a',
];

async function listen(backend: DemoBackend): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.end(`-> mockb(version: ${backend.zone}, ip: ${backend.address})`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(8000, backend.address, () => resolve());
  });
  backend.server = server;
}

async function stop(backend: DemoBackend): Promise<void> {
  const server = backend.server;
  backend.server = undefined;
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return await new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

export async function runProxyFailoverDemo(progress: (line: string) => void): Promise<DemoReport> {
  const backends: DemoBackend[] = zones.map((zone, i) => ({
    address: `127.0.1.${i + 1}`,
    zone,
    server: undefined,
  }));
  const bootstrap = await loadBootstrapInWorker(demoBootstrapPath);
  const proxy = new ProxyServer(bootstrap);
  const agent = new http.Agent({ keepAlive: true });
  const steps: DemoStep[] = [];
  try {
    progress('starting six mockb backends (two per locality) and the proxy ...');
    for (const b of backends) await listen(b);
    await proxy.start();
    const listener = [...proxy.listenerAddresses().values()][0];
    const admin = proxy.adminAddress();
    if (listener === undefined || admin === undefined)
      throw new Error('the example bootstrap has no listener or admin');
    const url = `http://${listener.address}:${listener.port}/`;

    const measure = async (title: string, requests: number, isRecorded = true): Promise<DemoStep> => {
      const byZone: Record<string, number> = {};
      let errors = 0;
      for (let i = 0; i < requests; i++) {
        const res = await get(url, agent);
        const zone = /version: ([^,]+),/.exec(res.body)?.[1];
        if (res.status !== 200 || zone === undefined) errors++;
        else byZone[zone] = (byZone[zone] ?? 0) + 1;
      }
      const clusters = (await get(`http://${admin.address}:${admin.port}/clusters`, agent)).body;
      const ejected = [...clusters.matchAll(/::([\d.]+:\d+)::health_flags::\/failed_outlier_check/g)].map(
        (m) => m[1] ?? '',
      );
      const step = { title, requests, errors, byZone, ejected };
      if (isRecorded) {
        steps.push(step);
        progress(formatStep(step));
      }
      return step;
    };

    await measure("all healthy: traffic stays in the caller's zone (priority 0)", 200);
    await stop(backends[0] as DemoBackend);
    await measure(
      '127.0.1.1 (cn-hangzhou-h) refuses connections: ejected, ~30 % spills to cn-hangzhou-k',
      200,
    );
    await stop(backends[1] as DemoBackend);
    await measure('both cn-hangzhou-h backends down: everything goes to cn-hangzhou-k (priority 1)', 200);
    await stop(backends[2] as DemoBackend);
    await stop(backends[3] as DemoBackend);
    await measure('the whole region down: the peer deployment in ap-northeast-1 serves (priority 2)', 200);
    progress('healing all backends; ejections end after base_ejection_time (5 s) on the next 1 s sweep ...');
    for (const b of backends) if (b.server === undefined) await listen(b);
    const healedAt = Date.now();
    for (;;) {
      const sample = await measure('probe', 20, false);
      if ((sample.byZone['cn-hangzhou-h'] ?? 0) === sample.requests || Date.now() - healedAt > 20_000) break;
      progress(
        `  ... ${Math.round((Date.now() - healedAt) / 1000)} s: still ejected: ${sample.ejected.join(' ')}`,
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
    await measure(
      `healed: back in the caller's zone ${Math.round((Date.now() - healedAt) / 1000)} s later (its ejections ended)`,
      200,
    );
    return { bootstrap: demoBootstrapPath, steps };
  } finally {
    agent.destroy();
    await proxy.close(0);
    for (const b of backends) await stop(b);
  }
}

function formatStep(step: DemoStep): string {
  const zonesText = Object.entries(step.byZone)
    .map(([zone, n]) => `${zone} ${Math.round((100 * n) / step.requests)}%`)
    .join(', ');
  const ejected = step.ejected.length === 0 ? 'none' : step.ejected.join(' ');
  return `\n${step.title}\n  ${step.requests} requests: ${zonesText || '-'}; client errors: ${step.errors}; ejected: ${ejected}`;
}
