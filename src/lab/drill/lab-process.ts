/**
 * The demo's lab, started and stopped as a user does it: `spillway lab up --detach` as a child
 * process (its progress lines relayed, its time measured from spawn to ready), and `lab down`'s own
 * code (shutDownLab) at the end. The `lab up` child leads its own process group, so that a Ctrl-C
 * in the terminal reaches only the demo, which then stops the lab in order.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { shutDownLab } from '../supervisor/lab-shutdown.js';
import { readLabState, type LabState } from '../supervisor/lab-state.js';
import { isAlive } from '../supervisor/process-identity.js';
import { delay } from './traffic.js';

const spillwayBin = fileURLToPath(new URL('../../../../bin/spillway', import.meta.url));

export interface StartedLab {
  readonly upMs: number;
  readonly state: LabState;
}

export interface LabProcessOptions {
  readonly stateDir: string;
  readonly topologyFile?: string;
  readonly clock: Clock;
  readonly progress: (line: string) => void;
}

/** Thrown by startLab when its signal aborts: the supervisor may still be starting (see stopLab). */
export class LabStartAborted extends Error {
  constructor() {
    super('interrupted while the lab was starting');
    this.name = 'LabStartAborted';
  }
}

export async function startLab(options: LabProcessOptions, signal?: AbortSignal): Promise<StartedLab> {
  const { clock, progress, stateDir } = options;
  const args = [spillwayBin, 'lab', 'up', '--detach', '--state-dir', stateDir];
  if (options.topologyFile !== undefined) args.push('--file', options.topologyFile);
  const startMs = clock.monotonicMs();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    partial += chunk;
    for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n')) {
      progress(`  lab: ${partial.slice(0, nl)}`);
      partial = partial.slice(nl + 1);
    }
  });
  child.stdout.resume(); // where everything is: the demo prints its own summary
  const code = await new Promise<number | null | 'aborted'>((resolve) => {
    child.on('error', (err) => {
      stderr += err.message;
      resolve(null);
    });
    child.on('exit', (exitCode) => resolve(exitCode));
    // The child ends by itself once `lab down` has stopped the supervisor it started.
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  if (code === 'aborted') throw new LabStartAborted();
  const upMs = clock.monotonicMs() - startMs;
  const state = readLabState(stateDir);
  if (code !== 0 || state === undefined) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n  ');
    throw new SpillwayError(
      ErrorCode.demoFailed,
      `spillway lab up failed (exit status ${String(code)}):\n  ${tail}`,
    );
  }
  return { upMs, state };
}

export interface StoppedLab {
  readonly downMs: number;
  /** Pids that were part of the lab (memory samples) and still run after lab down. */
  readonly leftovers: readonly number[];
}

/**
 * `lab down` for the demo's state directory. When the supervisor may still be starting (a Ctrl-C
 * during `lab up`), lab.json can be a moment away: wait for it briefly so that nothing starts
 * after the lab was "stopped".
 */
export async function stopLab(
  options: LabProcessOptions & { readonly knownPids: readonly number[]; readonly mayBeStarting: boolean },
): Promise<StoppedLab> {
  const { clock, stateDir } = options;
  const startMs = clock.monotonicMs();
  if (options.mayBeStarting) {
    for (let i = 0; i < 50 && readLabState(stateDir) === undefined; i++) await delay(100);
  }
  await shutDownLab(stateDir, {
    clock,
    supervisorTimeoutMs: 30_000,
    purge: false,
    progress: (line) => options.progress(`  lab: ${line}`),
  });
  const leftovers = options.knownPids.filter((pid) => isAlive(pid));
  return { downMs: clock.monotonicMs() - startMs, leftovers };
}
