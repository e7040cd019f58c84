/**
 * A backend that holds every request until the test releases it, to keep a request in flight across
 * a configuration change.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait-for.js';

export interface SlowBackend {
  readonly address: string;
  readonly port: number;
  /** Resolves once `count` requests are being held. */
  waitForHeld(count?: number): Promise<void>;
  /** Answers every held request with 200 and `body`. */
  releaseAll(body?: string): void;
  close(): Promise<void>;
}

export async function startSlowBackend(address: string): Promise<SlowBackend> {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address,
    port,
    async waitForHeld(count = 1) {
      await waitFor(`${count} held request(s) at ${address}`, () => held.length >= count);
    },
    releaseAll(body = 'slow done') {
      for (const res of held.splice(0)) res.end(body);
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
