/**
 * Child process: the failover benchmark's backends, each answering `200 <its name>` on keep-alive
 * connections. On `refuse`, a backend goes away the way a gracefully stopped server does, without
 * dropping a request that has reached it: its listening socket closes (the kernel now refuses
 * connections), requests already in its sockets are still answered, with `Connection: close`, and
 * idle keep-alive connections close right after that. From then on every request the proxy sends there fails at connect time.
 * On `drain`, a backend only stops keep-alive (idle connections close, later responses carry
 * `Connection: close`) and goes on answering.
 *
 * Usage: node failover-backends.js '<json BackendSpec[]>'  (IPC channel required)
 */
import http from 'node:http';
import net from 'node:net';
import {
  wallNowMs,
  type BackendSpec,
  type BackendsMessage,
  type BackendCommand,
} from './failover-messages.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as BackendSpec[];
const servers = new Map<string, http.Server>();
/** Backends that answer with `Connection: close` (drained or refusing). */
const closing = new Set<string>();
const connectionCount = new Map<string, number>();

function send(message: BackendsMessage): void {
  process.send?.(message);
}

await Promise.all(
  specs.map(
    (spec) =>
      new Promise<void>((resolve, reject) => {
        const body = Buffer.from(spec.name);
        const server = http.createServer((req, res) => {
          req.resume();
          res.writeHead(200, {
            'content-type': 'text/plain',
            'content-length': body.length,
            'x-backend': spec.name,
            ...(closing.has(spec.name) ? { connection: 'close' } : {}),
          });
          res.end(body);
        });
        server.keepAliveTimeout = 60_000;
        server.on('connection', (socket: net.Socket) => {
          connectionCount.set(spec.name, (connectionCount.get(spec.name) ?? 0) + 1);
          socket.once('close', () =>
            connectionCount.set(spec.name, (connectionCount.get(spec.name) ?? 1) - 1),
          );
        });
        servers.set(spec.name, server);
        server.once('error', reject);
        server.listen(spec.port, spec.host, () => resolve());
      }),
  ),
);
send({ type: 'listening' });

process.on('message', (message: BackendCommand) => {
  const server = servers.get(message.name);
  if (server === undefined) return;
  if (message.type === 'drain') {
    closing.add(message.name);
    server.closeIdleConnections();
    send({ type: 'drained', name: message.name });
    return;
  }
  closing.add(message.name);
  const connections = connectionCount.get(message.name) ?? 0;
  // net.Server's close, not http.Server's: stop listening (from now on the kernel refuses connections)
  // without touching accepted connections. The fault time is this moment.
  net.Server.prototype.close.call(server);
  const wallMs = wallNowMs();
  // Idle connections close only after one more turn of the event loop, once the bytes already in
  // their receive buffers have been read: Node counts a connection whose request it has not parsed
  // yet as idle, and closing it would drop a request the proxy had sent before the fault - a lost
  // request that Envoy, too, reports as a reset (UC), not the refused connect this benchmark is
  // about. Requests that reach A in that turn are answered (with `Connection: close`).
  setImmediate(() => setImmediate(() => server.closeIdleConnections()));
  send({ type: 'refusing', name: message.name, wallMs, connections });
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
