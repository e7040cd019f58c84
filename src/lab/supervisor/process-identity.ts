/**
 * Whether a recorded pid is still the process the lab started: after a supervisor crash, `lab down`
 * kills leftovers by the pids in lab.json, and must not kill an unrelated process that got a reused
 * pid. On Linux the process start time (field 22 of /proc/<pid>/stat, clock ticks since boot) pins
 * the identity; elsewhere only liveness is known. Zombies (state Z) count as gone: an orphan whose
 * new parent does not reap it still answers kill(pid, 0).
 */
import { readFileSync } from 'node:fs';

interface ProcStat {
  readonly state: string;
  readonly startTicks: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces; fields after it are plain.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return { state: fields[0] ?? '', startTicks: Number.isFinite(startTicks) ? startTicks : -1 };
}

/** The start time of a process in clock ticks since boot, where /proc tells it. */
export function processStartTicks(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat === undefined || stat.startTicks < 0 ? undefined : stat.startTicks;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.state !== 'Z';
}

/** Alive, and (when both are known) started at the recorded time. */
export function isSameProcess(pid: number, startTicks: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (startTicks === undefined) return true;
  const now = processStartTicks(pid);
  return now === undefined || now === startTicks;
}

/** Sends `signal` to the process group `pgid` (our children lead their own groups); false if none. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
