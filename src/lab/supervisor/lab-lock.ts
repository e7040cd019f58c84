/**
 * One lab per state directory. `lab up` refuses to start when the directory's supervisor is alive,
 * or when a crashed lab left processes behind (they hold the addresses and the API servers' data
 * dirs); a lock file taken with O_EXCL closes the race between two `lab up` started together.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { readLabState, type LabState } from './lab-state.js';
import { isAlive, isSameProcess } from './process-identity.js';

/** What runs from a state directory right now, from its lab.json. */
export interface RunningLab {
  readonly state: LabState;
  /** The supervisor is alive. */
  readonly isSupervisorAlive: boolean;
  /** Recorded children still alive (leftovers when the supervisor is gone). */
  readonly aliveProcesses: ReadonlyArray<LabState['processes'][number]>;
}

export function inspectLab(stateDir: string): RunningLab | undefined {
  const state = readLabState(stateDir);
  if (state === undefined) return undefined;
  const isSupervisorAlive = isSameProcess(state.supervisor.pid, state.supervisor.startTicks);
  const aliveProcesses = state.processes.filter((p) => p.pid > 0 && isSameProcess(p.pid, p.startTicks));
  return { state, isSupervisorAlive, aliveProcesses };
}

/** Throws SPILLWAY_ERR_LAB_RUNNING when a lab (or what is left of one) runs from `stateDir`. */
export function assertNoLabRunning(stateDir: string): void {
  const lab = inspectLab(stateDir);
  if (lab === undefined) return;
  if (lab.isSupervisorAlive) {
    throw new SpillwayError(
      ErrorCode.labRunning,
      `a lab is already running from ${stateDir} (supervisor pid ${lab.state.supervisor.pid}, ${lab.state.phase}); ` +
        'see `spillway lab status`, stop it with `spillway lab down`',
    );
  }
  if (lab.aliveProcesses.length > 0) {
    throw new SpillwayError(
      ErrorCode.labRunning,
      `a lab from ${stateDir} crashed and left ${lab.aliveProcesses.length} processes running ` +
        `(pids ${lab.aliveProcesses.map((p) => p.pid).join(', ')}); clean up with \`spillway lab down\``,
    );
  }
}

/** Takes the state directory's lock for this process; returns the release function. */
export function takeLabLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'supervisor.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new SpillwayError(
          ErrorCode.labRunning,
          `a lab is starting from ${stateDir} (supervisor pid ${pid})`,
        );
      }
      unlinkSync(path); // left by a supervisor that died
    }
  }
  throw new SpillwayError(ErrorCode.labRunning, `${stateDir}: cannot take the lock file ${path}`);
}
