/**
 * `npm run bench:xds`: the control plane under issue 4's two scenarios - endpoint change to "every
 * proxy has ACKed" (p50/p99), initial full sync, CPU and RSS in steady state and while changes
 * flow - printed against the targets. See bench/README.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setLogLevel } from '../../src/core/logger.js';
import { cpuModel, findRepoRoot, osName, revision } from '../proxy/machine-notes.js';
import { clockTicksPerSecond, sampleBusyPct } from '../proxy/proc-stats.js';
import { ProcessGroup } from '../proxy/process-group.js';
import { SPILLWAY_MAIN } from './control-plane-process.js';
import { runScenario } from './run-scenario.js';
import { SCENARIOS } from './scenario.js';
import { HELP, OptionsError, parseXdsBenchOptions, type XdsBenchOptions } from './xds-options.js';
import { formatMarkdownFile, formatReport } from './xds-report.js';
import type { ScenarioResult, XdsBenchResult, XdsMachineNotes } from './xds-result.js';

const REPO_ROOT = findRepoRoot();

const ANCHOR =
  "istiod's published sizing (istio.io, performance and scalability): 1 vCPU and 1.5 GB of memory for 1,000 services and 2,000 sidecars (performance-anchors.md §4).";

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const round2 = (v: number): number => Math.round(v * 100) / 100;

function machineNotes(): XdsMachineNotes {
  return {
    cpuModel: cpuModel(),
    cpuCount: cpus().length,
    kernel: release(),
    os: osName(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    clockTicksPerS: clockTicksPerSecond(),
    loadAverageAtStart: loadavg().map(round2),
    node: process.version,
    spillwayRevision: revision(),
  };
}

function setupNotes(options: XdsBenchOptions, cpusUsed: readonly [number, number] | undefined): string[] {
  return [
    'Two lab API servers (`startApiServer`, what `spillway apiserver` runs) in the benchmark process, one per Kubernetes cluster: cluster-1 (cn-hangzhou, zones -h/-k) and cluster-2 (ap-northeast-1, zones 1a/1b), 2 Nodes per zone labelled topology.kubernetes.io/region and /zone; data directories on tmpfs (the lab server fsyncs every write); no lab controllers.',
    "Scenario objects written through the API server's in-process object API (same validation and watch events as HTTP): 10 namespaces; per service a selector-less Service in both clusters (one mesh service, port `http` 8000) and one hand-written EndpointSlice per cluster (`endpointslice.kubernetes.io/managed-by: spillway-bench`) of 5 ready endpoints with `nodeName` and `zone`, spread over every node; one DestinationRule per service in cluster-1 with `outlierDetection`, so that the default locality failover gives each proxy priorities relative to its zone.",
    'The measured control plane: `spillway control-plane --cluster-id cluster-1 --kubeconfig <cluster-1> --remote <cluster-2>=cluster-2 --log-level warn`, built from this checkout (dist/), default debounce (10 ms)' +
      (cpusUsed === undefined
        ? ', not pinned.'
        : `, pinned alone to CPU ${cpusUsed[0]} (taskset); the API servers, the benchmark and the load processes share CPU ${cpusUsed[1]}.`),
    'Simulated sidecars: raw ADS state-of-the-world clients on grpc-js (one HTTP/2 connection each), in separate load processes. Node id `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`, metadata CLUSTER_ID / NAMESPACE / LABELS / WORKLOAD_NAME, `node.locality` spread round-robin over both clusters and all four zones, namespaces round-robin. Subscription as Envoy: wildcard CDS; EDS for every EDS cluster received; wildcard LDS after the first EDS response; RDS for every route name; every response ACKed at once.',
    'Initial sync: all proxies connect at once; per proxy, the time its last needed ACK went out (CDS, EDS for every cluster, LDS, RDS for every route), from the first connect.',
    `Endpoint changes (${options.changes}, ${options.spacingMs} ms apart, alternating clusters, a different service each time): one EndpointSlice update adding an endpoint with a fresh address. Timed from just before the update call (benchmark process) to the moment each proxy has written its ACK of the EDS response holding that address (load processes). Every timestamp is process.hrtime.bigint(), i.e. CLOCK_MONOTONIC, one clock for all processes of the machine. "Every proxy" = the last of them; p50/p99 are nearest-rank over the changes.`,
    `Control plane CPU = utime+stime from /proc/<pid>/stat over the window, % of one core; RSS = VmRSS sampled every 200 ms. Steady state: ${options.steadyS} s without changes, 3 s after the initial sync.`,
  ];
}

function save(result: XdsBenchResult): string {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${result.startedAt.slice(0, 10)}-xds`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, formatMarkdownFile(result));
  return base;
}

function cpuLayout(options: XdsBenchOptions): readonly [number, number] | undefined {
  if (!options.isPinned || cpus().length < 2) return undefined;
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? [0, 1] : undefined;
}

async function run(options: XdsBenchOptions, group: ProcessGroup, dir: string): Promise<XdsBenchResult> {
  const startedAt = new Date().toISOString();
  const machine = machineNotes();
  const busyPctBeforeStart = await sampleBusyPct(machine.cpuCount, 1000);
  if (busyPctBeforeStart.some((pct) => pct > 10))
    progress(
      `warning: the machine is busy before the benchmark starts (CPU busy ${busyPctBeforeStart.join(' / ')} %); results will be noisy`,
    );
  const layout = cpuLayout(options);
  const scenarios: ScenarioResult[] = [];
  for (const name of options.scenarios) {
    const spec = SCENARIOS[name];
    scenarios.push(
      await runScenario(
        spec,
        {
          changes: options.changes,
          spacingMs: options.spacingMs,
          steadyS: options.steadyS,
          loadProcesses: options.loadProcesses ?? (spec.proxies > 200 ? 2 : 1),
          cpus: layout,
          isProfile: options.isProfile,
          controlPlaneNodeFlags: options.controlPlaneNodeFlags,
        },
        group,
        dir,
        progress,
      ),
    );
  }
  return {
    benchmark: 'xds',
    startedAt,
    finishedAt: new Date().toISOString(),
    options: {
      argv: process.argv.slice(2),
      changes: options.changes,
      spacingMs: options.spacingMs,
      steadyS: options.steadyS,
      isPinned: layout !== undefined,
    },
    machine,
    noise: { busyPctBeforeStart, loadAverageAtEnd: loadavg().map(round2) },
    setup: setupNotes(options, layout),
    anchor: ANCHOR,
    scenarios,
  };
}

async function main(): Promise<number> {
  let options: XdsBenchOptions;
  try {
    options = parseXdsBenchOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof OptionsError) {
      process.stderr.write(`bench:xds: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.isHelp) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!existsSync(SPILLWAY_MAIN)) {
    process.stderr.write(`bench:xds: ${SPILLWAY_MAIN} is missing; run \`npm run build\` first\n`);
    return 2;
  }
  // The in-process API servers log at warn and above only (progress lines are the benchmark's own).
  setLogLevel(process.env['SPILLWAY_LOG_LEVEL'] ?? 'warn');

  const dir = mkdtempSync(join(tmpdir(), 'spillway-bench-xds-'));
  const group = new ProcessGroup(dir);
  process.on('exit', () => group.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench:xds: ${signal}, stopping everything it started (logs kept in ${dir})\n`);
      void group.stopAll().finally(() => process.exit(130));
    });
  }

  let isOk = false;
  try {
    const result = await run(options, group, dir);
    process.stdout.write(
      options.isJson ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatReport(result)}`,
    );
    if (options.isSave) progress(`saved ${save(result)}.md and .json`);
    isOk = true;
    return 0;
  } catch (err) {
    process.stderr.write(
      `bench:xds failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.stderr.write(`logs kept in ${dir}\n`);
    return 1;
  } finally {
    await group.stopAll();
    if (isOk && !options.isKeepLogs) rmSync(dir, { recursive: true, force: true });
    else if (isOk) progress(`logs kept in ${dir}`);
  }
}

process.exitCode = await main();
