/**
 * The interleaved rounds: in every round each target gets one throughput run (wrk -t1 -c50, proxy
 * CPU time read before and after) and, for proxies and `direct`, one latency run (wrk -t1 -c1). The
 * target order rotates from round to round so no target always runs first or right after another.
 */
import { measureOnCpu, readRssKb } from './proc-stats.js';
import type { ProcessGroup } from './process-group.js';
import type { CpuLayout, Target, TargetName } from './throughput-targets.js';
import { runWrk, totalErrors, type WrkErrors, type WrkResult } from './wrk-runner.js';

export interface ThroughputSample {
  readonly rps: number;
  readonly requests: number;
  readonly errors: WrkErrors;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU time of the server under test per completed request (undefined for `direct`). */
  readonly cpuUsPerRequest: number | undefined;
  /** Requests one fully busy core of the server under test would serve: 1e6 / cpuUsPerRequest. */
  readonly rpsPerCore: number | undefined;
  /** VmRSS of the server under test right after the run. */
  readonly rssKb: number | undefined;
  /** CPU time of other processes on the proxy CPU during the run, % (noise indicator). */
  readonly otherLoadPct: number;
  readonly stealPct: number;
}

export interface LatencySample {
  readonly rps: number;
  readonly errors: WrkErrors;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

export interface RoundSample {
  readonly round: number;
  readonly target: TargetName;
  readonly throughput: ThroughputSample;
  readonly latency: LatencySample | undefined;
}

export interface RoundOptions {
  readonly rounds: number;
  readonly durationS: number;
  readonly latencyDurationS: number;
  readonly connections: number;
  readonly cpus: CpuLayout;
  readonly wrkScript: string;
}

export type Progress = (line: string) => void;

/** Short unrecorded runs so every target (above all Spillway's JIT) starts the rounds warm. */
export async function warmUp(
  group: ProcessGroup,
  targets: readonly Target[],
  options: RoundOptions,
): Promise<void> {
  for (const target of targets) {
    await runWrk(group, options.wrkScript, {
      url: target.url,
      connections: options.connections,
      durationS: 2,
      cpu: options.cpus.loadCpu,
    });
  }
}

export async function runRounds(
  group: ProcessGroup,
  targets: readonly Target[],
  options: RoundOptions,
  progress: Progress,
): Promise<RoundSample[]> {
  const samples: RoundSample[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const offset = (round - 1) % targets.length;
    const order = [...targets.slice(offset), ...targets.slice(0, offset)];
    progress(`round ${round}/${options.rounds}: ${order.map((t) => t.name).join(', ')}`);
    for (const target of order) {
      const throughput = await throughputRun(group, target, options);
      const latency =
        target.isProxy || target.name === 'direct' ? await latencyRun(group, target, options) : undefined;
      samples.push({ round, target: target.name, throughput, latency });
      progress(`  ${describe(target.name, throughput, latency)}`);
    }
  }
  return samples;
}

async function throughputRun(
  group: ProcessGroup,
  target: Target,
  options: RoundOptions,
): Promise<ThroughputSample> {
  const run = (): Promise<WrkResult> =>
    runWrk(group, options.wrkScript, {
      url: target.url,
      connections: options.connections,
      durationS: options.durationS,
      cpu: options.cpus.loadCpu,
    });
  const pid = target.process?.pid;
  const measured = await measureOnCpu(pid, options.cpus.proxyCpu, run);
  const rssKb = pid === undefined ? undefined : readRssKb(pid);
  const { result, ownCpuUs } = measured;
  const perRequest = ownCpuUs === undefined || result.requests === 0 ? undefined : ownCpuUs / result.requests;
  return {
    rps: result.rps,
    requests: result.requests,
    errors: result.errors,
    p50Us: result.latencyUs.p50,
    p99Us: result.latencyUs.p99,
    cpuUsPerRequest: perRequest,
    rpsPerCore: perRequest === undefined || perRequest === 0 ? undefined : 1e6 / perRequest,
    rssKb,
    otherLoadPct: measured.otherLoadPct,
    stealPct: measured.stealPct,
  };
}

async function latencyRun(
  group: ProcessGroup,
  target: Target,
  options: RoundOptions,
): Promise<LatencySample> {
  const result = await runWrk(group, options.wrkScript, {
    url: target.url,
    connections: 1,
    durationS: options.latencyDurationS,
    cpu: options.cpus.loadCpu,
  });
  return {
    rps: result.rps,
    errors: result.errors,
    p50Us: result.latencyUs.p50,
    p90Us: result.latencyUs.p90,
    p99Us: result.latencyUs.p99,
    meanUs: result.latencyUs.mean,
  };
}

function describe(name: string, t: ThroughputSample, l: LatencySample | undefined): string {
  const parts = [`${name.padEnd(9)} ${Math.round(t.rps).toString().padStart(6)} rps`];
  if (t.cpuUsPerRequest !== undefined) parts.push(`${t.cpuUsPerRequest.toFixed(1)} µs CPU/req`);
  if (t.rssKb !== undefined) parts.push(`RSS ${(t.rssKb / 1024).toFixed(1)} MB`);
  if (l !== undefined) parts.push(`c1 p50 ${l.p50Us} µs p99 ${l.p99Us} µs`);
  if (t.otherLoadPct >= 2) parts.push(`other load on proxy CPU ${t.otherLoadPct.toFixed(0)} %`);
  const errors = totalErrors(t.errors) + (l === undefined ? 0 : totalErrors(l.errors));
  if (errors > 0) parts.push(`ERRORS ${errors}`);
  return parts.join(', ');
}
