/**
 * CPU and memory of the control plane over a window, from /proc/<pid>: utime+stime (all threads)
 * at both ends, VmRSS sampled every 200 ms, and - when it is pinned to a CPU - how much of that CPU
 * other processes used meanwhile (a noise indicator).
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond, readCpuLine, readCpuTicks, readRssKb } from '../proxy/proc-stats.js';
import { monoMs } from './mono-time.js';
import type { ResourceWindow } from './xds-result.js';

const MB = 1024;

export class ResourceSampler {
  private readonly startTicks: number;
  private readonly startMs: number;
  private readonly startLine: ReturnType<typeof readCpuLine> | undefined;
  private maxRssKb: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly cpu: number | undefined,
  ) {
    this.startTicks = readCpuTicks(pid);
    this.startMs = monoMs();
    this.startLine = cpu === undefined ? undefined : readCpuLine(cpu);
    this.maxRssKb = readRssKb(pid);
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    try {
      this.maxRssKb = Math.max(this.maxRssKb, readRssKb(this.pid));
    } catch {
      // the process is gone; finish() reports what was seen
    }
  }

  finish(): ResourceWindow {
    clearInterval(this.timer);
    const ticks = readCpuTicks(this.pid) - this.startTicks;
    const rssKb = readRssKb(this.pid);
    this.maxRssKb = Math.max(this.maxRssKb, rssKb);
    const durationS = (monoMs() - this.startMs) / 1000;
    const cpuPct = (ticks / clockTicksPerSecond() / Math.max(durationS, 1e-3)) * 100;
    let otherLoadPct: number | undefined;
    let stealPct: number | undefined;
    if (this.cpu !== undefined && this.startLine !== undefined) {
      const end = readCpuLine(this.cpu);
      const total = Math.max(1, end.total - this.startLine.total);
      otherLoadPct = (Math.max(0, end.busy - this.startLine.busy - ticks) / total) * 100;
      stealPct = ((end.steal - this.startLine.steal) / total) * 100;
    }
    return {
      durationS: round(durationS, 1),
      cpuPct: round(cpuPct, 1),
      rssMbEnd: round(rssKb / MB, 1),
      rssMbMax: round(this.maxRssKb / MB, 1),
      otherLoadPct: otherLoadPct === undefined ? undefined : round(otherLoadPct, 1),
      stealPct: stealPct === undefined ? undefined : round(stealPct, 1),
    };
  }
}

/** VmHWM (peak RSS over the process's life) in MB. */
export function peakRssMb(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] === undefined ? Number.NaN : round(Number(match[1]) / MB, 1);
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
