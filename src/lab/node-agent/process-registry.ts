/**
 * The child processes an agent runs, recorded in `<stateDir>/processes.json` so that none outlives
 * an agent that crashed or was killed: each command container leads its own process group, which
 * does not die with the agent. On start, the agent kills the groups a previous run left behind -
 * only when the recorded pid still runs the recorded program (`/proc/<pid>/cmdline`), so a reused
 * pid of an unrelated process is never touched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/write-file-atomic.js';

export interface RecordedProcess {
  readonly pid: number;
  readonly pod: string;
  readonly container: string;
  /** argv[0] as spawned. */
  readonly program: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv[0] of a running process, if readable. */
function programOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

export class ProcessRegistry {
  private readonly path: string;
  private readonly processes = new Map<number, RecordedProcess>();

  constructor(stateDir: string) {
    this.path = join(stateDir, 'processes.json');
  }

  /** Kills what a previous run recorded and still runs; returns the pids killed. */
  killLeftovers(): number[] {
    let recorded: unknown;
    try {
      recorded = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
    } catch {
      recorded = [];
    }
    const killed: number[] = [];
    for (const entry of Array.isArray(recorded) ? recorded : []) {
      const pid = typeof entry?.pid === 'number' ? (entry.pid as number) : undefined;
      const program = typeof entry?.program === 'string' ? (entry.program as string) : undefined;
      if (pid === undefined || program === undefined || !isAlive(pid)) continue;
      if (programOf(pid) !== program) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          continue;
        }
      }
      killed.push(pid);
    }
    this.save();
    return killed;
  }

  add(entry: RecordedProcess): void {
    this.processes.set(entry.pid, entry);
    this.save();
  }

  remove(pid: number): void {
    if (this.processes.delete(pid)) this.save();
  }

  pids(): number[] {
    return [...this.processes.keys()];
  }

  private save(): void {
    writeFileAtomic(this.path, `${JSON.stringify([...this.processes.values()], null, 1)}\n`);
  }
}
