/**
 * Waiting during `lab up`: poll a condition until a deadline, failing early - with the process's
 * exit status and the end of its log - when a process the step depends on exits. Each failure names
 * the step, so that a slow or broken component is obvious from `lab up`'s output.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import type { HostPort } from '../topology/address-plan.js';
import type { SupervisedProcess } from './supervised-process.js';

export interface WaitContext {
  readonly clock: Clock;
  /** Monotonic ms after which `lab up` gives up. */
  readonly deadlineMs: number;
  /** Total budget, for the message. */
  readonly timeoutMs: number;
  readonly isCancelled: () => boolean;
}

export function startFailed(message: string): SpillwayError {
  return new SpillwayError(ErrorCode.labStartFailed, message);
}

/**
 * Polls `probe` (every `intervalMs`) until it returns true. `detail()` says what is missing, for the
 * timeout message.
 */
export async function waitUntil(
  ctx: WaitContext,
  what: string,
  probe: () => Promise<boolean>,
  options: { processes?: readonly SupervisedProcess[]; detail?: () => string; intervalMs?: number } = {},
): Promise<void> {
  for (;;) {
    let lastError: string;
    if (ctx.isCancelled()) throw startFailed(`${what}: cancelled`);
    for (const p of options.processes ?? [])
      if (p.hasExited) throw startFailed(`${what}: ${p.exitSummary()}`);
    try {
      const isDone = await probe();
      lastError = '';
      if (isDone) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (ctx.clock.monotonicMs() > ctx.deadlineMs) {
      const detail = options.detail?.() ?? '';
      throw startFailed(
        `${what}: not done after ${Math.round(ctx.timeoutMs / 1000)} s` +
          (detail !== '' ? ` (${detail})` : '') +
          (lastError !== '' ? `; last error: ${lastError}` : ''),
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** GET http://host:port/path -> the status code (rejects on connection errors, 1 s timeout). */
export function httpStatus(target: HostPort, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: target.host, port: target.port, path, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () =>
      req.destroy(new Error(`GET http://${target.host}:${target.port}${path} timed out`)),
    );
    req.on('error', reject);
  });
}
