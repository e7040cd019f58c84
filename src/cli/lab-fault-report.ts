/**
 * What `lab fault` and `lab heal` print: a table per pod (pod, namespace, cluster, zone, kind,
 * until when, result) and each failure's reason below it; or the same as JSON (docs/lab.md).
 */
import type { FaultSpec } from '../lab/node-agent/app-fault.js';
import type { FaultOutcome, HealOutcome, NodeHealOutcome } from '../lab/faults/fault-actions.js';
import { formatDurationMs } from '../lab/faults/fault-request.js';
import type { LabPod } from '../lab/faults/target-pods.js';
import { table } from './lab-report.js';

function podFields(pod: LabPod): Record<string, string | null> {
  return {
    pod: pod.name,
    namespace: pod.namespace,
    cluster: pod.cluster,
    zone: pod.zone ?? null,
    node: pod.node,
    podIP: pod.podIP ?? null,
  };
}

function untilCell(spec: FaultSpec, outcome: FaultOutcome): string {
  if (spec.kind === 'kill') return 'once (restarts)';
  if (outcome.result !== 'broken') return '-';
  return outcome.until ?? 'until healed';
}

function kindCell(spec: FaultSpec): string {
  if (spec.kind === 'delay') return `delay ${formatDurationMs(spec.delayMs ?? 1000)}`;
  if (spec.kind === 'http-5xx') return `http-${spec.status ?? 503}`;
  return spec.kind;
}

export interface FaultReport {
  readonly target: string;
  /** The `spillway lab heal ...` line that heals what this command broke. */
  readonly healCommand: string;
  readonly namespace: string;
  readonly service: string | undefined;
  readonly spec: FaultSpec;
  readonly outcomes: readonly FaultOutcome[];
}

export function faultReportJson(report: FaultReport): Record<string, unknown> {
  return {
    action: 'fault',
    target: report.target,
    namespace: report.namespace,
    service: report.service ?? null,
    fault: report.spec,
    ok: report.outcomes.every((o) => o.result === 'broken'),
    pods: report.outcomes.map((o) => ({
      ...podFields(o.pod),
      kind: report.spec.kind,
      result: o.result,
      ...(o.result === 'broken' ? { container: o.container, until: o.until ?? null } : { error: o.error }),
    })),
  };
}

export function formatFaultReport(report: FaultReport): string {
  const { spec, outcomes } = report;
  const broken = outcomes.filter((o) => o.result === 'broken').length;
  const lines = [
    table([
      ['POD', 'NAMESPACE', 'CLUSTER', 'ZONE', 'KIND', 'UNTIL', 'RESULT'],
      ...outcomes.map((o) => [
        o.pod.name,
        o.pod.namespace,
        o.pod.cluster,
        o.pod.zone ?? '-',
        kindCell(spec),
        untilCell(spec, o),
        o.result === 'not-applied'
          ? 'not applied'
          : o.result === 'broken' && spec.kind === 'kill'
            ? 'killed'
            : o.result,
      ]),
    ]),
  ];
  for (const o of outcomes)
    if (o.result === 'failed') lines.push(`  ${o.pod.cluster}/${o.pod.name}: ${o.error}`);
  if (broken === outcomes.length) {
    const healWith = report.healCommand;
    lines.push(
      spec.kind === 'kill'
        ? `${broken} pod${broken === 1 ? '' : 's'} killed; the containers restart with back-off`
        : `${broken} pod${broken === 1 ? '' : 's'} broken${spec.durationMs !== undefined ? ` for ${formatDurationMs(spec.durationMs)}` : ''}; heal with: ${healWith}`,
    );
  } else if (broken === 0) {
    lines.push('nothing was applied');
  } else {
    lines.push(
      `${broken} of ${outcomes.length} pods broken, the others not; heal the broken ones with: ${report.healCommand}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function healReportJson(
  target: string | undefined,
  outcomes: readonly HealOutcome[],
): Record<string, unknown> {
  return {
    action: 'heal',
    target: target ?? null,
    ok: outcomes.every((o) => o.result !== 'failed'),
    pods: outcomes.map((o) => ({
      ...podFields(o.pod),
      result: o.result,
      ...(o.result === 'failed' ? { error: o.error } : {}),
    })),
  };
}

export function formatHealReport(outcomes: readonly HealOutcome[]): string {
  const lines = [
    table([
      ['POD', 'NAMESPACE', 'CLUSTER', 'ZONE', 'RESULT'],
      ...outcomes.map((o) => [
        o.pod.name,
        o.pod.namespace,
        o.pod.cluster,
        o.pod.zone ?? '-',
        o.result === 'no-fault' ? 'had no fault' : o.result,
      ]),
    ]),
  ];
  for (const o of outcomes)
    if (o.result === 'failed') lines.push(`  ${o.pod.cluster}/${o.pod.name}: ${o.error}`);
  const healed = outcomes.filter((o) => o.result === 'healed').length;
  lines.push(`${healed} pod${healed === 1 ? '' : 's'} healed`);
  return `${lines.join('\n')}\n`;
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function healAllReportJson(nodes: readonly NodeHealOutcome[]): Record<string, unknown> {
  return {
    action: 'heal',
    target: null,
    ok: nodes.every((n) => n.error === undefined),
    pods: nodes.flatMap((n) =>
      n.healed.map((key) => {
        const { namespace, name } = splitKey(key);
        return { pod: name, namespace, cluster: n.cluster, zone: n.zone, node: n.node, result: 'healed' };
      }),
    ),
    errors: nodes
      .filter((n) => n.error !== undefined)
      .map((n) => ({ cluster: n.cluster, node: n.node, error: n.error })),
  };
}

export function formatHealAllReport(nodes: readonly NodeHealOutcome[]): string {
  const rows = nodes.flatMap((n) =>
    n.healed.map((key) => {
      const { namespace, name } = splitKey(key);
      return [name, namespace, n.cluster, n.zone, 'healed'];
    }),
  );
  const lines = rows.length > 0 ? [table([['POD', 'NAMESPACE', 'CLUSTER', 'ZONE', 'RESULT'], ...rows])] : [];
  for (const n of nodes) if (n.error !== undefined) lines.push(`  node ${n.node} (${n.cluster}): ${n.error}`);
  const answered = nodes.filter((n) => n.error === undefined).length;
  lines.push(
    rows.length === 0
      ? `no fault to heal (${answered} of ${nodes.length} node agents asked)`
      : `${rows.length} pod${rows.length === 1 ? '' : 's'} healed (${answered} of ${nodes.length} node agents asked)`,
  );
  return `${lines.join('\n')}\n`;
}
