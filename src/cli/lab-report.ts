/**
 * Text that `lab up` and `lab status` print: where everything is, as aligned tables.
 */
import { join } from 'node:path';
import type { LabState } from '../lab/supervisor/lab-state.js';
import type { LabStatusReport } from '../lab/supervisor/lab-status.js';

/** Left-aligned columns separated by three spaces, like kubectl's tables. */
export function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   '),
    )
    .join('\n');
}

function meshCell(m: LabState['meshes'][number]): string {
  return m.state === 'skipped' ? `skipped: ${m.reason ?? ''}` : m.state;
}

/** What `lab up` prints on stdout once the lab is ready. */
export function formatLabReady(state: LabState, isDetached: boolean): string {
  const startedMs = Date.parse(state.supervisor.startedAt);
  const readyMs = Date.parse(state.supervisor.readyAt ?? state.supervisor.startedAt);
  const lines = [
    `lab '${state.topology.name}' is ready (${((readyMs - startedMs) / 1000).toFixed(1)} s)`,
    '',
    table([
      ['CLUSTER', 'REGION', 'NETWORK', 'API SERVER', 'INGRESS', 'NODES'],
      ...state.clusters.map((c) => [
        c.name,
        c.region,
        c.network,
        c.apiServer,
        c.ingress,
        String(c.nodes.length),
      ]),
    ]),
  ];
  if (state.meshes.length > 0) {
    lines.push(
      '',
      table([
        ['MESH', 'REGION', 'CONFIG CLUSTER', 'WATCHES', 'XDS', 'ADMIN', 'STATE'],
        ...state.meshes.map((m) => [
          m.name,
          m.region,
          m.configCluster,
          m.clusters.join(','),
          m.xdsAddress,
          m.adminAddress,
          meshCell(m),
        ]),
      ]),
    );
  }
  lines.push(
    '',
    `kubeconfig: ${state.kubeconfig} (one context per cluster)`,
    `  export KUBECONFIG=${state.kubeconfig}    # or: eval "$(spillway lab env)"`,
    `  kubectl --context ${state.clusters[0]?.name ?? '<cluster>'} get nodes`,
    `logs:       ${join(state.stateDir, 'logs')}`,
  );
  for (const w of state.warnings) lines.push(`WARNING ${w}`);
  lines.push(
    isDetached
      ? `supervisor: pid ${state.supervisor.pid} (detached); stop with: spillway lab down`
      : 'running until Ctrl-C (SIGINT) or SIGTERM',
  );
  return `${lines.join('\n')}\n`;
}

/** What `lab status` prints without --json. */
export function formatLabStatus(report: LabStatusReport): string {
  if (report.state === 'none') return `no lab in ${report.stateDir} (start one with: spillway lab up)\n`;
  const supervisor = report.supervisor;
  const lines = [
    `lab '${report.topology?.name ?? ''}': ${report.state}` +
      (supervisor !== undefined
        ? ` (supervisor pid ${supervisor.pid}${supervisor.alive ? '' : ', not running'})`
        : ''),
    `state dir:  ${report.stateDir}`,
    `kubeconfig: ${report.kubeconfig}`,
    '',
    table([
      ['CLUSTER', 'REGION', 'NETWORK', 'API SERVER', 'INGRESS', 'GATEWAY PODS'],
      ...report.clusters.map((c) => [
        c.name,
        c.region,
        c.network,
        c.apiServer,
        c.ingress,
        c.ingressTargets.length === 0 ? '-' : c.ingressTargets.join(','),
      ]),
    ]),
    '',
    table([
      ['NODE', 'CLUSTER', 'ZONE', 'ADDRESS', 'POD CIDR', 'READY'],
      ...report.clusters.flatMap((c) =>
        c.nodes.map((n) => [
          n.name,
          c.name,
          n.zone,
          n.address,
          n.podCIDR,
          n.ready === null ? '-' : n.ready ? 'True' : 'False',
        ]),
      ),
    ]),
  ];
  if (report.meshes.length > 0) {
    lines.push(
      '',
      table([
        ['MESH', 'REGION', 'CONFIG CLUSTER', 'XDS', 'ADMIN', 'STATE'],
        ...report.meshes.map((m) => [
          m.name,
          m.region,
          m.configCluster,
          m.xdsAddress,
          m.adminAddress,
          m.state === 'skipped' ? `skipped: ${m.reason ?? ''}` : m.state,
        ]),
      ]),
    );
  }
  if (report.proxies.length > 0) {
    lines.push(
      '',
      table([
        ['PROXY', 'KIND', 'CLUSTER', 'ZONE', 'ADMIN', 'PROMETHEUS', 'READY'],
        ...report.proxies.map((p) => [
          `${p.namespace}/${p.pod}`,
          p.kind,
          p.cluster,
          p.zone,
          p.admin ?? '-',
          p.prometheus,
          p.ready ? 'True' : 'False',
        ]),
      ]),
    );
  }
  if (report.observability !== undefined && report.state === 'running') {
    lines.push('', `prometheus service discovery: ${report.observability.targetsUrl}`);
    if (report.prometheus !== undefined) lines.push(`prometheus: ${report.prometheus.url}`);
  }
  if (report.processes.length > 0) {
    lines.push(
      '',
      table([
        ['PROCESS', 'PID', 'STATE', 'RESTARTS', 'LOG'],
        ...report.processes.map((p) => [p.name, String(p.pid), p.state, String(p.restarts), p.log]),
      ]),
    );
  }
  for (const w of report.warnings) lines.push(`WARNING ${w}`);
  if (report.error !== undefined) lines.push(`error: ${report.error}`);
  return `${lines.join('\n')}\n`;
}
