/**
 * One step of the drill: traffic runs through every ingress while an action (an edit, or nothing)
 * takes effect; the step polls until what it waits for is true (or its time is up), then checks
 * its expectations against every response seen and reads the callers' sidecar counters before and
 * after. The result is a PhaseReport: requests, client-visible errors, chains with counts, timings
 * and the expectations that failed.
 */
import type { Clock } from '../../core/clock.js';
import { chainLabel, entryZone, isComplete, isSameZone } from './chain.js';
import type { DemoCluster } from './demo-cluster.js';
import { demoServices } from './demo-manifests.js';
import type { DrillScenario } from './drill-scenario.js';
import { readUpstreamCounters, type SidecarRef, type UpstreamCounters } from './sidecar-stats.js';
import { delay, Traffic, type IngressTarget, type TrafficSample } from './traffic.js';

export interface DrillContext {
  readonly scenario: DrillScenario;
  readonly clusters: ReadonlyMap<string, DemoCluster>;
  readonly targets: readonly IngressTarget[];
  /** mocka's sidecars: the callers of mockb, whose counters show the ejections. */
  readonly sidecars: readonly SidecarRef[];
  readonly clock: Clock;
  readonly progress: (line: string) => void;
  readonly signal: AbortSignal;
  /** Pause between two requests of one ingress loop. */
  readonly pauseMs: number;
  /** How long a step may take to reach what it waits for. */
  readonly stepTimeoutMs: number;
}

export interface ChainCount {
  readonly chain: string;
  readonly count: number;
}

export interface SidecarChange {
  readonly cluster: string;
  readonly pod: string;
  /** Hosts of mockb this sidecar ejected during the step (`ejections_enforced_total` delta). */
  readonly ejected: number;
  /** `ejections_active` at the end of the step. */
  readonly ejectedNow: number;
  readonly retries: number;
  readonly retrySuccesses: number;
}

export interface PhaseReport {
  readonly name: string;
  readonly title: string;
  readonly ok: boolean;
  /** Why the phase did not run (the topology has no place for it, or an earlier phase failed). */
  readonly skipped?: string;
  /** Expectations that did not hold, in words. */
  readonly failures: readonly string[];
  readonly durationMs: number;
  readonly requests: number;
  readonly requestsByCluster: Readonly<Record<string, number>>;
  /** Responses that were not HTTP 200 with all three hops. */
  readonly clientErrors: number;
  readonly chains: readonly ChainCount[];
  /** The body of the first failed response, exactly as the client got it. */
  readonly firstFailedChain?: string;
  /** From the edit to the first failed chain / first failover chain / first chain back in its zone. */
  readonly timeToFirstFailureMs?: number;
  readonly timeToFailoverMs?: number;
  readonly timeToHealMs?: number;
  /** From the edit to the Deployment(s) running only the new pod, Ready. */
  readonly timeToRolloutMs?: number;
  readonly sidecars: readonly SidecarChange[];
  readonly notes: readonly string[];
}

/** What a step's callbacks see. */
export interface StepView {
  readonly samples: readonly TrafficSample[];
  /** Clock.monotonicMs() just before the action. */
  readonly startMs: number;
  /** Set by the step's `isDone` when the edited Deployments have rolled out. */
  rolledOutAtMs?: number;
  readonly notes: string[];
  readonly failures: string[];
}

export interface StepSpec {
  readonly name: string;
  readonly title: string;
  readonly act?: () => Promise<void>;
  /** Polled every 200 ms; may describe what it still waits for by returning a string. */
  readonly isDone: (view: StepView) => Promise<true | string>;
  /** Checks the expectations, pushing failures (and notes) to the view. */
  readonly expect: (view: StepView, sidecars: readonly SidecarChange[]) => Partial<PhaseReport>;
  /** Live progress: called for every new sample, returns a line to print for notable ones. */
  readonly watch?: (sample: TrafficSample, view: StepView) => string | undefined;
}

export const isClientError = (s: TrafficSample): boolean =>
  s.status !== 200 || !isComplete(s.chain, demoServices);

export const isInZone = (s: TrafficSample): boolean => !isClientError(s) && isSameZone(s.chain);

export const elapsed = (view: StepView, s: TrafficSample): number => s.atMs - view.startMs;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function countChains(samples: readonly TrafficSample[]): ChainCount[] {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const label =
      s.status === 200
        ? chainLabel(s.chain)
        : `HTTP ${s.status === 0 ? 'error' : s.status}: ${s.body.slice(0, 120)}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([chain, count]) => ({ chain, count }))
    .sort((a, b) => b.count - a.count || a.chain.localeCompare(b.chain));
}

/** Samples entering the drill cluster in one of `zones`. */
export function entering(ctx: DrillContext, zones: readonly string[]) {
  return (s: TrafficSample): boolean => {
    const zone = entryZone(s.chain);
    return s.cluster === ctx.scenario.drillCluster.name && zone !== undefined && zones.includes(zone);
  };
}

async function readCounters(ctx: DrillContext): Promise<Map<string, UpstreamCounters>> {
  const out = new Map<string, UpstreamCounters>();
  for (const sidecar of ctx.sidecars) out.set(sidecar.pod, await readUpstreamCounters(sidecar));
  return out;
}

export class DrillAborted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'DrillAborted';
  }
}

export async function runStep(ctx: DrillContext, spec: StepSpec): Promise<PhaseReport> {
  const before = await readCounters(ctx);
  const traffic = new Traffic(ctx.targets, ctx.clock, ctx.pauseMs, ctx.signal).start();
  const startMs = ctx.clock.monotonicMs();
  const view: StepView = {
    get samples() {
      return traffic.samples();
    },
    startMs,
    notes: [],
    failures: [],
  };
  let seen = 0;
  let lastTickMs = startMs;
  const printNew = (): void => {
    const samples = traffic.samples();
    for (; seen < samples.length; seen++) {
      const line = spec.watch?.(samples[seen] as TrafficSample, view);
      if (line !== undefined) ctx.progress(`  ${line}`);
    }
  };
  try {
    await spec.act?.();
    for (;;) {
      if (ctx.signal.aborted) throw new DrillAborted();
      printNew();
      const done = await spec.isDone(view);
      if (done === true) break;
      const now = ctx.clock.monotonicMs();
      if (now - startMs > ctx.stepTimeoutMs) {
        view.failures.push(`not reached within ${seconds(ctx.stepTimeoutMs)}: ${done}`);
        break;
      }
      if (now - lastTickMs >= 3_000) {
        lastTickMs = now;
        const errors = traffic.samples().filter(isClientError).length;
        ctx.progress(
          `  ... ${seconds(now - startMs)}: ${traffic.samples().length} requests, ${errors} client errors; waiting for ${done}`,
        );
      }
      await delay(200, ctx.signal);
    }
  } finally {
    await traffic.stop();
  }
  if (ctx.signal.aborted) throw new DrillAborted();
  printNew();
  const samples = traffic.samples();
  const after = await readCounters(ctx);
  const sidecars = ctx.sidecars.map((s): SidecarChange => {
    const b = before.get(s.pod);
    const a = after.get(s.pod);
    return {
      cluster: s.cluster,
      pod: s.pod,
      ejected: (a?.ejectionsEnforced ?? 0) - (b?.ejectionsEnforced ?? 0),
      ejectedNow: a?.ejectionsActive ?? 0,
      retries: (a?.retries ?? 0) - (b?.retries ?? 0),
      retrySuccesses: (a?.retrySuccesses ?? 0) - (b?.retrySuccesses ?? 0),
    };
  });
  const extra = spec.expect(view, sidecars);
  const requestsByCluster: Record<string, number> = {};
  for (const s of samples) requestsByCluster[s.cluster] = (requestsByCluster[s.cluster] ?? 0) + 1;
  return {
    name: spec.name,
    title: spec.title,
    ok: view.failures.length === 0,
    failures: view.failures,
    durationMs: ctx.clock.monotonicMs() - startMs,
    requests: samples.length,
    requestsByCluster,
    clientErrors: samples.filter(isClientError).length,
    chains: countChains(samples),
    sidecars,
    notes: view.notes,
    ...extra,
  };
}
