/** Small helpers to talk to the benchmark's Node child processes and to Spillway's admin interface. */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { ProcessGroup, type ManagedProcess } from './process-group.js';

/** A compiled script next to this file (`dist/bench/proxy/<name>`). */
export function siblingScript(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Resolves with the next IPC message `accept` takes; rejects if the child exits first. */
export function nextMessage<T>(
  proc: ManagedProcess,
  accept: (message: T) => boolean,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`${proc.name} exited while waiting for ${what}:\n${ProcessGroup.logTail(proc)}`));
    };
    const cleanup = (): void => {
      proc.child.off('message', onMessage);
      proc.child.off('exit', onExit);
    };
    proc.child.on('message', onMessage);
    proc.child.once('exit', onExit);
  });
}

/** GET on a fresh connection; resolves with status and body (status 0 and the error on failure). */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err) => resolve({ status: 0, body: err.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

/** Counters from Spillway's admin `/stats` (Envoy text format, `name: value` lines) under `prefix`. */
export async function readProxyStats(adminAddress: string, prefix: string): Promise<Record<string, number>> {
  const { status, body } = await httpGet(`http://${adminAddress}/stats`);
  if (status !== 200) return {};
  const stats: Record<string, number> = {};
  for (const line of body.split('\n')) {
    const match = /^([^:]+): (\d+)$/.exec(line);
    if (match?.[1]?.startsWith(prefix) === true) stats[match[1].slice(prefix.length)] = Number(match[2]);
  }
  return stats;
}
