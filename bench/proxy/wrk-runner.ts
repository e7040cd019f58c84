/**
 * Runs wrk and reads its results from a Lua `done()` hook that prints one JSON line, so latencies come
 * in integer microseconds instead of wrk's rounded human units ("1.41ms").
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessGroup } from './process-group.js';

export interface WrkErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  /** Responses with a status >= 400 (wrk counts them as requests too). */
  readonly status: number;
  readonly timeout: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly errors: WrkErrors;
  readonly latencyUs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly mean: number;
    readonly max: number;
  };
}

export interface WrkRun {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly cpu: number;
}

const MARK = 'WRKJSON ';

const DONE_SCRIPT = `-- written by bench/proxy/wrk-runner.ts
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${MARK}{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.3f,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max))
end
`;

/** Writes the Lua hook into `dir` and returns its path. */
export function writeWrkScript(dir: string): string {
  const path = join(dir, 'wrk-json.lua');
  writeFileSync(path, DONE_SCRIPT);
  return path;
}

export async function runWrk(group: ProcessGroup, scriptPath: string, run: WrkRun): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${run.connections}`,
    `-d${run.durationS}s`,
    '--timeout',
    '2s',
    '--latency',
    '-s',
    scriptPath,
    run.url,
  ];
  const { code, stdout, stderr } = await group.run('wrk', 'wrk', args, { cpu: run.cpu });
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk ${args.join(' ')} failed (exit ${String(code)}):\n${stdout}${stderr}`);
  }
  return parseWrkJson(line.slice(MARK.length));
}

function parseWrkJson(text: string): WrkResult {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null) throw new Error(`unexpected wrk output: ${text}`);
  const field = (name: string): number => {
    const value = (raw as Record<string, unknown>)[name];
    if (typeof value !== 'number') throw new Error(`wrk output lacks ${name}: ${text}`);
    return value;
  };
  const durationS = field('duration_us') / 1e6;
  const requests = field('requests');
  return {
    requests,
    durationS,
    rps: durationS > 0 ? requests / durationS : 0,
    errors: {
      connect: field('connect'),
      read: field('read'),
      write: field('write'),
      status: field('status'),
      timeout: field('timeout'),
    },
    latencyUs: {
      p50: field('p50'),
      p90: field('p90'),
      p99: field('p99'),
      p999: field('p999'),
      mean: field('mean'),
      max: field('max'),
    },
  };
}

/** All wrk errors of a run added up. */
export function totalErrors(errors: WrkErrors): number {
  return errors.connect + errors.read + errors.write + errors.status + errors.timeout;
}
