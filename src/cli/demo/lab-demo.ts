/**
 * `spillway demo`: the seed's disaster-recovery drill on a lab of its own (issue 5 "npm run demo").
 * Starts the lab (`spillway lab up --detach`, default topology: the seed's two regions), applies
 * the demo app of examples/demo to every cluster, waits until it serves, runs the drill's phases
 * (src/lab/drill/drill-phases.ts) with live progress on stderr, stops the lab (also on failure and
 * on Ctrl-C; not with --keep) and prints the report with the budget figures on stdout.
 * Exit status: 0 when every phase behaved as the seed describes and the lab stopped cleanly;
 * 1 otherwise; 130 when interrupted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SystemClock, type Timer } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { DemoCluster } from '../../lab/drill/demo-cluster.js';
import { clusterAppObjects, demoHost, destinationRuleObjects } from '../../lab/drill/demo-manifests.js';
import { runDrill, waitUntilServing } from '../../lab/drill/drill-phases.js';
import { drillScenario, type DrillScenario } from '../../lab/drill/drill-scenario.js';
import { DrillAborted, type DrillContext, type PhaseReport } from '../../lab/drill/drill-step.js';
import { sampleLabMemory, type LabMemorySample } from '../../lab/drill/lab-memory.js';
import { startLab, stopLab, type StoppedLab } from '../../lab/drill/lab-process.js';
import { findSidecars } from '../../lab/drill/sidecar-stats.js';
import type { LabState } from '../../lab/supervisor/lab-state.js';
import { planLab, formatHostPort, type LabPlan } from '../../lab/topology/address-plan.js';
import { defaultTopology } from '../../lab/topology/default-topology.js';
import { loadTopologyFile } from '../../lab/topology/parse-topology.js';
import { fatalMessage, reportFatal } from '../report-fatal.js';
import { budgetLimits, formatDemoReport, type DemoReport } from './demo-report.js';

export interface LabDemoOptions {
  json?: boolean;
  keep?: boolean;
  stateDir?: string;
  file?: string;
}

/** Pause between two requests of one ingress loop: about 30 requests per second per ingress. */
const pauseMs = 15;

/** Samples the lab's memory every 2 s while the demo runs; keeps the peak and every pid seen. */
class MemoryWatch {
  private timer: Timer | undefined;
  peak: LabMemorySample | undefined;
  samples = 0;
  readonly pids = new Set<number>();

  constructor(
    private readonly clock: SystemClock,
    private readonly lab: LabState,
  ) {}

  sample(): void {
    const now = sampleLabMemory(this.lab);
    if (now === undefined) return;
    this.samples++;
    for (const pid of now.pids) this.pids.add(pid);
    if (this.peak === undefined || now.totalBytes > this.peak.totalBytes) this.peak = now;
  }

  start(): void {
    const tick = (): void => {
      this.sample();
      this.timer = this.clock.setTimer(2_000, tick);
    };
    tick();
  }

  stop(): void {
    this.timer?.cancel();
  }
}

function keptLabHelp(lab: LabState, scenario: DrillScenario, stateDir: string): string {
  const drill = lab.clusters.find((c) => c.name === scenario.drillCluster.name);
  return [
    '',
    `the lab keeps running (--keep); state in ${stateDir}`,
    `  export KUBECONFIG=${lab.kubeconfig}`,
    `  kubectl --context ${scenario.drillCluster.name} get pods -o wide`,
    `  curl -si -H 'Host: ${demoHost}' http://${drill?.ingress ?? '<ingress>'}/mock`,
    `  spillway lab status --state-dir ${stateDir}`,
    `  spillway lab down --state-dir ${stateDir}     # stops it`,
    '',
  ].join('\n');
}

function signalQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function runLabDemo(options: LabDemoOptions): Promise<number> {
  const clock = new SystemClock();
  const startMs = clock.monotonicMs();
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  const file = options.file === undefined ? undefined : resolve(options.file);
  let plan: LabPlan;
  let scenario: DrillScenario;
  try {
    plan = planLab(file === undefined ? defaultTopology() : loadTopologyFile(file));
    scenario = drillScenario(plan, file);
  } catch (err) {
    return reportFatal('demo', err);
  }
  const ownDir = options.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'spillway-demo-')) : undefined;
  const stateDir = ownDir !== undefined ? join(ownDir, 'lab') : resolve(options.stateDir ?? '');
  const labOptions = { stateDir, ...(file !== undefined ? { topologyFile: file } : {}), clock, progress };

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      progress(`${signal} again: exiting now; stop the lab with: spillway lab down --state-dir ${stateDir}`);
      process.exit(130);
    }
    progress(`${signal}: stopping the demo and its lab ...`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Should this process end before its lab is stopped (a crash), the supervisor still stops it all.
  let supervisorPid: number | undefined;
  const onExit = (): void => {
    if (supervisorPid !== undefined) signalQuietly(supervisorPid);
  };
  process.on('exit', onExit);

  const failures: string[] = [];
  const clusters = new Map<string, DemoCluster>();
  let lab: LabState | undefined;
  let upMs: number | undefined;
  let memory: MemoryWatch | undefined;
  let phases: PhaseReport[] = [];
  let labDown: StoppedLab | undefined;
  let isStarting = true;
  try {
    progress(`spillway demo: starting the lab '${plan.topology.name}' (state directory ${stateDir}) ...`);
    const started = await startLab(labOptions, abort.signal);
    isStarting = false;
    lab = started.state;
    supervisorPid = lab.supervisor.pid;
    upMs = started.upMs;
    progress(`lab ready in ${(upMs / 1000).toFixed(1)} s`);
    if (abort.signal.aborted) throw new DrillAborted();
    memory = new MemoryWatch(clock, lab);
    memory.start();
    for (const c of plan.clusters) clusters.set(c.name, new DemoCluster(c.name, lab.kubeconfig));
    progress('applying the demo app (examples/demo: mocka -> mockb -> mockc, Gateway, DestinationRules) ...');
    for (const c of plan.clusters) {
      await clusters.get(c.name)?.apply([...clusterAppObjects(c), ...destinationRuleObjects()]);
    }
    const targets = lab.clusters.map((c) => {
      const [host = '', port = '80'] = c.ingress.split(':');
      return { cluster: c.name, host, port: Number(port) };
    });
    const base = {
      scenario,
      clusters,
      targets,
      sidecars: [],
      clock,
      progress,
      signal: abort.signal,
      pauseMs,
      stepTimeoutMs: 45_000,
    };
    await waitUntilServing(base, 90_000);
    const sidecars = await findSidecars(lab, 'mocka-');
    const expected = plan.clusters.reduce((n, c) => n + c.zones.length, 0);
    if (sidecars.length !== expected)
      throw new SpillwayError(
        ErrorCode.demoFailed,
        `found ${sidecars.length} mocka sidecars through the node agents, expected ${expected}`,
      );
    progress(
      `demo app serving through ${targets.map((t) => `${t.cluster} ${formatHostPort(t)}`).join(', ')}`,
    );
    const ctx: DrillContext = { ...base, sidecars };
    phases = await runDrill(ctx);
  } catch (err) {
    // DrillAborted / LabStartAborted after Ctrl-C: not a failure, the exit status says interrupted.
    if (!abort.signal.aborted) failures.push(fatalMessage(err));
  } finally {
    memory?.sample();
    memory?.stop();
    for (const c of clusters.values()) c.close();
    const keep = options.keep === true && !abort.signal.aborted && lab !== undefined;
    if (!keep) {
      progress('stopping the lab ...');
      try {
        supervisorPid = undefined;
        labDown = await stopLab({
          ...labOptions,
          knownPids: [...(memory?.pids ?? [])],
          mayBeStarting: isStarting,
        });
        if (labDown.leftovers.length > 0)
          failures.push(
            `lab down left ${labDown.leftovers.length} processes running: ${labDown.leftovers.join(', ')}`,
          );
        if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
      } catch (err) {
        failures.push(`lab down failed: ${fatalMessage(err)}`);
      }
    }
    if (keep) supervisorPid = undefined;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const peak = memory?.peak;
  const interrupted = abort.signal.aborted;
  const report: DemoReport = {
    ok: !interrupted && failures.length === 0 && phases.length > 0 && phases.every((p) => p.ok),
    topology: plan.topology.name,
    stateDir,
    failures,
    interrupted,
    phases,
    budget: {
      ...(upMs !== undefined ? { labUpMs: upMs } : {}),
      ...(peak !== undefined
        ? {
            memory: {
              totalBytes: peak.totalBytes,
              processes: peak.processes,
              byKind: peak.byKind,
              samples: memory?.samples ?? 0,
            },
          }
        : {}),
      demoMs: clock.monotonicMs() - startMs,
      limits: budgetLimits,
    },
    ...(labDown !== undefined
      ? { labDown: { ms: labDown.downMs, leftoverProcesses: labDown.leftovers } }
      : {}),
    kept: options.keep === true && labDown === undefined && lab !== undefined && !interrupted,
  };
  process.stdout.write(
    options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatDemoReport(report),
  );
  if (report.kept && lab !== undefined) process.stderr.write(keptLabHelp(lab, scenario, stateDir));
  return interrupted ? 130 : report.ok ? 0 : 1;
}
