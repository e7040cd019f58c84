/**
 * `npm run bench:proxy`: Spillway's proxy side by side with nginx, HAProxy and a bare Node server
 * (throughput, CPU per request, added latency, RSS), then the failover benchmark. See bench/README.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELP, OptionsError, parseBenchOptions, type BenchOptions } from './bench-options.js';
import type { BenchResult } from './bench-result.js';
import { runProfile, type ProfileSummary } from './cpu-profile.js';
import { runFailover, type FailoverOptions } from './failover-bench.js';
import { collectMachineNotes, findRepoRoot } from './machine-notes.js';
import { probeCpuSpeedMs, sampleBusyPct } from './proc-stats.js';
import { ProcessGroup } from './process-group.js';
import { formatMarkdownFile, formatReport } from './report-format.js';
import { MissingToolsError, findRequiredTools, type ToolPaths } from './required-tools.js';
import { runRounds, warmUp, type RoundOptions } from './throughput-rounds.js';
import { checkTargets, summariseTargets } from './throughput-summary.js';
import {
  SPILLWAY_MAIN,
  spillwayNodeFlags,
  startNginxBackend,
  startThroughputTargets,
  type CpuLayout,
} from './throughput-targets.js';
import { writeWrkScript } from './wrk-runner.js';

const REPO_ROOT = findRepoRoot();
const CPUS: CpuLayout = { proxyCpu: 0, loadCpu: 1 };
const CONNECTIONS = 50;

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function setupNotes(options: BenchOptions): string[] {
  return [
    `Setup A of performance-anchors.md: the server under test pinned alone to CPU ${CPUS.proxyCpu}; wrk and the backend pinned to CPU ${CPUS.loadCpu} (taskset -c).`,
    'Backend: nginx `return 200 "hello world\\n"` (12-byte body), one process; all traffic on 127.0.77.0/24.',
    'nginx and HAProxy as reverse proxies: one worker / nbthread 1, HTTP/1.1 upstream keep-alive (nginx `keepalive 64`, HAProxy `http-reuse always`), no access logs.',
    'Spillway: `spillway proxy --config` with one listener routing `/` to a one-endpoint STATIC cluster (no access log, no retries), plus an unrouted STATIC cluster of ' +
      `${options.fleetSize} endpoints on 127.1.x.y; started as bin/spillway starts it (Node flags: ${spillwayNodeFlags().join(' ') || 'none'}).`,
    `Each round: per target one \`wrk -t1 -c${CONNECTIONS} -d${options.durationS}s\` (throughput, CPU from /proc/<pid>/stat, VmRSS after) and, for direct and the proxies, one \`wrk -t1 -c1 -d${options.durationS}s --latency\`; the target order rotates each round. One unrecorded 2 s warm-up run per target first.`,
    'Failover: Spillway on CPU 0; four Node keep-alive backends (A, B priority 0; C, D priority 1) and a Node open-loop load generator (keep-alive agent) on CPU 1. The fault: A stops listening; requests already in its sockets are still answered (with `Connection: close`), then its idle connections close. The warm-up also sends 40 req/s for 1.5 s to a route whose one endpoint refuses connections, so the failure path has run before the fault.',
  ];
}

async function run(
  options: BenchOptions,
  tools: ToolPaths,
  group: ProcessGroup,
  dir: string,
): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const machine = collectMachineNotes(tools);
  const busyPctBeforeStart = await sampleBusyPct(machine.cpuCount, 1000);
  const probe = (): number[] => [CPUS.proxyCpu, CPUS.loadCpu].map(probeCpuSpeedMs);
  const cpuProbeMs: Record<string, number[]> = { start: probe() };
  if (busyPctBeforeStart.some((pct) => pct > 10)) {
    progress(
      `warning: the machine is busy before the benchmark starts (CPU busy ${busyPctBeforeStart.join(' / ')} %); ` +
        'results will be noisy - watch the "other load" columns',
    );
  }
  const wrkScript = writeWrkScript(dir);
  const roundOptions: RoundOptions = {
    rounds: options.rounds,
    durationS: options.durationS,
    latencyDurationS: options.durationS,
    connections: CONNECTIONS,
    cpus: CPUS,
    wrkScript,
  };

  let throughput: BenchResult['throughput'];
  let profile: ProfileSummary | undefined;
  if (options.parts.throughput || options.isProfile) {
    progress('starting nginx backend, nginx, HAProxy, Spillway and a bare Node server');
    if (options.parts.throughput) {
      const targets = await startThroughputTargets(group, tools, dir, CPUS, options.fleetSize);
      progress('warming up (2 s per target)');
      await warmUp(group, targets, roundOptions);
      const samples = await runRounds(group, targets, roundOptions, progress);
      throughput = {
        summary: summariseTargets(
          samples,
          targets.map((t) => t.name),
        ),
        checks: checkTargets(samples),
        samples,
      };
    } else {
      await startNginxBackend(group, tools, dir, CPUS.loadCpu);
    }
    if (options.isProfile) {
      progress(`profiling Spillway under wrk -c${CONNECTIONS} for ${options.durationS * 3} s`);
      profile = await runProfile(group, dir, CPUS, options.durationS * 3, wrkScript, REPO_ROOT);
    }
    await group.stopAll();
    cpuProbeMs['afterThroughput'] = probe();
  }

  let failover: BenchResult['failover'];
  if (options.parts.failover) {
    const failoverOptions: FailoverOptions = {
      runs: options.failoverRuns,
      ratePerS: 1000,
      beforeFaultMs: 2000,
      afterFaultMs: 2500,
      consecutive5xx: 3,
      drainLeadMs: 1000,
      cpus: CPUS,
    };
    const runs = await runFailover(group, dir, failoverOptions, progress);
    const { cpus: _cpus, ...shown } = failoverOptions;
    const holds: Record<string, boolean> = {};
    for (const r of runs) holds[r.label] = (holds[r.label] ?? true) && r.isExpected;
    failover = { options: shown, runs, holds };
  }

  return {
    benchmark: 'proxy',
    startedAt,
    finishedAt: new Date().toISOString(),
    options: {
      argv: process.argv.slice(2),
      rounds: options.rounds,
      durationS: options.durationS,
      connections: CONNECTIONS,
      fleetSize: options.fleetSize,
    },
    machine,
    noise: {
      busyPctBeforeStart,
      cpuProbeMs: { ...cpuProbeMs, end: probe() },
      loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
    },
    setup: setupNotes(options),
    throughput,
    failover,
    profile,
  };
}

function save(result: BenchResult): string {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${result.startedAt.slice(0, 10)}-proxy`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, formatMarkdownFile(result));
  return base;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  let tools: ToolPaths;
  try {
    options = parseBenchOptions(process.argv.slice(2));
    if (options.isHelp) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    tools = findRequiredTools();
  } catch (err) {
    if (err instanceof OptionsError || err instanceof MissingToolsError) {
      process.stderr.write(`bench:proxy: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (!existsSync(SPILLWAY_MAIN)) {
    process.stderr.write(`bench:proxy: ${SPILLWAY_MAIN} is missing; run \`npm run build\` first\n`);
    return 2;
  }

  const dir = mkdtempSync(join(tmpdir(), 'spillway-bench-'));
  const group = new ProcessGroup(dir);
  process.on('exit', () => group.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench:proxy: ${signal}, stopping everything it started\n`);
      void group.stopAll().finally(() => process.exit(130));
    });
  }

  let isOk = false;
  try {
    const result = await run(options, tools, group, dir);
    process.stdout.write(
      options.isJson ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatReport(result)}`,
    );
    if (options.isSave) progress(`saved ${save(result)}.md and .json`);
    isOk = true;
    return 0;
  } catch (err) {
    process.stderr.write(`bench:proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`logs and generated configs kept in ${dir}\n`);
    return 1;
  } finally {
    await group.stopAll();
    if (isOk) rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
