import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import { headScanBytes } from './head-parser.js';
import { DateHeaderCache } from './message-encoding.js';
import { Http1ServerConnection } from './server-connection.js';
import type { Http1ServerStream } from './server-stream.js';

test('a request head longer than the text scan window, with its body in the same read, is parsed whole', async () => {
  const streams: Http1ServerStream[] = [];
  const bodies: string[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    new Http1ServerConnection(
      socket,
      { maxRequestHeadersKb: 60, maxHeadersCount: 100, idleTimeoutMs: 0 },
      {
        onStream: (stream) => {
          streams.push(stream);
          let body = '';
          stream.body?.read({
            onData: (chunk) => (body += chunk.toString('latin1')),
            onEnd: () => {
              bodies.push(body);
              stream.respond(200, { 'content-length': '2' }, false);
              stream.write(Buffer.from('ok'));
              stream.end();
            },
          });
        },
        onCodecError: () => {},
      },
      new DateHeaderCache(new FakeClock(0, Date.UTC(2026, 10, 25))),
      undefined,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.77.74.60', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.77.74.60');
  let received = '';
  client.on('data', (c: Buffer) => (received += c.toString('latin1')));
  try {
    const long = 'v'.repeat(headScanBytes + 500);
    const body = 'b'.repeat(10_000);
    client.write(
      `POST /x HTTP/1.1\r\nhost: a\r\nx-long: ${long}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    const deadline = performance.now() + 3000;
    while (!received.endsWith('ok')) {
      if (performance.now() > deadline) throw new Error(`no response, got ${received.slice(0, 80)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(streams[0]?.headers.get('x-long'), long);
    assert.equal(bodies[0], body);
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
