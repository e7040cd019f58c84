/**
 * Child process: an open-loop HTTP/1.1 load generator. Request i is due at start + i / rate whatever
 * happened to earlier requests (a closed loop would slow down exactly when the proxy struggles and
 * hide errors). It sleeps between sends (no busy spinning, which starved co-located processes in the
 * calibration run, performance-anchors §6) and reuses connections through a keep-alive agent.
 *
 * Usage: node open-loop-load.js '<json LoadSpec>'  (IPC channel required; results go back over IPC)
 */
import http from 'node:http';
import { wallNowMs, type LoadMessage, type LoadSpec, type RequestRecord } from './failover-messages.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const total = Math.round((spec.ratePerS * spec.durationMs) / 1000);
const intervalMs = 1000 / spec.ratePerS;
const records: RequestRecord[] = [];
/** Requests without an outcome yet, so the deadline can close them (a request still queued in the
 * agent for a socket has no socket timeout running). */
const pending = new Set<(status: number, answer: string) => void>();
let sent = 0;
let finished = 0;

function send(message: LoadMessage): void {
  process.send?.(message);
}

function fire(): void {
  const sentMs = wallNowMs();
  let isDone = false;
  const finish = (status: number, answer: string): void => {
    if (isDone) return;
    isDone = true;
    pending.delete(finish);
    records.push({ sentMs, latencyMs: wallNowMs() - sentMs, status, answer });
    finished++;
    if (finished === total) {
      agent.destroy();
      // Exit only once the (large) message has been handed to the IPC channel.
      process.send?.({ type: 'done', records } satisfies LoadMessage, undefined, {}, () => process.exit(0));
    }
  };
  pending.add(finish);
  const req = http.get(spec.url, { agent }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8').slice(0, 200)));
    res.on('error', (err) => finish(0, `response error: ${err.message}`));
  });
  req.setTimeout(spec.timeoutMs, () => req.destroy(new Error(`timeout after ${spec.timeoutMs} ms`)));
  req.on('error', (err: NodeJS.ErrnoException) => finish(0, `request error: ${err.code ?? err.message}`));
}

const startMs = performance.now();
send({ type: 'started', wallMs: wallNowMs() });
// Whatever has no answer well after the last send counts as failed, so the run always ends.
setTimeout(
  () => {
    for (const finish of [...pending]) finish(0, 'no response before the load deadline');
  },
  spec.durationMs + spec.timeoutMs + 2000,
).unref();

function tick(): void {
  const elapsed = performance.now() - startMs;
  while (sent < total && sent * intervalMs <= elapsed) {
    sent++;
    fire();
  }
  if (sent < total) setTimeout(tick, Math.max(0, (sent * intervalMs - elapsed) * 0.9));
}
tick();
