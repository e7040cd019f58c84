/**
 * The HTTP/1 pool against raw loopback backends: response framings, connection reuse and limits,
 * and how failures are reported.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { SystemClock } from '../../../core/clock.js';
import type { UpstreamReset } from '../../http/stream-reset-reason.js';
import { Http1ConnectionPool, type Http1PoolOptions } from './http1-connection-pool.js';
import type { UpstreamRequestHead } from './upstream-stream.js';

interface Outcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  trailers?: IncomingHttpHeaders;
  isEnded: boolean;
  reset?: UpstreamReset;
}

function countingEvents() {
  const counts = { created: 0, connected: 0, failed: 0, closed: 0 };
  return {
    counts,
    onConnectionCreated: () => void counts.created++,
    onConnectionConnected: () => void counts.connected++,
    onConnectionConnectFailed: () => void counts.failed++,
    onConnectionClosed: () => void counts.closed++,
  };
}

function get(path = '/'): UpstreamRequestHead {
  return {
    method: 'GET',
    path,
    authority: 'backend',
    scheme: 'http',
    headers: { 'x-a': '1' },
    endStream: true,
  };
}

function request(pool: Http1ConnectionPool, head: UpstreamRequestHead, body?: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { body: '', isEnded: false };
    const stream = pool.newStream(head, {
      onPoolReady: () => {},
      onHeaders: (status, headers) => {
        outcome.status = status;
        outcome.headers = headers;
      },
      onData: (chunk) => (outcome.body += chunk.toString('latin1')),
      onTrailers: (trailers) => (outcome.trailers = trailers),
      onEnd: () => {
        outcome.isEnded = true;
        resolve(outcome);
      },
      onReset: (reset) => {
        outcome.reset = reset;
        resolve(outcome);
      },
    });
    if (body !== undefined) {
      for (const chunk of body) stream.write(Buffer.from(chunk));
      stream.end();
    }
  });
}

/** A backend that answers each request (head + body) with `answer(requestText, connectionIndex)`. */
async function backend(
  address: string,
  answer: (request: string, socket: net.Socket, connection: number) => void,
): Promise<{ port: number; requests: string[]; connections: () => number; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const index = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      // One request per read is enough for these tests: heads end with a blank line, bodies with 0-chunk.
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (/transfer-encoding: chunked/.test(text) && !text.endsWith('0\r\n\r\n')) return;
      requests.push(text);
      const request = text;
      text = '';
      answer(request, socket, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function poolFor(
  address: string,
  port: number,
  extra: Partial<Http1PoolOptions> = {},
  events = countingEvents(),
): Http1ConnectionPool {
  return new Http1ConnectionPool(
    {
      address,
      port,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
      ...extra,
    },
    new SystemClock(),
    events,
  );
}

test('a response without length is read until the upstream closes', async () => {
  const b = await backend('127.77.72.1', (_r, socket) =>
    socket.end('HTTP/1.1 200 OK\r\nx-b: 2\r\n\r\nall of it'),
  );
  const pool = poolFor('127.77.72.1', b.port);
  try {
    const outcome = await request(pool, get());
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body, 'all of it');
    assert.equal(outcome.isEnded, true);
    assert.equal(outcome.headers?.['x-b'], '2');
    assert.match(b.requests[0] ?? '', /^GET \/ HTTP\/1\.1\r\nhost: backend\r\nx-a: 1\r\n\r\n$/);
  } finally {
    pool.close();
    await b.close();
  }
});

test('a chunked response is decoded and its trailers reported; the connection is reused', async () => {
  const b = await backend('127.77.72.2', (_r, socket) =>
    socket.write(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n' +
        '3\r\nabc\r\n2;x=y\r\nde\r\n0\r\ngrpc-status: 0\r\n\r\n',
    ),
  );
  const pool = poolFor('127.77.72.2', b.port);
  try {
    for (let i = 0; i < 3; i++) {
      const outcome = await request(pool, get());
      assert.equal(outcome.body, 'abcde');
      assert.deepEqual(outcome.trailers, { 'grpc-status': '0' });
      assert.deepEqual(outcome.headers?.['set-cookie'], ['a=1', 'b=2']);
    }
    assert.equal(b.connections(), 1, 'one kept-alive connection served all three');
    assert.equal(pool.connectionCount(), 1);
  } finally {
    pool.close();
    await b.close();
  }
});

test('a request body is sent chunked unless sized, and HEAD/204/304 responses have no body', async () => {
  const b = await backend('127.77.72.3', (r, socket) => {
    const status = r.startsWith('HEAD') ? '200 OK' : r.includes('/no-content') ? '204 No Content' : '200 OK';
    socket.write(
      `HTTP/1.1 ${status}\r\ncontent-length: 5\r\n\r\n${r.startsWith('HEAD') || status !== '200 OK' ? '' : 'hello'}`,
    );
  });
  const pool = poolFor('127.77.72.3', b.port);
  try {
    const post = await request(pool, { ...get(), method: 'POST', endStream: false }, ['ab', 'cde']);
    assert.equal(post.body, 'hello');
    assert.ok(
      (b.requests[0] ?? '').endsWith('transfer-encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n'),
    );
    const head = await request(pool, { ...get(), method: 'HEAD' });
    assert.equal(head.isEnded, true);
    assert.equal(head.body, '');
    const noContent = await request(pool, get('/no-content'));
    assert.equal(noContent.status, 204);
    assert.equal((await request(pool, get())).body, 'hello', 'the connection is still in sync');
  } finally {
    pool.close();
    await b.close();
  }
});

test('max_connections queues requests; max_requests_per_connection retires connections', async () => {
  const held: net.Socket[] = [];
  const b = await backend('127.77.72.4', (_r, socket) => held.push(socket));
  const pool = poolFor('127.77.72.4', b.port, { maxConnections: 1, maxRequestsPerConnection: 2 });
  try {
    const outcomes = [request(pool, get('/1')), request(pool, get('/2')), request(pool, get('/3'))];
    const answer = async (n: number): Promise<void> => {
      const deadline = performance.now() + 3000;
      while (held.length < n) {
        if (performance.now() > deadline) throw new Error(`request ${n} never arrived`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(held.length, n, 'one request at a time');
      held[n - 1]!.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx');
    };
    await answer(1);
    await answer(2);
    await answer(3);
    for (const outcome of await Promise.all(outcomes)) assert.equal(outcome.body, 'x');
    assert.equal(b.connections(), 2, 'the third request needed a new connection');
  } finally {
    pool.close();
    await b.close();
  }
});

test('a garbage response is a ProtocolError; a connection closed mid-body is a ConnectionTermination', async () => {
  const b = await backend('127.77.72.5', (r, socket) => {
    if (r.includes('/garbage')) socket.end('NOT-HTTP garbage\r\n\r\n');
    else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort');
  });
  const pool = poolFor('127.77.72.5', b.port);
  try {
    assert.equal((await request(pool, get('/garbage'))).reset?.reason, 'ProtocolError');
    const cut = await request(pool, get('/cut'));
    assert.equal(cut.status, 200);
    assert.equal(cut.reset?.reason, 'ConnectionTermination');
  } finally {
    pool.close();
    await b.close();
  }
});

test('a POST on a connection the backend closed is not re-sent (only bodiless GET/HEAD/OPTIONS are)', async () => {
  const b = await backend('127.77.72.6', (r, socket) => {
    if (r.startsWith('GET')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    else socket.resetAndDestroy();
  });
  const pool = poolFor('127.77.72.6', b.port);
  try {
    assert.equal((await request(pool, get())).status, 200);
    const post = await request(pool, { ...get(), method: 'POST', endStream: false }, ['x']);
    assert.equal(post.reset?.reason, 'ConnectionTermination');
    assert.equal(b.requests.length, 2, 'sent exactly once');
  } finally {
    pool.close();
    await b.close();
  }
});

test('queued requests fail with the connect error when the connect is refused, and the events are counted', async () => {
  const events = countingEvents();
  const pool = poolFor('127.77.72.7', 9, { maxConnections: 1 }, events);
  try {
    const outcomes = await Promise.all([request(pool, get()), request(pool, get())]);
    for (const outcome of outcomes) {
      assert.equal(outcome.reset?.reason, 'RemoteConnectionFailure');
      assert.equal(outcome.reset?.cause?.code, 'ECONNREFUSED');
    }
    assert.deepEqual(events.counts, { created: 1, connected: 0, failed: 1, closed: 1 });
    assert.equal(pool.connectionCount(), 0);
  } finally {
    pool.close();
  }
});

test('an idle connection closes after the idle timeout', async () => {
  const b = await backend('127.77.72.8', (_r, socket) =>
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'),
  );
  const pool = poolFor('127.77.72.8', b.port, { idleTimeoutMs: 50 });
  try {
    assert.equal((await request(pool, get())).status, 200);
    assert.equal(pool.connectionCount(), 1);
    const deadline = performance.now() + 3000;
    while (pool.connectionCount() > 0) {
      if (performance.now() > deadline) throw new Error('idle connection never closed');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    pool.close();
    await b.close();
  }
});

test('the one re-dispatch after a stale connection skips the other idle connections (as stale) for a new one', async () => {
  // Each connection answers its first request, then resets on the next one: a backend that closed all
  // its keep-alive connections at once.
  const served = new WeakMap<net.Socket, number>();
  const b = await backend('127.77.72.9', (_r, socket) => {
    const n = (served.get(socket) ?? 0) + 1;
    served.set(socket, n);
    if (n === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    else socket.resetAndDestroy();
  });
  const pool = poolFor('127.77.72.9', b.port);
  try {
    const warm = await Promise.all([request(pool, get()), request(pool, get())]);
    assert.deepEqual(
      warm.map((o) => o.status),
      [200, 200],
    );
    assert.equal(pool.connectionCount(), 2, 'two idle connections');
    const outcome = await request(pool, get());
    assert.equal(outcome.status, 200, `expected a response, got ${JSON.stringify(outcome.reset)}`);
    assert.equal(b.connections(), 3, 'the re-dispatch opened a new connection');
  } finally {
    pool.close();
    await b.close();
  }
});

test('responses arriving in pieces on several connections at once keep every byte handed on intact', async () => {
  // Upstream sockets share one read buffer; body data handed to the router and the rest of a head
  // split across reads must not be overwritten by the next read of another connection.
  const pieces = (id: number): string[] => [
    'HTTP/1.1 200 OK\r\ntransfer-enc',
    `oding: chunked\r\nx-id: ${id}\r\n\r\n5\r\n${id}aaaa\r\n`,
    `6\r\n${id}bbbbb\r\n`,
    `3\r\n${id}cc\r\n0\r\n\r\n`,
  ];
  const b = await backend('127.77.74.50', (request, socket) => {
    const id = Number(/x-id: (\d)/.exec(request)?.[1] ?? '0');
    const parts = pieces(id);
    const next = (i: number): void => {
      if (i >= parts.length) return;
      socket.write(parts[i]!);
      setTimeout(() => next(i + 1), 2);
    };
    next(0);
  });
  const pool = poolFor('127.77.74.50', b.port);
  try {
    const heads = [1, 2, 3].map((id) => ({ ...get(), headers: { 'x-id': String(id) } }));
    const outcomes = await Promise.all(heads.map((h) => rawChunks(pool, h)));
    outcomes.forEach((o, i) => {
      const id = i + 1;
      assert.equal(o.status, 200);
      assert.equal(o.id, String(id));
      assert.equal(Buffer.concat(o.chunks).toString('latin1'), `${id}aaaa${id}bbbbb${id}cc`);
    });
    assert.equal(b.connections(), 3);
  } finally {
    pool.close();
    await b.close();
  }
});

/** Like `request`, but keeps the body chunks as the pool handed them over (no copy by the test). */
function rawChunks(
  pool: Http1ConnectionPool,
  head: UpstreamRequestHead,
): Promise<{ status?: number; id?: string; chunks: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const out: { status?: number; id?: string; chunks: Buffer[] } = { chunks: [] };
    pool.newStream(head, {
      onPoolReady: () => {},
      onHeaders: (status, headers) => {
        out.status = status;
        const id = headers['x-id'];
        if (typeof id === 'string') out.id = id;
      },
      onData: (chunk) => out.chunks.push(chunk),
      onTrailers: () => {},
      onEnd: () => resolve(out),
      onReset: (reset) => reject(new Error(`reset: ${reset.reason}`)),
    });
  });
}

test('a response head longer than the text scan window, with a large body in the same read, is parsed whole', async () => {
  const long = 'v'.repeat(6000);
  const body = 'b'.repeat(50_000);
  const b = await backend('127.77.74.51', (_r, socket) =>
    socket.write(`HTTP/1.1 200 OK\r\nx-long: ${long}\r\ncontent-length: ${body.length}\r\n\r\n${body}`),
  );
  const pool = poolFor('127.77.74.51', b.port);
  try {
    const outcome = await request(pool, get());
    assert.equal(outcome.status, 200);
    assert.equal(outcome.headers?.['x-long'], long);
    assert.equal(outcome.body, body);
  } finally {
    pool.close();
    await b.close();
  }
});

test('a backend that closes all its idle keep-alive connections at once costs no request (each is re-sent on a new connection)', async () => {
  // Node's closeIdleConnections() also closes connections whose request it has not read yet, and
  // ones whose response Spillway is just reading: every kept-alive connection is stale at that
  // moment, so a request re-sent after such a close must not be handed to one of them (ADR 0006).
  let isClosing = false;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': 2, ...(isClosing ? { connection: 'close' } : {}) });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.77.74.52', resolve));
  const pool = poolFor('127.77.74.52', (server.address() as net.AddressInfo).port, { maxConnections: 0 });
  const outcomes = new Map<string, number>();
  const count = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  try {
    let started = 0;
    let done = 0;
    await new Promise<void>((resolve) => {
      const startOne = (): void => {
        started++;
        pool.newStream(get(), {
          onPoolReady: () => {},
          onHeaders: (status) => count(String(status)),
          onData: () => {},
          onTrailers: () => {},
          onEnd: () => finishOne(),
          onReset: (reset) => {
            count(reset.reason);
            finishOne();
          },
        });
      };
      const finishOne = (): void => {
        done++;
        if (done === 600 && !isClosing) {
          isClosing = true;
          server.closeIdleConnections();
        }
        if (started < 2000) startOne();
        if (done === 2000) resolve();
      };
      for (let i = 0; i < 30; i++) startOne();
    });
    assert.deepEqual(Object.fromEntries(outcomes), { '200': 2000 });
  } finally {
    pool.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
