import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import {
  Http1ClientConnection,
  type ClientConnectionOwner,
  type ClientExchange,
} from './client-connection.js';

test('an idle connection the upstream closes is reported closed when its FIN is read, before the socket closes', async () => {
  // Envoy drops an upstream connection from its pool in the read callback that sees the peer's FIN
  // (`ConnectionImpl::onReadReady` -> RemoteClose); Node's own 'close' event comes a turn or two later.
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.77.74.20', resolve));
  const port = (server.address() as net.AddressInfo).port;
  let isSocketClosed = false;
  const events: string[] = [];
  const done = new Promise<void>((resolve) => {
    const exchange: ClientExchange = {
      method: 'GET',
      path: '/',
      authority: 'x',
      headers: {},
      hasBody: false,
      onResponseHeaders: (status) => events.push(`headers ${status}`),
      onResponseData: () => {},
      onResponseTrailers: () => {},
      onResponseEnd: () => events.push('end'),
      onExchangeError: (kind) => events.push(`error ${kind}`),
    };
    const owner: ClientConnectionOwner = {
      onConnected: (connection) => connection.dispatch(exchange),
      onConnectFailed: () => events.push('connect failed'),
      onExchangeDone: (_c, isReusable) => events.push(`done reusable=${isReusable}`),
      onClosed: () => {
        events.push(isSocketClosed ? 'closed after the socket' : 'closed at FIN');
        resolve();
      },
    };
    const connection = new Http1ClientConnection('127.77.74.20', port, 1000, 0, owner);
    connection.socket.prependListener('close', () => (isSocketClosed = true));
  });
  try {
    await done;
    assert.deepEqual(events, ['headers 200', 'end', 'done reusable=true', 'closed at FIN']);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
