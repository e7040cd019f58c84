/**
 * Requests already waiting for a host when it starts refusing connections: Envoy fails all of them on
 * the first refused connect (`ConnPoolImplBase::purgePendingStreams`), and each failure reaches the
 * outlier detector then, so a host refusing connections is ejected on its first refusal once
 * `consecutive_5xx` requests were waiting - not one refusal (one event-loop turn) per request, during
 * which new requests would still be routed to it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { Gauge } from '../../src/proxy/stats/stats-store.js';
import { makeBootstrap, startProxy } from '../support/proxy-fixture.js';
import { startBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';

function connect(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads one response head's status line (the proxy closes nothing here; the test does). */
function statusOf(socket: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match !== null && text.includes('\r\n\r\n')) resolve(Number(match[1]));
    });
    socket.once('error', reject);
  });
}

test('a host refusing connections is ejected by its first refused connect when consecutive_5xx requests were waiting for it', async () => {
  const refused = { address: '127.77.74.10', port: 9 };
  const fallback = await startBackend('fallback', '127.77.74.11');
  const proxy = await startProxy(
    makeBootstrap({
      cluster: {
        priorities: [[refused], [fallback]],
        outlierDetection: { consecutive_5xx: 3, max_ejection_percent: 100 },
        healthyPanicThreshold: 0,
      },
    }),
  );
  const sockets: net.Socket[] = [];
  try {
    const cluster = proxy.server.clusterManager.get('backend');
    assert.ok(cluster?.outlierDetector !== undefined);
    let connectFailsAtEjection: number | undefined;
    cluster.outlierDetector.onChange(() => {
      connectFailsAtEjection ??= cluster.traffic.upstream_cx_connect_fail.value;
    });
    for (let i = 0; i < 3; i++) sockets.push(await connect(proxy.url));
    const active = proxy.server.stats.find('http.ingress_http.downstream_cx_active') as Gauge | undefined;
    await waitFor('the proxy to accept three connections', () => active?.value === 3);
    // All three requests reach the proxy in one read batch, so all three are routed to the refusing
    // host (priority 0 is healthy) before its first refusal can be seen.
    const statuses = sockets.map((socket) => statusOf(socket));
    for (const socket of sockets) socket.write('GET / HTTP/1.1\r\nhost: test\r\n\r\n');
    assert.deepEqual(await Promise.all(statuses), [503, 503, 503]);
    assert.equal(connectFailsAtEjection, 1, 'ejected while handling the first refused connect');
    assert.equal(cluster.traffic.upstream_rq_pending_failure_eject.value, 3);
  } finally {
    for (const socket of sockets) socket.destroy();
    await proxy.close();
    await fallback.close();
  }
});
