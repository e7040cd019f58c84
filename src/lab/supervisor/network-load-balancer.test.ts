import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import { NetworkLoadBalancer, type LoadBalancerTarget } from './network-load-balancer.js';

/** A TCP server that answers every connection with its name and closes. */
async function namedServer(
  host: string,
  name: string,
): Promise<{ target: LoadBalancerTarget; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { target: { host, port }, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A loopback port nothing listens on (bound once, then closed). */
async function refusingTarget(host: string): Promise<LoadBalancerTarget> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host, port };
}

/** Connects, reads until the far end closes; 'RESET' when the connection was reset. */
function fetchText(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNRESET' ? 'RESET' : `ERROR ${err.code}`),
    );
    socket.on('close', () => resolve(text));
  });
}

describe('the network load balancer', () => {
  const clock = new FakeClock();
  const nlb = new NetworkLoadBalancer({
    listen: { host: '127.93.0.10', port: 0 },
    clock,
    log: createLogger('nlb-test'),
    unhealthyForMs: 5_000,
  });
  let port = 0;
  const servers: Array<{ target: LoadBalancerTarget; close(): Promise<void> }> = [];

  before(async () => {
    port = (await nlb.listen()).port;
    servers.push(await namedServer('127.93.1.2', 'a'), await namedServer('127.93.2.2', 'b'));
  });

  after(async () => {
    await nlb.close();
    for (const s of servers) await s.close();
  });

  test('resets connections while it has no target', async () => {
    nlb.setTargets([]);
    assert.equal(await fetchText('127.93.0.10', port), 'RESET');
    assert.equal(nlb.getStats().noTarget, 1);
  });

  test('spreads connections round robin over its targets', async () => {
    nlb.setTargets(servers.map((s) => s.target));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await fetchText('127.93.0.10', port));
    assert.deepEqual([...seen].sort(), ['a', 'a', 'b', 'b']);
    assert.notEqual(seen[0], seen[1]);
  });

  test('a refusing target is skipped without the client noticing, then for a while, then retried', async () => {
    const dead = await refusingTarget('127.93.3.2');
    const [a] = servers;
    assert.ok(a !== undefined);
    nlb.setTargets([dead, a.target]);
    const failuresBefore = nlb.getStats().connectFailures;
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await fetchText('127.93.0.10', port));
    assert.deepEqual(first, ['a', 'a', 'a', 'a']);
    // Only the first connection tried the dead target; the others skipped it.
    assert.equal(nlb.getStats().connectFailures - failuresBefore, 1);
    clock.advance(5_001);
    const later = [];
    for (let i = 0; i < 2; i++) later.push(await fetchText('127.93.0.10', port));
    assert.deepEqual(later, ['a', 'a']);
    assert.equal(nlb.getStats().connectFailures - failuresBefore, 2);
  });

  test('when every target is being skipped it fails open and tries them all', async () => {
    const dead = await refusingTarget('127.93.4.2');
    nlb.setTargets([dead]);
    assert.equal(await fetchText('127.93.0.10', port), 'RESET');
    const [b] = servers.slice(1);
    assert.ok(b !== undefined);
    // b is new to the list, dead is still skipped: b is tried first.
    nlb.setTargets([dead, b.target]);
    assert.equal(await fetchText('127.93.0.10', port), 'b');
  });

  test('passes bytes both ways and half-closes like the client does', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => socket.end(Buffer.concat(chunks).toString().toUpperCase()));
    });
    await new Promise<void>((resolve) => echo.listen({ host: '127.93.5.2', port: 0 }, resolve));
    try {
      nlb.setTargets([{ host: '127.93.5.2', port: (echo.address() as net.AddressInfo).port }]);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: '127.93.0.10', port, allowHalfOpen: true }, () =>
          socket.end('hello lab'),
        );
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
      });
      assert.equal(reply, 'HELLO LAB');
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  test('close() drops open connections and frees the port', async () => {
    const hold = net.createServer(() => {}); // accepts and never answers
    await new Promise<void>((resolve) => hold.listen({ host: '127.93.6.2', port: 0 }, resolve));
    const other = new NetworkLoadBalancer({
      listen: { host: '127.93.0.11', port: 0 },
      clock,
      log: createLogger('nlb-test'),
    });
    const otherPort = (await other.listen()).port;
    other.setTargets([{ host: '127.93.6.2', port: (hold.address() as net.AddressInfo).port }]);
    const pending = fetchText('127.93.0.11', otherPort);
    // Polled with a deadline: the client and the upstream connection are both open.
    for (const deadline = performance.now() + 5_000; other.getStats().active < 2;) {
      assert.ok(performance.now() < deadline, 'the connection never reached the target');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await other.close();
    assert.ok(['', 'RESET'].includes(await pending));
    assert.equal(await fetchText('127.93.0.11', otherPort), 'ERROR ECONNREFUSED');
    await new Promise<void>((resolve) => hold.close(() => resolve()));
  });

  test('a second listener on the same address fails with a bind error naming it', async () => {
    const twin = new NetworkLoadBalancer({
      listen: { host: '127.93.0.10', port },
      clock,
      log: createLogger('nlb-test'),
    });
    await assert.rejects(
      twin.listen(),
      (err: Error & { code?: string }) =>
        err.code === 'SPILLWAY_ERR_LISTENER_BIND' && err.message.includes(`127.93.0.10:${port}: EADDRINUSE`),
    );
  });
});
