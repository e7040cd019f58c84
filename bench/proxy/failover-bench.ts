/**
 * The failover benchmark: Spillway in front of priority 0 = {A, B} and priority 1 = {C, D}, an
 * open-loop client at ~1,000 requests/s, and at time T backend A stops accepting connections.
 * Expected (Envoy semantics, consecutive-error ejection is inline in `outlier_detection_impl.cc`
 * `DetectorHostMonitorImpl::putResult`): with `retry_on: connect-failure` + previous_hosts every
 * failed attempt is retried on another host, so the client sees 0 errors; without retries each of the
 * first `consecutive_5xx` requests routed to A fails (a local 503), then A is ejected and no further
 * request goes there, so the client sees exactly `consecutive_5xx` errors.
 *
 * Each variant runs with two kinds of fault. `pooled`: Spillway holds idle keep-alive connections to
 * A when A stops listening (A closes them at that moment, as a stopped server does). `drained`: A
 * stopped keep-alive `drainLeadMs` earlier, so every request to A already opens a new connection and
 * the fault is nothing but refused connects. Comparing the two separates the outlier/retry semantics
 * from the cost of A's pooled connections closing all at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from './anchor-configs.js';
import { nextMessage, readProxyStats, siblingScript } from './child-ipc.js';
import { analyseFailover, type FailoverAnalysis } from './failover-analysis.js';
import type {
  BackendSpec,
  BackendsMessage,
  LoadMessage,
  LoadSpec,
  BackendCommand,
  RequestRecord,
} from './failover-messages.js';
import { measureOnCpu } from './proc-stats.js';
import { sleep, type ManagedProcess, type ProcessGroup } from './process-group.js';
import { failoverBootstrap, WARM_UP_REFUSED_PATH } from './spillway-bootstraps.js';
import type { Progress } from './throughput-rounds.js';
import { startSpillway, type CpuLayout } from './throughput-targets.js';

export interface FailoverVariant {
  readonly hasRetries: boolean;
  readonly isDrained: boolean;
}

export interface FailoverOptions {
  readonly runs: number;
  readonly ratePerS: number;
  readonly beforeFaultMs: number;
  readonly afterFaultMs: number;
  readonly consecutive5xx: number;
  /** For `drained` runs: how long before the fault A stops keep-alive. */
  readonly drainLeadMs: number;
  readonly cpus: CpuLayout;
}

export interface FailoverRun {
  /** `retry` or `no-retry`, then `pooled` or `drained`, e.g. `retry, pooled`. */
  readonly label: string;
  readonly variant: FailoverVariant;
  readonly run: number;
  readonly expectedErrors: number;
  readonly errors: number;
  readonly isExpected: boolean;
  /** ms from the fault to the EJECT event of A in Spillway's outlier event log (ms resolution). */
  readonly ejectedAfterMs: number | undefined;
  /** Spillway's CPU use over the load period, % of one core. */
  readonly proxyCpuPct: number;
  /** Other processes' share of the proxy CPU over the load period (noise indicator). */
  readonly otherLoadPct: number;
  /** Hypervisor steal on the proxy CPU over the load period (noise indicator). */
  readonly stealPct: number;
  /** Connections Spillway held to A when A stopped listening (A closes the idle ones at once). */
  readonly connectionsToFailed: number;
  /** Busy share of the CPU running the load generator and the backends (near 100 % = saturated). */
  readonly loadCpuBusyPct: number;
  /** Spillway's `cluster.failover.*` counters at the end of the run (retries, overflows, ejections). */
  readonly proxyStats: Record<string, number>;
  readonly analysis: FailoverAnalysis;
}

const PORT = 18080;
const BACKENDS: readonly BackendSpec[] = [
  { name: 'A', host: '127.0.78.1', port: PORT },
  { name: 'B', host: '127.0.78.2', port: PORT },
  { name: 'C', host: '127.0.78.3', port: PORT },
  { name: 'D', host: '127.0.78.4', port: PORT },
];
const LISTEN: Endpoint = { host: '127.0.78.10', port: PORT };
/** Nothing listens here: the endpoint of the warm-up route whose connects are refused. */
const REFUSING: Endpoint = { host: '127.0.78.20', port: PORT };
const FAILED = BACKENDS[0]!;

const STAT_NAMES = [
  'upstream_rq_total',
  'upstream_cx_connect_fail',
  'upstream_rq_retry',
  'upstream_rq_retry_success',
  'upstream_rq_retry_overflow',
  'upstream_rq_pending_overflow',
  'outlier_detection.ejections_enforced_total',
];

export function variantLabel(variant: FailoverVariant): string {
  return `${variant.hasRetries ? 'retry' : 'no-retry'}, ${variant.isDrained ? 'drained' : 'pooled'}`;
}

async function runOnce(
  group: ProcessGroup,
  dir: string,
  variant: FailoverVariant,
  run: number,
  options: FailoverOptions,
): Promise<FailoverRun> {
  const label = variantLabel(variant);
  const name = `failover-${label.replace(', ', '-')}-${run}`;
  const eventLogPath = join(dir, `${name}-outlier.jsonl`);
  const backends = group.start(
    'failover-backends',
    process.execPath,
    [siblingScript('failover-backends.js'), JSON.stringify(BACKENDS)],
    { cpu: options.cpus.loadCpu, ipc: true },
  );
  let spillway: ManagedProcess | undefined;
  let load: ManagedProcess | undefined;
  try {
    await nextMessage<BackendsMessage>(backends, (m) => m.type === 'listening', 'backends to listen');
    const bootstrap = failoverBootstrap({
      listen: LISTEN,
      priority0: BACKENDS.slice(0, 2),
      priority1: BACKENDS.slice(2),
      consecutive5xx: options.consecutive5xx,
      hasRetries: variant.hasRetries,
      eventLogPath,
      refusingEndpoint: REFUSING,
    });
    const started = await startSpillway(
      group,
      dir,
      `spillway-${name}`,
      bootstrap,
      LISTEN,
      options.cpus.proxyCpu,
    );
    spillway = started.process;

    // Warm-up: a cold proxy (code not yet optimised) facing 1,000 req/s at once queues requests, opens
    // hundreds of upstream connections and overflows the backends' accept queues (the kernel then resets
    // connections) - a start-up artefact, not failover behaviour. A short ramp first, as a proxy that
    // has been serving would be, with a few refused requests on a route of their own so that the
    // failure path is not run for the first time at the fault (see failoverBootstrap).
    const warmUpFailures = group.start(
      'open-loop-warm-up-refused',
      process.execPath,
      [
        siblingScript('open-loop-load.js'),
        JSON.stringify({
          url: `http://${LISTEN.host}:${LISTEN.port}${WARM_UP_REFUSED_PATH}`,
          ratePerS: 40,
          durationMs: 1500,
          timeoutMs: 5000,
        } satisfies LoadSpec),
      ],
      { cpu: options.cpus.loadCpu, ipc: true },
    );
    const warmUp = group.start(
      'open-loop-warm-up',
      process.execPath,
      [
        siblingScript('open-loop-load.js'),
        JSON.stringify({
          url: `http://${LISTEN.host}:${LISTEN.port}/`,
          ratePerS: Math.max(1, Math.round(options.ratePerS / 4)),
          durationMs: 1500,
          timeoutMs: 5000,
        } satisfies LoadSpec),
      ],
      { cpu: options.cpus.loadCpu, ipc: true },
    );
    // Both listeners first: a message that arrives before its listener is attached is lost.
    await Promise.all([
      nextMessage<LoadMessage>(warmUp, (m) => m.type === 'done', 'warm-up load'),
      nextMessage<LoadMessage>(warmUpFailures, (m) => m.type === 'done', 'refused warm-up load'),
    ]);
    await group.stop(warmUp);
    await group.stop(warmUpFailures);

    const spec: LoadSpec = {
      url: `http://${LISTEN.host}:${LISTEN.port}/`,
      ratePerS: options.ratePerS,
      durationMs: options.beforeFaultMs + options.afterFaultMs,
      timeoutMs: 5000,
    };
    load = group.start(
      'open-loop-load',
      process.execPath,
      [siblingScript('open-loop-load.js'), JSON.stringify(spec)],
      {
        cpu: options.cpus.loadCpu,
        ipc: true,
      },
    );
    const loadProc = load;
    const done = nextMessage<LoadMessage>(loadProc, (m) => m.type === 'done', 'load results');
    await nextMessage<LoadMessage>(loadProc, (m) => m.type === 'started', 'load start');
    const startedMs = performance.now();
    const spillwayPid = spillway.pid;
    const onLoadCpu = await measureOnCpu(undefined, options.cpus.loadCpu, () =>
      measureOnCpu(spillwayPid, options.cpus.proxyCpu, async () => {
        if (variant.isDrained) {
          await sleep(options.beforeFaultMs - options.drainLeadMs);
          const drained = nextMessage<BackendsMessage>(backends, (m) => m.type === 'drained', 'A to drain');
          backends.child.send({ type: 'drain', name: FAILED.name } satisfies BackendCommand);
          await drained;
          await sleep(Math.max(0, options.beforeFaultMs - (performance.now() - startedMs)));
        } else {
          await sleep(options.beforeFaultMs);
        }
        const refusing = nextMessage<BackendsMessage>(backends, (m) => m.type === 'refusing', 'A to refuse');
        backends.child.send({ type: 'refuse', name: FAILED.name } satisfies BackendCommand);
        return { fault: await refusing, result: await done };
      }),
    );
    const measured = onLoadCpu.result;
    const elapsedUs = (performance.now() - startedMs) * 1000;
    const { fault, result } = measured.result;
    if (fault.type !== 'refusing' || result.type !== 'done') throw new Error('unexpected IPC message');
    const allStats = await readProxyStats(started.adminAddress, 'cluster.failover.');
    await group.stop(spillway);
    const analysis = analyseFailover(result.records as RequestRecord[], {
      faultAtMs: fault.wallMs,
      failedBackend: FAILED.name,
      windowSize: 100,
      share: 0.99,
      consecutiveErrors: options.consecutive5xx,
    });
    const expectedErrors = variant.hasRetries ? 0 : options.consecutive5xx;
    const errors = analysis.errorsBeforeFault + analysis.errorsAfterFault;
    return {
      label,
      variant,
      run,
      expectedErrors,
      errors,
      isExpected: errors === expectedErrors,
      ejectedAfterMs: ejectionDelayMs(eventLogPath, `${FAILED.host}:${FAILED.port}`, fault.wallMs),
      proxyCpuPct: ((measured.ownCpuUs ?? 0) / elapsedUs) * 100,
      otherLoadPct: measured.otherLoadPct,
      stealPct: measured.stealPct,
      loadCpuBusyPct: onLoadCpu.otherLoadPct,
      connectionsToFailed: fault.connections,
      proxyStats: Object.fromEntries(STAT_NAMES.map((stat) => [stat, allStats[stat] ?? 0])),
      analysis,
    };
  } finally {
    if (load !== undefined) await group.stop(load);
    if (spillway !== undefined) await group.stop(spillway);
    await group.stop(backends);
  }
}

/** ms between the fault and the first EJECT event for `upstream` in the outlier event log. */
function ejectionDelayMs(path: string, upstream: string, faultAtMs: number): number | undefined {
  if (!existsSync(path)) return undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line) as { action?: unknown; upstream_url?: unknown; timestamp?: unknown };
    if (event.action === 'EJECT' && event.upstream_url === upstream && typeof event.timestamp === 'string') {
      return Date.parse(event.timestamp) - faultAtMs;
    }
  }
  return undefined;
}

/** Every variant `runs` times, interleaved: (retry pooled, no-retry pooled, retry drained, no-retry drained) x runs. */
export async function runFailover(
  group: ProcessGroup,
  dir: string,
  options: FailoverOptions,
  progress: Progress,
): Promise<FailoverRun[]> {
  const variants: FailoverVariant[] = [
    { hasRetries: true, isDrained: false },
    { hasRetries: false, isDrained: false },
    { hasRetries: true, isDrained: true },
    { hasRetries: false, isDrained: true },
  ];
  const runs: FailoverRun[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const variant of variants) {
      progress(`failover ${variantLabel(variant)} run ${run}/${options.runs}`);
      const result = await runOnce(group, dir, variant, run, options);
      const a = result.analysis;
      const ms = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
      progress(
        `  errors ${result.errors} (expected ${result.expectedErrors}: ${result.isExpected ? 'yes' : 'NO'}), ` +
          `99 % elsewhere after ${ms(a.timeTo99Ms)} ms, A ejected after ${ms(result.ejectedAfterMs)} ms, ` +
          `${a.errorsSentAfterNthFailure} errors sent after the ${options.consecutive5xx}th was answered, ` +
          `${a.requests} requests at ${a.achievedRatePerS.toFixed(0)}/s, Spillway CPU ${result.proxyCpuPct.toFixed(0)} %, ` +
          `other load/steal on its CPU ${result.otherLoadPct.toFixed(0)}/${result.stealPct.toFixed(0)} %, load CPU busy ${result.loadCpuBusyPct.toFixed(0)} %, ` +
          `${result.connectionsToFailed} connections to A at the fault` +
          (result.errors > 0 ? `; errors: ${JSON.stringify(a.errorKinds)}` : ''),
      );
      runs.push(result);
    }
  }
  return runs;
}
