import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import { DateHeaderCache } from './message-encoding.js';
import { Http1ServerConnection } from './server-connection.js';
import type { Http1ServerStream } from './server-stream.js';

type Handler = (stream: Http1ServerStream) => void;

interface TestServer {
  port: number;
  streams: Http1ServerStream[];
  codecErrors: string[];
  handler: Handler;
}

const address = '127.77.71.1';
const dateCache = new DateHeaderCache(new FakeClock(0, Date.UTC(2026, 10, 25)));

async function pollUntil(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw client: collects everything the server sends; `closed` once the server closed. */
function connect(port: number): { socket: net.Socket; received: () => string; closed: () => boolean } {
  const socket = net.connect(port, address);
  let text = '';
  let isClosed = false;
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.on('close', () => (isClosed = true));
  socket.on('error', () => {});
  return { socket, received: () => text, closed: () => isClosed };
}

function respondOk(stream: Http1ServerStream, body = 'ok'): void {
  stream.respond(200, { 'content-length': String(body.length) }, false);
  stream.write(Buffer.from(body));
  stream.end();
}

describe('HTTP/1.1 server connection on loopback', () => {
  let server: net.Server;
  const ctx: TestServer = { port: 0, streams: [], codecErrors: [], handler: (s) => respondOk(s) };

  before(async () => {
    server = net.createServer((socket) => {
      socket.on('error', () => {});
      new Http1ServerConnection(
        socket,
        { maxRequestHeadersKb: 1, maxHeadersCount: 10, idleTimeoutMs: 200 },
        {
          onStream: (stream) => {
            ctx.streams.push(stream);
            ctx.handler(stream);
          },
          onCodecError: (kind) => ctx.codecErrors.push(kind),
        },
        dateCache,
        undefined,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    ctx.port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    server.close();
  });

  function reset(handler: Handler): void {
    ctx.streams = [];
    ctx.codecErrors = [];
    ctx.handler = handler;
  }

  test('pipelined requests are answered in order, the next one only after the current response', async () => {
    const held: Http1ServerStream[] = [];
    reset((s) => held.push(s));
    const client = connect(ctx.port);
    client.socket.write(
      'GET /1 HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\nGET /3 HTTP/1.1\r\nhost: a\r\n\r\n',
    );
    await pollUntil('the first request', () => held.length === 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held.length, 1, 'the second request waits for the first response');
    respondOk(held[0]!, 'one');
    await pollUntil('the second request', () => held.length === 2);
    assert.equal(held[1]!.headers.get(':path'), '/2');
    respondOk(held[1]!, 'two');
    await pollUntil('the third request', () => held.length === 3);
    respondOk(held[2]!, 'three');
    await pollUntil(
      'three responses',
      () => (client.received().match(/HTTP\/1\.1 200 OK/g) ?? []).length === 3,
    );
    const bodies = client
      .received()
      .split('\r\n\r\n')
      .slice(1)
      .map((part) => part.split('HTTP/1.1')[0]);
    assert.deepEqual(bodies, ['one', 'two', 'three']);
    assert.equal(client.closed(), false, 'keep-alive');
    client.socket.destroy();
  });

  test('keep-alive serves sequential requests; connection: close gets the header and a close', async () => {
    reset((s) => respondOk(s));
    const client = connect(ctx.port);
    client.socket.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await pollUntil('the first response', () => client.received().endsWith('ok'));
    client.socket.write('GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    await pollUntil('the close', () => client.closed());
    const second = client.received().slice(client.received().lastIndexOf('HTTP/1.1'));
    assert.match(second, /\r\nconnection: close\r\n/);
    assert.match(second, /\r\ndate: Wed, 25 Nov 2026 00:00:00 GMT\r\n/);
    assert.equal(ctx.streams.length, 2);
  });

  test('HTTP/1.0 gets 426 Upgrade Required (accept_http_10 is false) and a close', async () => {
    reset((s) => respondOk(s));
    const client = connect(ctx.port);
    client.socket.write('GET / HTTP/1.0\r\n\r\n');
    await pollUntil('the close', () => client.closed());
    assert.match(client.received(), /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    assert.equal(ctx.streams.length, 0);
  });

  test('an idle connection is closed after the idle timeout, a busy one is not', async () => {
    reset(() => {});
    const busy = connect(ctx.port);
    busy.socket.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await pollUntil('the busy request', () => ctx.streams.length === 1);
    const idle = connect(ctx.port);
    idle.socket.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await pollUntil('the second request', () => ctx.streams.length === 2);
    respondOk(ctx.streams[1]!);
    // The busy connection's last byte came before the idle one's, so its timeout has fired too by now.
    await pollUntil('the idle connection to close', () => idle.closed());
    assert.equal(busy.closed(), false, 'a request in progress keeps its connection');
    respondOk(ctx.streams[0]!);
    await pollUntil('the busy one to close once idle', () => busy.closed());
  });

  const malformed: Array<[string, string, number]> = [
    ['garbage', 'THIS IS NOT HTTP\r\n\r\n', 400],
    [
      'CL + TE',
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    ['an unknown transfer coding', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: br\r\n\r\n', 501],
    ['too many headers', `GET / HTTP/1.1\r\nhost: a\r\n${'x: y\r\n'.repeat(10)}\r\n`, 431],
    ['an oversized head', `GET / HTTP/1.1\r\nhost: a\r\nx: ${'y'.repeat(1100)}\r\n\r\n`, 431],
    ['an oversized incomplete head', `GET / HTTP/1.1\r\nhost: a\r\nx: ${'y'.repeat(5000)}`, 431],
    ['a missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['a relative target', 'GET foo HTTP/1.1\r\nhost: a\r\n\r\n', 400],
    ['CONNECT with a body', 'CONNECT a:443 HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\n', 400],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nxyz\r\n', 400],
  ];
  for (const [what, wire, status] of malformed) {
    test(`${what} gets ${status} with connection: close, never a crash`, async () => {
      reset(() => {}); // a request whose body turns out malformed is left unanswered by the handler
      const client = connect(ctx.port);
      client.socket.write(wire);
      await pollUntil('the close', () => client.closed());
      assert.match(client.received(), new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(client.received(), /\r\nconnection: close\r\n/);
      assert.equal(ctx.codecErrors.length, 1);
      assert.equal(ctx.codecErrors[0], status === 431 ? 'headers_too_large' : 'bad_request');
    });
  }

  test('a chunked body arrives in order; Expect: 100-continue is answered and stripped', async () => {
    const received: Buffer[] = [];
    let expect: string | undefined = 'unset';
    reset((s) => {
      expect = s.headers.get('expect');
      s.body?.read({
        onData: (c) => received.push(Buffer.from(c)),
        onEnd: () => respondOk(s, Buffer.concat(received).toString()),
      });
    });
    const client = connect(ctx.port);
    client.socket.write(
      'POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    await pollUntil('100 Continue', () => client.received().startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
    client.socket.write('4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nx-trailer: 1\r\n\r\n');
    await pollUntil('the response', () => client.received().endsWith('wikipedia'));
    assert.equal(expect, undefined);
    client.socket.destroy();
  });

  test('a client vanishing mid-body closes the stream as not completed', async () => {
    let completed: boolean | undefined;
    reset((s) => s.onClose((c) => (completed = c)));
    const client = connect(ctx.port);
    client.socket.write('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\npartial');
    await pollUntil('the request', () => ctx.streams.length === 1);
    client.socket.destroy();
    await pollUntil('the stream to close', () => completed !== undefined);
    assert.equal(completed, false);
  });

  test('an Upgrade request is flagged and its connection closes after the response; h2c upgrades are ignored', async () => {
    reset((s) => {
      s.respond(403, {}, true);
    });
    const client = connect(ctx.port);
    client.socket.write(
      'GET /ws HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n\r\n',
    );
    await pollUntil('the close', () => client.closed());
    assert.equal(ctx.streams.length, 1, 'bytes after an upgrade request are never parsed');
    assert.equal(ctx.streams[0]!.isUpgradeRequest, true);
    assert.match(client.received(), /^HTTP\/1\.1 403 Forbidden\r\ncontent-length: 0\r\n/);

    reset((s) => respondOk(s));
    const h2c = connect(ctx.port);
    h2c.socket.write(
      'GET / HTTP/1.1\r\nhost: a\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAA\r\n\r\n',
    );
    await pollUntil('the response', () => h2c.received().endsWith('ok'));
    assert.equal(ctx.streams[0]!.isUpgradeRequest, false);
    assert.equal(ctx.streams[0]!.headers.has('upgrade'), false);
    h2c.socket.destroy();
  });

  test('chunked responses carry trailers; HEAD responses carry no body', async () => {
    reset((s) => {
      if (s.headers.get(':method') === 'HEAD') {
        s.respond(200, { 'content-length': '5' }, false);
        s.write(Buffer.from('never'));
        s.end();
        return;
      }
      s.respond(200, {}, false);
      s.write(Buffer.from('abc'));
      s.write(Buffer.alloc(5000, 0x61));
      s.end({ 'grpc-status': '0' });
    });
    const client = connect(ctx.port);
    client.socket.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await pollUntil('the chunked response', () => client.received().endsWith('0\r\ngrpc-status: 0\r\n\r\n'));
    assert.match(client.received(), /transfer-encoding: chunked\r\n/);
    assert.ok(client.received().includes(`3\r\nabc\r\n1388\r\n${'a'.repeat(5000)}\r\n`));
    const before = client.received().length;
    client.socket.write('HEAD / HTTP/1.1\r\nhost: a\r\n\r\nGET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await pollUntil(
      'both responses',
      () =>
        (
          client
            .received()
            .slice(before)
            .match(/HTTP\/1\.1 200/g) ?? []
        ).length === 2,
    );
    const headResponse = client.received().slice(before, client.received().indexOf('HTTP/1.1', before + 1));
    assert.ok(headResponse.endsWith('\r\n\r\n'), 'no body after the HEAD response head');
    assert.ok(!client.received().includes('never'));
    client.socket.destroy();
  });
});
