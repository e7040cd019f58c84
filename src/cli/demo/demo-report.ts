/**
 * The demo's report: per phase what traffic saw (chains with counts, requests, client errors,
 * timings, ejections read from mocka's sidecars) and the budget figures of issue 5 (lab up
 * <= 20 s, the lab's processes < 1.5 GB resident in total, the whole demo < 2 min). The JSON form
 * (`--json`) is the same object.
 */
import type { PhaseReport } from '../../lab/drill/drill-step.js';
import type { LabMemorySample } from '../../lab/drill/lab-memory.js';

export const budgetLimits = { labUpMs: 20_000, memoryBytes: 1.5e9, demoMs: 120_000 } as const;

export interface DemoBudget {
  readonly labUpMs?: number;
  /** The largest total of the samples taken while the drill ran. */
  readonly memory?: Omit<LabMemorySample, 'pids'> & { readonly samples: number };
  readonly demoMs: number;
  readonly limits: typeof budgetLimits;
}

export interface DemoReport {
  readonly ok: boolean;
  readonly topology: string;
  readonly stateDir: string;
  /** Why the demo failed, in words (phase expectations are in the phases). */
  readonly failures: readonly string[];
  readonly interrupted: boolean;
  readonly phases: readonly PhaseReport[];
  readonly budget: DemoBudget;
  /** Undefined with --keep (the lab still runs). */
  readonly labDown?: { readonly ms: number; readonly leftoverProcesses: readonly number[] };
  readonly kept: boolean;
}

const s = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

function formatPhase(p: PhaseReport, i: number): string[] {
  const head = `${i + 1}. ${p.name}: ${p.title}`;
  if (p.skipped !== undefined) return [head, `   skipped: ${p.skipped}`];
  const lines = [`${head}  [${p.ok ? 'ok' : 'FAILED'}]`];
  const byCluster = Object.entries(p.requestsByCluster)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  lines.push(
    `   requests ${p.requests} (${byCluster}), client-visible errors ${p.clientErrors}, ${s(p.durationMs)}`,
  );
  const times: string[] = [];
  if (p.timeToFirstFailureMs !== undefined) times.push(`first failed chain ${s(p.timeToFirstFailureMs)}`);
  if (p.timeToFailoverMs !== undefined)
    times.push(
      `failed over ${s(p.timeToFailoverMs)}` +
        (p.timeToFirstFailureMs !== undefined
          ? ` (${s(p.timeToFailoverMs - p.timeToFirstFailureMs)} after the first failure)`
          : ''),
    );
  if (p.timeToHealMs !== undefined) times.push(`back in its zone ${s(p.timeToHealMs)}`);
  if (p.timeToRolloutMs !== undefined) times.push(`rolled out ${s(p.timeToRolloutMs)}`);
  if (times.length > 0) lines.push(`   after the edit: ${times.join(', ')}`);
  lines.push('   chains seen:');
  for (const c of p.chains) lines.push(`     ${String(c.count).padStart(5)}  ${c.chain}`);
  if (p.firstFailedChain !== undefined)
    lines.push(`   first failed response body:`, `     ${p.firstFailedChain}`);
  const changed = p.sidecars.filter((c) => c.ejected !== 0 || c.ejectedNow !== 0 || c.retries !== 0);
  if (changed.length === 0)
    lines.push('   mocka sidecars (cluster outbound|8000||mockb...): no ejection, no retry');
  else {
    lines.push(
      '   mocka sidecars, outlier detection and retries on outbound|8000||mockb.default.svc.cluster.local:',
    );
    for (const c of changed)
      lines.push(
        `     ${c.cluster}/${c.pod}: ejected ${c.ejected} (ejections_active now ${c.ejectedNow}), retries ${c.retries} (${c.retrySuccesses} succeeded)`,
      );
  }
  for (const n of p.notes) lines.push(`   ${n}`);
  for (const f of p.failures) lines.push(`   EXPECTATION FAILED: ${f}`);
  return lines;
}

export function formatDemoReport(r: DemoReport): string {
  const lines = [`spillway demo: the seed's disaster-recovery drill on the lab '${r.topology}'`, ''];
  r.phases.forEach((p, i) => lines.push(...formatPhase(p, i), ''));
  const b = r.budget;
  const mark = (ok: boolean | undefined): string =>
    ok === undefined ? '' : ok ? 'within budget' : 'OVER BUDGET';
  lines.push('budget (issue 5)');
  lines.push(
    `   lab up          ${s(b.labUpMs).padEnd(10)} (<= ${s(b.limits.labUpMs)})  ${mark(b.labUpMs === undefined ? undefined : b.labUpMs <= b.limits.labUpMs)}`,
  );
  if (b.memory !== undefined) {
    const kinds = Object.entries(b.memory.byKind)
      .map(([k, v]) => `${k} ${(v / 1e6).toFixed(0)} MB`)
      .join(', ');
    lines.push(
      `   lab memory      ${gb(b.memory.totalBytes).padEnd(10)} (< ${gb(b.limits.memoryBytes)})  ${mark(b.memory.totalBytes < b.limits.memoryBytes)}`,
      `                   peak of ${b.memory.samples} samples, RSS summed over ${b.memory.processes} processes: ${kinds}`,
    );
  } else lines.push('   lab memory      not measured (needs Linux /proc)');
  lines.push(
    `   demo duration   ${s(b.demoMs).padEnd(10)} (< ${s(b.limits.demoMs)})  ${mark(b.demoMs < b.limits.demoMs)}`,
  );
  lines.push('');
  if (r.labDown !== undefined) {
    lines.push(
      r.labDown.leftoverProcesses.length === 0
        ? `lab down in ${s(r.labDown.ms)}: no lab process left`
        : `lab down in ${s(r.labDown.ms)}: ${r.labDown.leftoverProcesses.length} lab processes still run (pids ${r.labDown.leftoverProcesses.join(', ')})`,
    );
  }
  for (const f of r.failures) lines.push(`FAILED: ${f}`);
  lines.push(
    r.interrupted
      ? 'interrupted'
      : r.ok
        ? 'every phase behaved as the seed describes.'
        : 'the demo did NOT behave as the seed describes (see above).',
  );
  return `${lines.join('\n')}\n`;
}
