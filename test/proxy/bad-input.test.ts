/**
 * Bad input never takes the proxy down: malformed or oversized requests get a 4xx and their connection
 * closes, a stalled client does not block others, an upstream speaking garbage becomes a 502.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { httpGet } from '../support/http-client.js';
import { makeBootstrap, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';

/** Sends raw bytes and returns everything received until the server closes the connection. */
async function rawExchange(url: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('server did not close the connection')));
  });
}

describe('malformed downstream requests', () => {
  let backend: TestBackend;
  let proxy: RunningProxy;

  before(async () => {
    backend = await startBackend('ok', '127.77.30.1');
    proxy = await startProxy(makeBootstrap({ cluster: { priorities: [[backend]] } }));
  });

  after(async () => {
    await proxy.close();
    await backend.close();
  });

  test('a request line that is not HTTP gets 400 and the connection is closed', async () => {
    const reply = await rawExchange(proxy.url, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(reply, /connection: close/i);
  });

  test('oversized request headers get 431 and the connection is closed', async () => {
    const big = 'x'.repeat(70 * 1024); // max_request_headers_kb defaults to 60
    const reply = await rawExchange(proxy.url, `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${big}\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  test('a client that stalls halfway through its headers does not block other requests', async () => {
    const { hostname, port } = new URL(proxy.url);
    const stalled = net.connect(Number(port), hostname, () =>
      stalled.write('GET / HTTP/1.1\r\nhost: a\r\nx-partial'),
    );
    stalled.on('error', () => {});
    try {
      for (let i = 0; i < 5; i++) assert.equal((await httpGet(`${proxy.url}/`)).status, 200);
    } finally {
      stalled.destroy();
    }
  });

  test('the proxy keeps serving after all of the above', async () => {
    const res = await httpGet(`${proxy.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
  });
});

describe('misbehaving upstreams', () => {
  let garbage: net.Server;
  let garbagePort: number;
  let proxy: RunningProxy;

  before(async () => {
    garbage = net.createServer((socket) => {
      socket.on('data', () => socket.end('NOT-HTTP garbage\r\n\r\n'));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.77.31.1', resolve));
    garbagePort = (garbage.address() as net.AddressInfo).port;
    proxy = await startProxy(
      makeBootstrap({ cluster: { priorities: [[{ address: '127.77.31.1', port: garbagePort }]] } }),
    );
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
  });

  test('an upstream answering with garbage yields 502 "protocol error", not a crash', async () => {
    const res = await httpGet(`${proxy.url}/`);
    assert.equal(res.status, 502);
    assert.equal(
      res.body,
      'upstream connect error or disconnect/reset before headers. reset reason: protocol error',
    );
    assert.equal((await httpGet(`${proxy.adminUrl}/ready`)).status, 200);
  });
});
