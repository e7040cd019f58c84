/**
 * CPU time and memory of a process, read from Linux procfs. `/proc/<pid>/stat` of a thread-group
 * leader reports utime/stime summed over all of its threads (including exited ones), which is what a
 * per-request CPU cost must include for Node (libuv worker threads, GC helper threads).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime + stime of the process, in clock ticks. */
export function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so fields 14 (utime) and 15 (stime) are rest[11] and rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return utime + stime;
}

/** VmRSS of the process in KiB. */
export function readRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on virtually every Linux build). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

interface CpuLineTicks {
  /** user + nice + system + irq + softirq (guest time is already inside user). */
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
}

/** One CPU's line of /proc/stat, in clock ticks. */
export function readCpuLine(cpu: number): CpuLineTicks {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (line === undefined) throw new Error(`no cpu${cpu} line in /proc/stat`);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

export interface CpuMeasurement<T> {
  readonly result: T;
  /** CPU time of the measured process, when there is one. */
  readonly ownCpuUs: number | undefined;
  /**
   * Busy time of the CPU that was not the measured process, as a share of the run: other programs
   * on a CPU that should be reserved. More than a few percent means the run was disturbed.
   */
  readonly otherLoadPct: number;
  /** Time the hypervisor gave this virtual CPU to someone else. */
  readonly stealPct: number;
}

/** Measures what a process (if any) and everything else spend on `cpu` while `work` runs. */
export async function measureOnCpu<T>(
  pid: number | undefined,
  cpu: number,
  work: () => Promise<T>,
): Promise<CpuMeasurement<T>> {
  const ownBefore = pid === undefined ? 0 : readCpuTicks(pid);
  const lineBefore = readCpuLine(cpu);
  const result = await work();
  const ownAfter = pid === undefined ? 0 : readCpuTicks(pid);
  const lineAfter = readCpuLine(cpu);
  const ownTicks = ownAfter - ownBefore;
  const total = Math.max(1, lineAfter.total - lineBefore.total);
  const otherTicks = Math.max(0, lineAfter.busy - lineBefore.busy - ownTicks);
  return {
    result,
    ownCpuUs: pid === undefined ? undefined : (ownTicks * 1e6) / clockTicksPerSecond(),
    otherLoadPct: (otherTicks / total) * 100,
    stealPct: ((lineAfter.steal - lineBefore.steal) / total) * 100,
  };
}

/** Busy share (%) of every CPU over `ms`: a quick look at whether the machine is quiet. */
export async function sampleBusyPct(cpuCount: number, ms: number): Promise<number[]> {
  const before = Array.from({ length: cpuCount }, (_, cpu) => readCpuLine(cpu));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return before.map((b, cpu) => {
    const a = readCpuLine(cpu);
    return Math.round(((a.busy - b.busy) / Math.max(1, a.total - b.total)) * 1000) / 10;
  });
}

/**
 * Time (ms) a fixed busy loop takes on `cpu`, in a fresh pinned Node process: a speed probe. On a
 * VM whose host is contended the same loop takes longer, and this hypervisor does not always report
 * that as steal time. Compare CPUs with each other and the start of a run with its end.
 */
export function probeCpuSpeedMs(cpu: number): number {
  const script =
    'const s = performance.now(); let x = 0; for (let i = 0; i < 1e8; i++) x += i % 7; ' +
    'process.stdout.write(String(performance.now() - s) + (x < 0 ? "!" : ""));';
  const out = execFileSync('taskset', ['-c', String(cpu), process.execPath, '-e', script], {
    encoding: 'utf8',
  });
  return Math.round(Number(out));
}
