/**
 * The seed's drill as phases (seed README, walkthrough steps 3 and 4, and what it leaves open):
 *   1. steady  - every chain stays in the zone it entered, through every ingress;
 *   2. break   - mockb of one zone gets the seed's bad release: exactly one request fails, with the
 *                seed's text after mocka's hop, then mocka calls mockb in another zone of its region;
 *   3. heal    - the edit is reverted: a new pod, chains back in their zone, no error;
 *   4. retry   - the same break with a retry policy on mockb: no client-visible error at all;
 *   5. region  - every mockb of the region broken: mocka reaches mockb in another region.
 * Each phase checks its expectations on every response and stops the drill when one does not hold.
 */
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { entryZone, parseChain } from './chain.js';
import { deploymentName, retryVirtualServiceObject } from './demo-manifests.js';
import { failoverZones } from './drill-scenario.js';
import {
  DrillAborted,
  entering,
  elapsed,
  isClientError,
  isInZone,
  runStep,
  seconds,
  type DrillContext,
  type PhaseReport,
  type StepSpec,
  type StepView,
} from './drill-step.js';
import { sidecarHasRetry } from './sidecar-stats.js';
import { delay, getMock, type TrafficSample } from './traffic.js';

/**
 * What mocka's sidecar appends when mockb's sidecar answers with its local reply for a refused
 * connection to the app (Envoy `source/common/router/router.cc` and `source/common/http/utility.cc`;
 * spec/envoy-istio-semantics.md 1.10): the seed's exact text.
 */
export const seedFailure =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';

/** After a rollout, responses within this time may still come from the pod being replaced. */
const settleMs = 1_000;
/** Responses per zone after the rollout (and settle time) that show the new state. */
const settledSamples = 10;

const label = (s: TrafficSample): string =>
  s.status === 200 ? s.body : `HTTP ${s.status === 0 ? 'error' : s.status}: ${s.body.slice(0, 200)}`;

function afterRollout(view: StepView, s: TrafficSample): boolean {
  return view.rolledOutAtMs !== undefined && s.atMs >= view.rolledOutAtMs + settleMs;
}

/** Polls the rollouts of `mockb-<zone>` for each zone, then waits for settled samples per zone. */
function rolloutAndSettle(ctx: DrillContext, zones: readonly string[], version: 'broken' | 'healthy') {
  const cluster = ctx.clusters.get(ctx.scenario.drillCluster.name);
  return async (view: StepView): Promise<true | string> => {
    if (view.rolledOutAtMs === undefined) {
      for (const zone of zones) {
        if (!(await cluster?.hasRolledOut('mockb', zone, version)))
          return `${deploymentName('mockb', zone)} to run only its new pod, Ready`;
      }
      view.rolledOutAtMs = ctx.clock.monotonicMs();
    }
    for (const zone of zones) {
      const n = view.samples.filter((s) => entering(ctx, [zone])(s) && afterRollout(view, s)).length;
      if (n < settledSamples) return `${settledSamples} requests entering ${zone} after the rollout`;
    }
    return true;
  };
}

/** Responses that do not enter `zones` of the drill cluster must stay in their zone. */
function expectUntouched(ctx: DrillContext, view: StepView, zones: readonly string[]): void {
  const affected = entering(ctx, zones);
  const bad = view.samples.filter((s) => !affected(s) && !isInZone(s));
  if (bad.length > 0) {
    view.failures.push(
      `${bad.length} requests that do not enter ${zones.join(', ')} of ${ctx.scenario.drillCluster.name} left their zone or failed, e.g. ${label(bad[0] as TrafficSample)}`,
    );
  }
}

export function steadyStep(ctx: DrillContext): StepSpec {
  const clusters = ctx.scenario.clusters;
  return {
    name: 'steady',
    title: 'steady traffic through every ingress gateway: each chain stays in its zone',
    isDone: async (view) => {
      for (const c of clusters) {
        const mine = view.samples.filter((s) => s.cluster === c.name);
        if (mine.length < 30) return `30 requests through ${c.name}'s ingress`;
        for (const zone of c.zones) {
          if (mine.filter((s) => entryZone(s.chain) === zone).length < 5)
            return `5 requests entering ${c.name} in ${zone}`;
        }
      }
      return true;
    },
    expect: (view) => {
      const bad = view.samples.filter((s) => !isInZone(s));
      if (bad.length > 0)
        view.failures.push(
          `${bad.length} responses were not three hops in one zone, e.g. ${label(bad[0] as TrafficSample)}`,
        );
      const bare = view.samples.filter((s) => s.status === 200 && !s.hasEnvoyHeaders);
      if (bare.length > 0)
        view.failures.push(
          `${bare.length} responses lacked server: istio-envoy or x-envoy-upstream-service-time`,
        );
      else view.notes.push('every response had server: istio-envoy and x-envoy-upstream-service-time');
      return {};
    },
  };
}

export type BreakMode = 'seed' | 'retry' | 'region';

export function breakStep(
  ctx: DrillContext,
  zones: readonly string[],
  mode: BreakMode,
  name: string,
  title: string,
): StepSpec {
  const drill = ctx.scenario.drillCluster.name;
  const cluster = ctx.clusters.get(drill);
  const allowed = failoverZones(ctx.scenario, zones);
  const affected = entering(ctx, zones);
  const isFailover = (s: TrafficSample): boolean => {
    const [, b, c] = s.chain.hops;
    return (
      !isClientError(s) && affected(s) && allowed.includes(b?.version ?? '') && c?.version === b?.version
    );
  };
  const mockaIp = new Map<string, string>();
  let hasFailed = false;
  const failedOver = new Set<string>();
  return {
    name,
    title,
    act: async () => {
      for (const p of (await cluster?.pods('mocka')) ?? []) if (p.ip !== undefined) mockaIp.set(p.zone, p.ip);
      for (const zone of zones) await cluster?.setAppVersion(deploymentName('mockb', zone), 'broken');
      ctx.progress(
        `  edited ${zones.map((z) => deploymentName('mockb', z)).join(', ')} in ${drill}: image curl:8.1.2, command sleep 36000`,
      );
    },
    watch: (s, view) => {
      if (isClientError(s) && !hasFailed) {
        hasFailed = true;
        return `${seconds(elapsed(view, s))}: first failed chain: ${label(s)}`;
      }
      const zone = entryZone(s.chain) ?? '';
      if (isFailover(s) && !failedOver.has(zone)) {
        failedOver.add(zone);
        const [a, b, c] = s.chain.hops;
        return `${seconds(elapsed(view, s))}: failover: mocka(${a?.version}) -> mockb(${b?.version}) -> mockc(${c?.version})`;
      }
      return undefined;
    },
    isDone: rolloutAndSettle(ctx, zones, 'broken'),
    expect: (view, sidecars) => {
      const samples = view.samples;
      expectUntouched(ctx, view, zones);
      const failed = samples.filter(isClientError);
      let timeToFailoverMs = 0;
      for (const zone of zones) {
        const first = samples.find((s) => entryZone(s.chain) === zone && isFailover(s));
        if (first === undefined) {
          view.failures.push(
            `no request entering ${zone} was answered by mockb in ${allowed.join(' or ')} (no failover)`,
          );
        } else timeToFailoverMs = Math.max(timeToFailoverMs, elapsed(view, first));
      }
      const unsettled = samples.filter((s) => affected(s) && afterRollout(view, s) && !isFailover(s));
      if (unsettled.length > 0) {
        view.failures.push(
          `after the rollout, ${unsettled.length} requests entering ${zones.join(', ')} were not answered by mockb in ${allowed.join(' or ')}, e.g. ${label(unsettled[0] as TrafficSample)}`,
        );
      }
      const firstFailed = failed[0];
      const zone = zones[0] ?? '';
      if (mode === 'seed') {
        const expected = `-> mocka(version: ${zone}, ip: ${mockaIp.get(zone) ?? '?'})${seedFailure}`;
        if (firstFailed === undefined)
          view.failures.push('no request failed (the seed shows one failed chain)');
        else if (firstFailed.body !== expected || firstFailed.status !== 200)
          view.failures.push(
            `the first failed chain is not the seed's: got HTTP ${firstFailed.status} ${JSON.stringify(firstFailed.body)}, expected HTTP 200 ${JSON.stringify(expected)}`,
          );
        if (failed.length > 1)
          view.failures.push(
            `${failed.length} requests failed; the seed shows exactly one (the next requests fail over)`,
          );
      }
      if (mode === 'retry') {
        if (failed.length > 0)
          view.failures.push(
            `${failed.length} client-visible errors with the retry policy, e.g. ${label(failed[0] as TrafficSample)}`,
          );
        const mine = sidecars.filter((s) => s.cluster === drill);
        const ejected = mine.reduce((n, s) => n + s.ejected, 0);
        const retried = mine.reduce((n, s) => n + s.retrySuccesses, 0);
        if (ejected === 0)
          view.failures.push("no mocka sidecar ejected mockb's broken pod: no request met it");
        if (retried === 0)
          view.failures.push('no retry succeeded: the requests that met the broken pod were not retried');
        else view.notes.push(`${retried} requests met the broken pod and were retried successfully`);
      }
      if (mode === 'region' && failed.length > 0)
        view.notes.push(`${failed.length} requests failed while the region's mockb pods were replaced`);
      return {
        ...(firstFailed !== undefined
          ? { firstFailedChain: label(firstFailed), timeToFirstFailureMs: elapsed(view, firstFailed) }
          : {}),
        ...(timeToFailoverMs > 0 ? { timeToFailoverMs } : {}),
        ...(view.rolledOutAtMs !== undefined ? { timeToRolloutMs: view.rolledOutAtMs - view.startMs } : {}),
      };
    },
  };
}

export function healStep(ctx: DrillContext, zones: readonly string[], name: string, title: string): StepSpec {
  const drill = ctx.scenario.drillCluster.name;
  const cluster = ctx.clusters.get(drill);
  const affected = entering(ctx, zones);
  const healed = new Set<string>();
  return {
    name,
    title,
    act: async () => {
      for (const zone of zones) await cluster?.setAppVersion(deploymentName('mockb', zone), 'healthy');
      ctx.progress(
        `  reverted the edit of ${zones.map((z) => deploymentName('mockb', z)).join(', ')}: a new pod with the sample app`,
      );
    },
    watch: (s, view) => {
      const zone = entryZone(s.chain) ?? '';
      if (affected(s) && isInZone(s) && !healed.has(zone)) {
        healed.add(zone);
        return `${seconds(elapsed(view, s))}: back in its zone: ${s.chain.hops.map((h) => `${h.app}(${h.version})`).join(' -> ')}`;
      }
      return undefined;
    },
    isDone: rolloutAndSettle(ctx, zones, 'healthy'),
    expect: (view) => {
      expectUntouched(ctx, view, zones);
      const failed = view.samples.filter(isClientError);
      if (failed.length > 0)
        view.failures.push(
          `${failed.length} client-visible errors while healing, e.g. ${label(failed[0] as TrafficSample)}`,
        );
      let timeToHealMs = 0;
      for (const zone of zones) {
        const first = view.samples.find((s) => entryZone(s.chain) === zone && affected(s) && isInZone(s));
        if (first === undefined)
          view.failures.push(`requests entering ${zone} did not come back to their zone`);
        else timeToHealMs = Math.max(timeToHealMs, elapsed(view, first));
      }
      const stray = view.samples.filter((s) => affected(s) && afterRollout(view, s) && !isInZone(s));
      if (stray.length > 0)
        view.failures.push(
          `after the rollout, ${stray.length} requests entering ${zones.join(', ')} still left their zone, e.g. ${label(stray[0] as TrafficSample)}`,
        );
      return {
        ...(timeToHealMs > 0 ? { timeToHealMs } : {}),
        ...(view.rolledOutAtMs !== undefined ? { timeToRolloutMs: view.rolledOutAtMs - view.startMs } : {}),
      };
    },
  };
}

/** Until the demo pods are Ready and every zone of every ingress answers with a chain in its zone. */
export async function waitUntilServing(ctx: DrillContext, timeoutMs: number): Promise<void> {
  const deadline = ctx.clock.monotonicMs() + timeoutMs;
  const check = async (): Promise<string | undefined> => {
    for (const c of ctx.scenario.clusters) {
      const pods = (await ctx.clusters.get(c.name)?.pods()) ?? [];
      const ready = pods.filter((p) => p.isReady && !p.isTerminating).length;
      if (ready < 3 * c.zones.length) return `${c.name}: ${ready}/${3 * c.zones.length} demo pods Ready`;
    }
    for (const target of ctx.targets) {
      const zones = new Set<string>();
      const plan = ctx.scenario.clusters.find((c) => c.name === target.cluster);
      for (let i = 0; i < 4 * (plan?.zones.length ?? 1); i++) {
        const res = await getMock(target);
        const s: TrafficSample = {
          cluster: target.cluster,
          atMs: 0,
          status: res.status,
          body: res.body,
          chain: parseChain(res.status === 200 ? res.body : ''),
          hasEnvoyHeaders: res.headers['server'] === 'istio-envoy',
        };
        if (!isInZone(s)) return `${target.cluster}: in-zone answers through its ingress (got ${label(s)})`;
        zones.add(entryZone(s.chain) ?? '');
      }
      if (plan !== undefined && zones.size < plan.zones.length)
        return `${target.cluster}: answers entering every zone`;
    }
    return undefined;
  };
  let last = '';
  for (;;) {
    if (ctx.signal.aborted) throw new DrillAborted();
    const waiting = await check().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (waiting === undefined) return;
    if (waiting !== last) ctx.progress(`  waiting for ${waiting}`);
    last = waiting;
    if (ctx.clock.monotonicMs() > deadline)
      throw new SpillwayError(
        ErrorCode.demoFailed,
        `the demo app was not serving within ${seconds(timeoutMs)}: waiting for ${waiting}`,
      );
    await delay(250, ctx.signal);
  }
}

/** Applies the retry VirtualService to every cluster and waits until every mocka sidecar has it. */
async function applyRetries(ctx: DrillContext): Promise<string> {
  const start = ctx.clock.monotonicMs();
  for (const cluster of ctx.clusters.values()) await cluster.apply([retryVirtualServiceObject()]);
  ctx.progress(
    '  applied VirtualService mockb (retries: attempts 2, retryOn gateway-error,connect-failure,refused-stream, retryRemoteLocalities) to every cluster',
  );
  const deadline = start + ctx.stepTimeoutMs;
  for (;;) {
    if (ctx.signal.aborted) throw new DrillAborted();
    const pending: string[] = [];
    for (const s of ctx.sidecars) if (!(await sidecarHasRetry(s, 'gateway-error'))) pending.push(s.pod);
    if (pending.length === 0) break;
    if (ctx.clock.monotonicMs() > deadline)
      throw new Error(
        `the retry policy did not reach ${pending.join(', ')} within ${seconds(ctx.stepTimeoutMs)}`,
      );
    await delay(200, ctx.signal);
  }
  const note = `the retry policy reached all ${ctx.sidecars.length} mocka sidecars ${seconds(ctx.clock.monotonicMs() - start)} after it was applied`;
  ctx.progress(`  ${note}`);
  return note;
}

/** Runs every phase in order; a phase that fails stops the drill (the rest are reported as not run). */
export async function runDrill(ctx: DrillContext): Promise<PhaseReport[]> {
  const { scenario } = ctx;
  const zone = scenario.brokenZone;
  const drill = scenario.drillCluster;
  const mockb = deploymentName('mockb', zone);
  const sameRegion = failoverZones(scenario, [zone]);
  const plans: Array<{ spec: () => StepSpec; before?: () => Promise<string>; skip?: string }> = [
    { spec: () => steadyStep(ctx) },
    {
      spec: () =>
        breakStep(
          ctx,
          [zone],
          'seed',
          'break',
          `break ${mockb} as the seed does: one failed request, then failover to ${sameRegion.join(', ')}`,
        ),
    },
    {
      spec: () =>
        healStep(ctx, [zone], 'heal', `heal: revert the edit of ${mockb}; chains come back to ${zone}`),
    },
    {
      before: () => applyRetries(ctx),
      spec: () =>
        breakStep(
          ctx,
          [zone],
          'retry',
          'retry',
          `break ${mockb} again, with a retry policy on mockb: no client-visible error`,
        ),
    },
    { spec: () => healStep(ctx, [zone], 'retry-heal', `heal ${mockb} again`) },
    {
      spec: () =>
        breakStep(
          ctx,
          drill.zones,
          'region',
          'region',
          `break every mockb of ${drill.region}: mocka reaches mockb in ${scenario.remoteZones.join(', ')}`,
        ),
      ...(scenario.remoteZones.length === 0
        ? { skip: `the topology has no cluster outside ${drill.region}` }
        : {}),
    },
    {
      spec: () => healStep(ctx, drill.zones, 'region-heal', `heal every mockb of ${drill.region}`),
      ...(scenario.remoteZones.length === 0
        ? { skip: `the topology has no cluster outside ${drill.region}` }
        : {}),
    },
  ];
  const reports: PhaseReport[] = [];
  let stoppedBy: string | undefined;
  for (const [i, plan] of plans.entries()) {
    const spec = plan.spec();
    const skipped = stoppedBy !== undefined ? `not run: phase '${stoppedBy}' failed` : plan.skip;
    if (skipped !== undefined) {
      reports.push(skippedReport(spec, skipped, stoppedBy === undefined));
      continue;
    }
    ctx.progress(`phase ${i + 1}/${plans.length} ${spec.name}: ${spec.title}`);
    const note = plan.before !== undefined ? await plan.before() : undefined;
    const report = await runStep(ctx, spec);
    const full = note !== undefined ? { ...report, notes: [note, ...report.notes] } : report;
    reports.push(full);
    ctx.progress(
      `  ${full.ok ? 'ok' : 'FAILED'}: ${full.requests} requests, ${full.clientErrors} client errors, ${seconds(full.durationMs)}` +
        (full.ok ? '' : `\n    ${full.failures.join('\n    ')}`),
    );
    if (!full.ok) stoppedBy = spec.name;
  }
  return reports;
}

/** A phase that did not run: `ok` when the topology has no place for it, not when a failure stopped the drill. */
function skippedReport(spec: StepSpec, why: string, ok: boolean): PhaseReport {
  return {
    name: spec.name,
    title: spec.title,
    ok,
    skipped: why,
    failures: [],
    durationMs: 0,
    requests: 0,
    requestsByCluster: {},
    clientErrors: 0,
    chains: [],
    sidecars: [],
    notes: [],
  };
}
