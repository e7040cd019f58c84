import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { SampleApp, tracingHeaders } from './sample-app.js';

const opened: Array<{ close(): unknown }> = [];
after(async () => {
  for (const o of opened.reverse()) await o.close();
});

async function start(app: SampleApp): Promise<number> {
  opened.push(app);
  return app.listen();
}

test('answers its own hop without an upstream, no trailing newline', async () => {
  const port = await start(
    new SampleApp({
      app: 'mockc',
      version: 'v1',
      podIP: '127.86.0.3',
      listenHost: '127.86.0.1',
      listenPort: 0,
    }),
  );
  const res = await fetch(`http://127.86.0.1:${port}/`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '-> mockc(version: v1, ip: 127.86.0.3)');
});

test('prepends its hop to the upstream body and forwards tracing headers through the proxy', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const seenPaths: string[] = [];
  // Stands in for the sidecar's outbound listener: it receives an absolute-form request.
  const proxy = http.createServer((req, res) => {
    seen.push(req.headers);
    seenPaths.push(req.url ?? '');
    res.end('-> mockb(version: v1, ip: 127.86.0.4)');
  });
  opened.push({ close: () => new Promise((r) => proxy.close(r)) });
  await new Promise<void>((r) => proxy.listen(0, '127.86.0.1', r));
  const proxyPort = (proxy.address() as AddressInfo).port;
  const port = await start(
    new SampleApp({
      app: 'mocka',
      version: 'v1',
      podIP: '127.86.0.2',
      listenHost: '127.86.0.1',
      listenPort: 0,
      upstreamUrl: 'http://mockb:8000/',
      httpProxy: { host: '127.86.0.1', port: proxyPort },
    }),
  );
  const res = await fetch(`http://127.86.0.1:${port}/mock`, {
    headers: { 'x-request-id': 'r-1', 'x-b3-traceid': 't', traceparent: '00-abc-def-01', 'x-other': 'no' },
  });
  assert.equal(
    await res.text(),
    '-> mocka(version: v1, ip: 127.86.0.2)-> mockb(version: v1, ip: 127.86.0.4)',
  );
  assert.equal(seenPaths[0], 'http://mockb:8000/');
  assert.equal(seen[0]?.['host'], 'mockb:8000');
  assert.equal(seen[0]?.['x-request-id'], 'r-1');
  assert.equal(seen[0]?.['x-b3-traceid'], 't');
  assert.equal(seen[0]?.['traceparent'], '00-abc-def-01');
  assert.equal(seen[0]?.['x-other'], undefined);
});

test('an upstream 503 body is appended and the answer is still 200', async () => {
  const upstream = http.createServer((_req, res) => {
    res.writeHead(503);
    res.end(
      'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure',
    );
  });
  opened.push({ close: () => new Promise((r) => upstream.close(r)) });
  await new Promise<void>((r) => upstream.listen(0, '127.86.0.1', r));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const port = await start(
    new SampleApp({
      app: 'mocka',
      version: 'v1',
      podIP: '127.86.0.2',
      listenHost: '127.86.0.1',
      listenPort: 0,
      upstreamUrl: `http://127.86.0.1:${upstreamPort}/`,
    }),
  );
  const res = await fetch(`http://127.86.0.1:${port}/`);
  assert.equal(res.status, 200);
  assert.equal(
    await res.text(),
    '-> mocka(version: v1, ip: 127.86.0.2)upstream connect error or disconnect/reset before headers. reset reason: remote connection failure',
  );
});

test('a transport error to the upstream is reported in the body with status 200', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.86.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const port = await start(
    new SampleApp({
      app: 'mocka',
      version: 'v1',
      podIP: '127.86.0.2',
      listenHost: '127.86.0.1',
      listenPort: 0,
      upstreamUrl: `http://127.86.0.1:${deadPort}/`,
    }),
  );
  const res = await fetch(`http://127.86.0.1:${port}/`);
  assert.equal(res.status, 200);
  assert.match(
    await res.text(),
    /^-> mocka\(version: v1, ip: 127\.86\.0\.2\)Get "http:\/\/127\.86\.0\.1:\d+\/": connect ECONNREFUSED/,
  );
});

test('only tracing headers are forwarded', () => {
  assert.deepEqual(
    tracingHeaders({ 'x-request-id': 'a', 'x-b3-spanid': 'b', b3: 'c', cookie: 'd', 'x-forwarded-for': 'e' }),
    {
      'x-request-id': 'a',
      'x-b3-spanid': 'b',
      b3: 'c',
    },
  );
});
