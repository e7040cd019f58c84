import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { SystemClock } from '../../../core/clock.js';
import type { UpstreamReset } from '../../http/stream-reset-reason.js';
import { Http1ConnectionPool } from './http1-connection-pool.js';
import type { UpstreamRequestHead } from './upstream-stream.js';

const noEvents = {
  onConnectionCreated() {},
  onConnectionConnected() {},
  onConnectionConnectFailed() {},
  onConnectionClosed() {},
};

const head: UpstreamRequestHead = {
  method: 'GET',
  path: '/',
  authority: 'x',
  scheme: 'http',
  headers: {},
  endStream: true,
};

function request(
  pool: Http1ConnectionPool,
): Promise<{ status?: number; reset?: UpstreamReset; isNew?: boolean }> {
  return new Promise((resolve) => {
    let isNew: boolean | undefined;
    pool.newStream(head, {
      onPoolReady: (n) => (isNew = n),
      onHeaders: (status) => resolve({ status, ...(isNew !== undefined ? { isNew } : {}) }),
      onData: () => {},
      onTrailers: () => {},
      onEnd: () => {},
      onReset: (reset) => resolve({ reset }),
    });
  });
}

test('a bodiless request that hits a stale pooled connection is sent again on a new connection', async () => {
  // The server answers the first request of each connection with keep-alive, then resets the
  // connection on its second request - what a backend that closed an idle connection looks like.
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let requests = 0;
    socket.on('data', () => {
      requests++;
      if (requests === 1)
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
      else socket.resetAndDestroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.77.70.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const pool = new Http1ConnectionPool(
    {
      address: '127.77.70.1',
      port,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
    },
    new SystemClock(),
    noEvents,
  );
  try {
    const first = await request(pool);
    assert.equal(first.status, 200);
    const second = await request(pool);
    assert.equal(second.status, 200, `expected a response, got ${JSON.stringify(second.reset)}`);
    assert.equal(connections, 2, 'the retry used a fresh connection');
  } finally {
    pool.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a refused connection is reported as RemoteConnectionFailure with the socket error', async () => {
  const pool = new Http1ConnectionPool(
    {
      address: '127.77.70.2',
      port: 9,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
    },
    new SystemClock(),
    noEvents,
  );
  try {
    const result = await request(pool);
    assert.equal(result.reset?.reason, 'RemoteConnectionFailure');
    assert.equal(result.reset?.cause?.code, 'ECONNREFUSED');
  } finally {
    pool.close();
  }
});

test('a re-sent request whose new connection is refused is reported as a connect failure, not a termination', async () => {
  // After one keep-alive exchange the backend stops listening and resets its open connection when
  // the next request arrives: the re-dispatch then meets a refused connect.
  const server: net.Server = net.createServer((socket) => {
    let requests = 0;
    socket.on('data', () => {
      requests++;
      if (requests === 1) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
        server.close();
      } else {
        socket.resetAndDestroy();
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.77.70.3', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const pool = new Http1ConnectionPool(
    {
      address: '127.77.70.3',
      port,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
    },
    new SystemClock(),
    noEvents,
  );
  try {
    assert.equal((await request(pool)).status, 200);
    const second = await request(pool);
    assert.equal(second.reset?.reason, 'RemoteConnectionFailure');
    assert.equal(second.reset?.cause?.code, 'ECONNREFUSED');
  } finally {
    pool.close();
  }
});

test('a refused connect fails every request queued in the pool at once, as Envoy purges its pending streams', async () => {
  // Three requests wait for three connections to a port nobody listens on. Envoy
  // (`ConnPoolImplBase::onConnectionEvent` -> `purgePendingStreams`) fails all pending streams on the
  // first connect failure, so all three are reset before the second refusal is even looked at.
  let connectFailures = 0;
  let purged = 0;
  const pool = new Http1ConnectionPool(
    {
      address: '127.77.74.1',
      port: 9,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
    },
    new SystemClock(),
    {
      ...noEvents,
      onConnectionConnectFailed: () => void connectFailures++,
      onPendingStreamFailed: () => void purged++,
    },
  );
  try {
    const failuresSeenAtReset: number[] = [];
    await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<void>((resolve) => {
            pool.newStream(head, {
              onPoolReady: () => {},
              onHeaders: () => resolve(),
              onData: () => {},
              onTrailers: () => {},
              onEnd: () => {},
              onReset: (reset) => {
                assert.equal(reset.reason, 'RemoteConnectionFailure');
                failuresSeenAtReset.push(connectFailures);
                resolve();
              },
            });
          }),
      ),
    );
    assert.deepEqual(failuresSeenAtReset, [1, 1, 1]);
    assert.equal(purged, 3);
  } finally {
    pool.close();
  }
});

test('a request submitted from a failure callback is not failed by the purge that called it', async () => {
  // Envoy moves the pending list aside before failing it, so a retry that lands on the same pool from
  // `onPoolFailure` waits for a connection of its own.
  let connectFailures = 0;
  const pool = new Http1ConnectionPool(
    {
      address: '127.77.74.2',
      port: 9,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxRequestsPerConnection: 0,
      maxConnections: 10,
    },
    new SystemClock(),
    { ...noEvents, onConnectionConnectFailed: () => void connectFailures++ },
  );
  try {
    let failuresBefore: number | undefined;
    const result = await new Promise<{ reset?: UpstreamReset }>((resolve) => {
      pool.newStream(head, {
        onPoolReady: () => {},
        onHeaders: () => {},
        onData: () => {},
        onTrailers: () => {},
        onEnd: () => {},
        onReset: () => {
          failuresBefore = connectFailures;
          void request(pool).then(resolve);
        },
      });
    });
    assert.equal(result.reset?.reason, 'RemoteConnectionFailure');
    assert.equal(failuresBefore, 1);
    assert.equal(connectFailures, 2, 'the second request failed on its own connection');
  } finally {
    pool.close();
  }
});
