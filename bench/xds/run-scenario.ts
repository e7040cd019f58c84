/**
 * One scenario, start to finish: two lab clusters loaded with the scenario, the measured control
 * plane, the simulated proxies' initial sync, a steady-state window, then the endpoint changes -
 * each an EndpointSlice update, timed from just before the write to the last proxy's ACK of the EDS
 * push that carries it - and the control plane's counters at the end.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, type ProcessGroup } from '../proxy/process-group.js';
import { metricSum, scrapeMetrics, startControlPlane } from './control-plane-process.js';
import { readProfile, summariseWindow, type ChangePhaseProfile } from './cp-profile.js';
import { loadScenario, startLabClusters, writeEndpointChange, type LabClusters } from './lab-clusters.js';
import { LoadFleet } from './load-fleet.js';
import { monoMs } from './mono-time.js';
import { peakRssMb, ResourceSampler, round } from './resource-window.js';
import {
  CLUSTERS,
  markerAddress,
  serviceHost,
  simulatedProxy,
  totalEndpoints,
  type ClusterId,
  type ScenarioSpec,
} from './scenario.js';
import type { ChangeSample, Distribution, ScenarioResult, TargetCheck } from './xds-result.js';

export interface ScenarioRunOptions {
  readonly changes: number;
  readonly spacingMs: number;
  readonly steadyS: number;
  readonly loadProcesses: number;
  /** [control plane CPU, everything else's CPU], or undefined to leave scheduling to the OS. */
  readonly cpus: readonly [number, number] | undefined;
  readonly isProfile: boolean;
  readonly controlPlaneNodeFlags: readonly string[];
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export function distribution(values: readonly number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 0.5), 1),
    p99: round(percentile(sorted, 0.99), 1),
    max: round(sorted[sorted.length - 1] as number, 1),
    min: round(sorted[0] as number, 1),
  };
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** The service changed by change k: spread over the services and namespaces, never the same twice. */
function changedService(spec: ScenarioSpec, k: number): number {
  // 7919 is prime and does not divide the service counts, so k -> k * 7919 mod n is one-to-one.
  return (k * 7919 + 3) % spec.services;
}

function checksFor(spec: ScenarioSpec, r: Omit<ScenarioResult, 'checks'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const p99 = r.changes.allAcked?.p99;
  const isEnough = (r.changes.allAcked?.count ?? 0) >= 20 && r.changes.incomplete === 0;
  checks.push({
    label: `${spec.name}: endpoint change -> every proxy ACKed, p99 (${spec.proxies} proxies, ${totalEndpoints(spec).toLocaleString('en-US')} endpoints)`,
    target: `<= ${spec.p99TargetMs} ms`,
    measured:
      p99 === undefined
        ? 'no complete change'
        : `${p99} ms (p50 ${r.changes.allAcked?.p50} ms, n=${r.changes.allAcked?.count}${r.changes.incomplete > 0 ? `, ${r.changes.incomplete} incomplete` : ''})`,
    isMet: p99 !== undefined && p99 <= spec.p99TargetMs && isEnough,
  });
  if (spec.name === 'B') {
    const rss = Math.max(r.steady.rssMbMax, r.changePhase.rssMbMax);
    checks.push({
      label: `B: control plane RSS, ${spec.services.toLocaleString('en-US')} services / ${totalEndpoints(spec).toLocaleString('en-US')} endpoints / ${spec.proxies.toLocaleString('en-US')} proxies (max of steady state and change phase)`,
      target: '<= 300 MB',
      measured: `${rss} MB (steady ${r.steady.rssMbEnd} MB, lifetime peak ${r.peakRssMb} MB)`,
      isMet: rss <= 300,
    });
  }
  return checks;
}

export async function runScenario(
  spec: ScenarioSpec,
  options: ScenarioRunOptions,
  group: ProcessGroup,
  dir: string,
  progress: (line: string) => void,
): Promise<ScenarioResult> {
  const scenarioDir = join(dir, `scenario-${spec.name}`);
  mkdirSync(scenarioDir, { recursive: true });
  const profileDir = options.isProfile ? join(scenarioDir, 'cpu-profile') : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const cpCpu = options.cpus?.[0];
  const otherCpu = options.cpus?.[1];
  let lab: LabClusters | undefined;
  let fleet: LoadFleet | undefined;
  try {
    progress(`[${spec.name}] starting two lab API servers (127.95.1.1, 127.95.2.1)`);
    lab = await startLabClusters(scenarioDir);
    const writeStart = monoMs();
    const objectsPerCluster = await loadScenario(lab, spec);
    const scenarioWriteMs = round(monoMs() - writeStart, 0);
    progress(
      `[${spec.name}] wrote ${spec.services} services, ${totalEndpoints(spec)} endpoints in ${spec.services * 2} EndpointSlices, ` +
        `${spec.services} DestinationRules (${Object.values(objectsPerCluster).reduce((a, b) => a + b, 0)} objects) in ${scenarioWriteMs} ms`,
    );

    progress(
      `[${spec.name}] starting spillway control-plane${cpCpu === undefined ? '' : ` on CPU ${cpCpu}`}`,
    );
    const cp = await startControlPlane(group, {
      kubeconfig1: lab.clusters['cluster-1'].kubeconfig,
      kubeconfig2: lab.clusters['cluster-2'].kubeconfig,
      address: '127.95.0.1',
      cpu: cpCpu,
      profileDir,
      nodeFlags: options.controlPlaneNodeFlags,
    });
    const controlPlaneReadyMs = round(cp.readyAtMs - cp.startedAtMs, 0);
    progress(`[${spec.name}] control plane ready after ${controlPlaneReadyMs} ms (xDS ${cp.xdsAddress})`);

    fleet = await LoadFleet.start(group, options.loadProcesses, otherCpu);
    const proxies = Array.from({ length: spec.proxies }, (_, i) => simulatedProxy(spec, i));
    progress(
      `[${spec.name}] connecting ${spec.proxies} simulated sidecars from ${options.loadProcesses} load process(es)`,
    );
    const syncStartMs = monoMs();
    const syncCp = new ResourceSampler(cp.proc.pid, cpCpu);
    const syncLoads = fleet.pids.map((pid) => new ResourceSampler(pid, undefined));
    const sync = await fleet.connect(cp.xdsAddress, proxies, 300_000);
    const syncEndMs = monoMs();
    const syncCpWindow = syncCp.finish();
    const syncLoadCpu = syncLoads.map((l) => l.finish().cpuPct);
    const perProxy = sync.syncedAtMs.map((t) => t - sync.connectStartMs);
    const initialSync = {
      allSyncedMs: round(Math.max(...perProxy), 0),
      medianProxyMs: round(median(perProxy), 0),
      firstProxyMs: round(Math.min(...perProxy), 0),
      controlPlaneCpuPct: syncCpWindow.cpuPct,
      controlPlaneRssMbMax: syncCpWindow.rssMbMax,
      loadCpuPct: syncLoadCpu,
    };
    progress(
      `[${spec.name}] initial sync: every proxy complete after ${initialSync.allSyncedMs} ms (median proxy ${initialSync.medianProxyMs} ms; ` +
        `control plane ${initialSync.controlPlaneCpuPct} % CPU, up to ${initialSync.controlPlaneRssMbMax} MB; load processes ${syncLoadCpu.join(' / ')} % CPU)`,
    );

    // Let the sync's garbage settle before the steady-state window.
    await sleep(3000);
    progress(`[${spec.name}] steady state: ${options.steadyS} s without changes`);
    const steadySampler = new ResourceSampler(cp.proc.pid, cpCpu);
    await sleep(options.steadyS * 1000);
    const steady = steadySampler.finish();
    progress(`[${spec.name}]   control plane ${steady.cpuPct} % CPU, ${steady.rssMbEnd} MB RSS`);

    progress(`[${spec.name}] ${options.changes} endpoint changes, ${options.spacingMs} ms apart`);
    const samples: ChangeSample[] = [];
    const writesMs: number[] = [];
    const changeSampler = new ResourceSampler(cp.proc.pid, cpCpu);
    const loadSamplers = fleet.pids.map((pid) => new ResourceSampler(pid, undefined));
    const phaseStartMs = monoMs();
    for (let k = 0; k < options.changes; k++) {
      const serviceIndex = changedService(spec, k);
      const clusterId = CLUSTERS[k % 2] as ClusterId;
      const address = markerAddress(k);
      await fleet.expect(k, address);
      const t0 = monoMs();
      writesMs.push(t0);
      await writeEndpointChange(lab, spec, { index: k, serviceIndex, clusterId });
      const writeMs = monoMs() - t0;
      const seen = await fleet.seen(k, 15_000);
      const latencies = seen.ackedAtMs.filter((t): t is number => t !== null).map((t) => t - t0);
      const sample: ChangeSample = {
        index: k,
        serviceHost: serviceHost(spec, serviceIndex),
        clusterId,
        writeMs: round(writeMs, 2),
        allAckedMs: seen.isComplete ? round(Math.max(...latencies), 1) : null,
        firstProxyMs: latencies.length === 0 ? null : round(Math.min(...latencies), 1),
        medianProxyMs: latencies.length === 0 ? null : round(median(latencies), 1),
        proxiesSeen: latencies.length,
      };
      samples.push(sample);
      progress(
        `[${spec.name}]   change ${k + 1}/${options.changes} (${clusterId}, ${sample.serviceHost}): ` +
          (sample.allAckedMs === null
            ? `only ${sample.proxiesSeen}/${spec.proxies} proxies within 15 s`
            : `every proxy ACKed after ${sample.allAckedMs} ms (first ${sample.firstProxyMs}, median ${sample.medianProxyMs})`),
      );
      if (k < options.changes - 1) await sleep(options.spacingMs);
    }
    const phaseEndMs = monoMs();
    const changePhase = changeSampler.finish();
    const loadCpuPct = loadSamplers.map((l) => l.finish().cpuPct);
    progress(
      `[${spec.name}]   control plane ${changePhase.cpuPct} % CPU, up to ${changePhase.rssMbMax} MB RSS`,
    );
    const peak = peakRssMb(cp.proc.pid);
    const scraped = await scrapeMetrics(cp.adminUrl);
    const metrics: Record<string, number> = {
      pilot_xds: metricSum(scraped, 'pilot_xds'),
      pilot_xds_pushes: metricSum(scraped, 'pilot_xds_pushes'),
      pilot_total_xds_rejects: metricSum(scraped, 'pilot_total_xds_rejects'),
      pilot_xds_push_context_errors: metricSum(scraped, 'pilot_xds_push_context_errors'),
      pilot_total_xds_internal_errors: metricSum(scraped, 'pilot_total_xds_internal_errors'),
      pilot_services: metricSum(scraped, 'pilot_services'),
    };
    const load = await fleet.stop(group);
    fleet = undefined;
    await group.stop(cp.proc, 30_000);
    let profile: ChangePhaseProfile | undefined;
    let syncProfile: ChangePhaseProfile | undefined;
    if (profileDir !== undefined) {
      const cpuProfile = readProfile(profileDir);
      profile = summariseWindow(cpuProfile, phaseStartMs, phaseEndMs, writesMs);
      syncProfile = summariseWindow(cpuProfile, syncStartMs, syncEndMs, []);
    }

    const complete = samples.flatMap((s) => (s.allAckedMs === null ? [] : [s.allAckedMs]));
    const medians = samples.flatMap((s) => (s.medianProxyMs === null ? [] : [s.medianProxyMs]));
    const result: Omit<ScenarioResult, 'checks'> = {
      scenario: spec.name,
      proxies: spec.proxies,
      services: spec.services,
      endpoints: totalEndpoints(spec),
      namespaces: spec.namespaces,
      loadProcesses: options.loadProcesses,
      objectsPerCluster,
      scenarioWriteMs,
      controlPlaneReadyMs,
      initialSync,
      steady,
      changes: {
        samples,
        allAcked: distribution(complete),
        medianProxy: distribution(medians),
        incomplete: samples.length - complete.length,
      },
      changePhase,
      loadCpuPct,
      peakRssMb: peak,
      metrics,
      load,
      profile,
      syncProfile,
    };
    return { ...result, checks: checksFor(spec, result) };
  } finally {
    if (fleet !== undefined) await fleet.stop(group).catch(() => undefined);
    await group.stopAll();
    await lab?.close();
  }
}
