/**
 * What the lab's small HTTP control servers (the node agent's control API, the supervisor's
 * observability endpoint) share: binding with the bound address back, closing with every kept-alive
 * connection ended, and a constant-time check of the `Authorization` header against the token.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Binds `server`; resolves with the bound address (port 0 picks one). */
export function listenHttp(
  server: http.Server,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}

/** Stops listening and ends every open connection; resolves at once when not listening. */
export function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** True when the request's `Authorization` header is exactly `expected` (compared in constant time). */
export function authorizationMatches(req: http.IncomingMessage, expected: Buffer): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
