/**
 * A real HTTP/1.1 backend on a loopback address of the test's choosing, whose behaviour can be changed
 * while it runs: answer with a status and body, hang (accept and never answer), or reset the connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type BackendBehaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' };

export interface TestBackend {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Requests seen, including ones that were then reset or left hanging. */
  hits: number;
  lastHeaders: http.IncomingHttpHeaders | undefined;
  setBehaviour(behaviour: BackendBehaviour): void;
  close(): Promise<void>;
}

export async function startBackend(name: string, address = '127.0.0.1', port = 0): Promise<TestBackend> {
  let behaviour: BackendBehaviour = { kind: 'ok' };
  const server = http.createServer((req, res) => {
    backend.hits++;
    backend.lastHeaders = req.headers;
    req.resume();
    switch (behaviour.kind) {
      case 'ok': {
        const body = `${name}`;
        res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
        res.end(body);
        return;
      }
      case 'status':
        res.writeHead(behaviour.status, { 'content-type': 'text/plain', 'x-backend': name });
        res.end(behaviour.body ?? `${name} says ${behaviour.status}`);
        return;
      case 'hang':
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const backend: TestBackend = {
    name,
    address,
    port: bound.port,
    hits: 0,
    lastHeaders: undefined,
    setBehaviour(next) {
      behaviour = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return backend;
}
