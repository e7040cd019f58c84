/**
 * `lab down` without the supervisor's help when needed: asks a live supervisor to stop (SIGTERM)
 * and waits for it; then kills whatever lab.json records that still runs (the leftovers of a
 * supervisor that crashed or was killed with SIGKILL), SIGTERM to each process group first and
 * SIGKILL after a grace period; finally marks the state stopped. With `purge`, the state directory
 * goes too - only if it holds nothing but what a lab writes there.
 */
import { readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { inspectLab } from './lab-lock.js';
import { writeLabState, type LabState } from './lab-state.js';
import { isSameProcess, signalGroup } from './process-identity.js';

export interface ShutdownResult {
  /** False when the state directory had no lab.json. */
  readonly hadLab: boolean;
  /** The supervisor was alive and stopped the lab itself. */
  readonly stoppedSupervisor: boolean;
  /** Leftover processes killed by pid (name and pid). */
  readonly killedLeftovers: ReadonlyArray<{ name: string; pid: number }>;
  readonly isPurged: boolean;
}

export interface ShutdownOptions {
  readonly clock: Clock;
  /** How long the supervisor may take to stop the lab. */
  readonly supervisorTimeoutMs: number;
  /** Between SIGTERM and SIGKILL for leftovers. */
  readonly graceMs?: number;
  readonly purge: boolean;
  readonly progress: (line: string) => void;
}

/** What a lab writes into its state directory; purge refuses a directory holding anything else. */
const labEntries =
  /^(lab\.json(\..+\.tmp)?|kubeconfig(\.tmp)?|supervisor\.lock|supervisor-token|prometheus|logs|clusters|nodes)$/;

async function waitGone(
  clock: Clock,
  processes: ReadonlyArray<{ pid: number; startTicks?: number }>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = clock.monotonicMs() + timeoutMs;
  for (;;) {
    if (processes.every((p) => !isSameProcess(p.pid, p.startTicks))) return true;
    if (clock.monotonicMs() > deadline) return false;
    await sleep(50);
  }
}

function purgeStateDir(stateDir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(stateDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const foreign = entries.filter((e) => !labEntries.test(e));
  if (foreign.length > 0) {
    throw new SpillwayError(
      ErrorCode.labStateInvalid,
      `${stateDir} holds files a lab does not write (${foreign.slice(0, 5).join(', ')}); not purging it`,
    );
  }
  rmSync(stateDir, { recursive: true, force: true });
}

export async function shutDownLab(stateDir: string, options: ShutdownOptions): Promise<ShutdownResult> {
  const { clock, progress } = options;
  const lab = inspectLab(stateDir);
  if (lab === undefined) {
    if (options.purge) purgeStateDir(stateDir);
    return { hadLab: false, stoppedSupervisor: false, killedLeftovers: [], isPurged: options.purge };
  }
  let stoppedSupervisor = false;
  const supervisor = lab.state.supervisor;
  if (lab.isSupervisorAlive) {
    progress(`stopping the lab (supervisor pid ${supervisor.pid})`);
    process.kill(supervisor.pid, 'SIGTERM');
    stoppedSupervisor = await waitGone(clock, [supervisor], options.supervisorTimeoutMs);
    if (!stoppedSupervisor) {
      progress(
        `the supervisor did not stop within ${Math.round(options.supervisorTimeoutMs / 1000)} s; killing it`,
      );
      process.kill(supervisor.pid, 'SIGKILL');
      await waitGone(clock, [supervisor], 5_000);
    }
  }
  // Whatever is still alive now is a leftover (of a crash, or of a supervisor that had to be killed).
  const after = inspectLab(stateDir) ?? lab;
  const leftovers = after.aliveProcesses;
  if (leftovers.length > 0) {
    progress(
      `killing ${leftovers.length} leftover lab processes: ${leftovers.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
    );
    for (const p of leftovers) signalGroup(p.pid, 'SIGTERM');
    if (!(await waitGone(clock, leftovers, options.graceMs ?? 10_000))) {
      for (const p of leftovers) if (isSameProcess(p.pid, p.startTicks)) signalGroup(p.pid, 'SIGKILL');
      await waitGone(clock, leftovers, 5_000);
    }
    for (const p of leftovers) signalGroup(p.pid, 'SIGKILL'); // the rest of each group
  }
  const alive = after.state.processes.filter((p) => p.pid > 0 && isSameProcess(p.pid, p.startTicks));
  if (alive.length > 0) {
    throw new SpillwayError(
      ErrorCode.labRunning,
      `could not stop ${alive.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
    );
  }
  const stopped: LabState = {
    ...after.state,
    phase: 'stopped',
    processes: after.state.processes.map((p) =>
      p.phase === 'running' || p.phase === 'starting' || p.phase === 'restarting'
        ? { ...p, phase: 'stopped' }
        : p,
    ),
  };
  if (options.purge) purgeStateDir(stateDir);
  else writeLabState(stopped);
  return {
    hadLab: true,
    stoppedSupervisor,
    killedLeftovers: leftovers.map((p) => ({ name: p.name, pid: p.pid })),
    isPurged: options.purge,
  };
}
