/**
 * The text form of `spillway explain`: who asks (pod, proxy), then per cluster the priority ladder -
 * each priority with the share of requests it gets now, its health and panic state, its localities
 * and endpoints with health and ejections - followed by why (the Istio fields) and the warnings.
 * Read top to bottom it answers "where does this pod's traffic for this service go, and why".
 */
import type { ClusterReport, EndpointReport, ExplainReport, PriorityReport } from './explain-report.js';
import { humanDuration } from './human-duration.js';

function endpointLine(e: EndpointReport): string {
  const who = [e.pod, e.cluster === undefined ? undefined : `[${e.cluster}]`].filter((x) => x !== undefined);
  let state: string;
  if (e.ejection !== undefined) {
    const back =
      e.ejection.expectedBackInMs === undefined
        ? ''
        : `, back at the interval tick in ~${humanDuration(e.ejection.expectedBackInMs)}`;
    state =
      `EJECTED (${e.ejection.reason}), ${humanDuration(e.ejection.timeLeftMs)} left of ` +
      `${humanDuration(e.ejection.durationMs)}${back}; ejected ${e.ejection.numEjections}x, backoff ${e.ejection.backoff}`;
  } else {
    state = e.health === 'healthy' ? 'healthy' : e.health.toUpperCase();
    if (e.health !== 'healthy' && e.healthFlags.length > 0) state += ` (${e.healthFlags.join(', ')})`;
    if (e.numEjections > 0) state += `, ejected ${e.numEjections}x before`;
  }
  return `        ${e.address.padEnd(21)} ${who.join(' ').padEnd(44)} ${state}`;
}

function priorityLines(p: PriorityReport, isLocalityWeighted: boolean): string[] {
  const degraded =
    p.degradedLoadPct > 0 ? ` (${p.healthyLoadPct} % healthy + ${p.degradedLoadPct} % degraded)` : '';
  const lines = [
    `  P${p.priority}  load ${String(p.loadPct).padStart(3)} %${degraded}   health ${p.health}, ` +
      `${p.healthyHosts + p.degradedHosts}/${p.hosts} endpoints healthy${p.isPanic ? ', PANIC' : ''}`,
  ];
  for (const l of p.localities) {
    lines.push(`      ${l.locality}${isLocalityWeighted ? ` (locality weight ${l.weight})` : ''}`);
    for (const e of l.endpoints) lines.push(endpointLine(e));
  }
  return lines;
}

function outlierLine(c: ClusterReport): string {
  const od = c.outlierDetection;
  if (od === undefined) return '  outlier detection: none';
  const parts = [
    `consecutive5xxErrors ${od.consecutive5xx === 0 ? 'off' : od.consecutive5xx}`,
    ...(od.isGatewayFailureEnforced ? [`consecutiveGatewayErrors ${od.consecutiveGatewayFailure}`] : []),
    ...(od.splitExternalLocalOriginErrors
      ? [`consecutiveLocalOriginFailures ${od.consecutiveLocalOriginFailure} (split local/external)`]
      : []),
    `interval ${humanDuration(od.intervalMs)}`,
    `baseEjectionTime ${humanDuration(od.baseEjectionTimeMs)}`,
    `maxEjectionPercent ${od.maxEjectionPercent}`,
  ];
  return (
    `  outlier detection: ${parts.join(', ')}\n` +
    `    ejections_active ${od.ejectionsActive}, ejections_enforced_total ${od.ejectionsEnforcedTotal}, ejections_overflow ${od.ejectionsOverflow}`
  );
}

function clusterText(c: ClusterReport, report: ExplainReport): string {
  const lines = [
    `${c.name}`,
    `  ${c.lbPolicy}, healthy_panic_threshold ${c.healthyPanicThreshold} %${c.isTotalPanic ? ' (TOTAL PANIC)' : ''}, ` +
      `${c.totalHosts} endpoint${c.totalHosts === 1 ? '' : 's'}, ${c.ejectedHosts} ejected`,
    outlierLine(c),
    '',
  ];
  if (c.priorities.length === 0) lines.push('  no endpoints');
  for (const p of c.priorities) lines.push(...priorityLines(p, c.isLocalityWeightedLb));
  if (c.priorities.length > 0)
    lines.push(`  priority loads: ${c.priorities.map((p) => p.loadPct).join('/')}`);
  lines.push('', '  why:');
  if (c.provenance === undefined) {
    const cp = report.controlPlane;
    lines.push(
      `    the config side is missing: ${cp.message ?? cp.status}` +
        " (the ladder above is the proxy's own state, complete without it)",
    );
  } else {
    const pv = c.provenance;
    lines.push(`    destination rule   ${pv.destinationRule ?? 'none'}`);
    lines.push(`    outlier detection  ${pv.outlierDetection}`);
    lines.push(`    priorities         ${pv.priorities}`);
    if (pv.routes.length === 0)
      lines.push('    routes             no route of this proxy sends to this cluster');
    pv.routes.forEach((r, i) =>
      lines.push(`    ${i === 0 ? 'routes            ' : '                  '} ${r}`),
    );
  }
  if (c.warnings.length > 0) {
    lines.push('', '  warnings:');
    for (const w of c.warnings) lines.push(`    ${w.severity === 'warning' ? '!' : 'i'} ${w.message}`);
  }
  return lines.join('\n');
}

export function renderExplainText(report: ExplainReport): string {
  const head: string[] = [];
  if (report.pod !== undefined) {
    const p = report.pod;
    const where = [p.context, p.node, p.ip].filter((x) => x !== undefined).join(', ');
    head.push(`pod      ${p.namespace}/${p.name}${where === '' ? '' : ` (${where})`}`);
  }
  head.push(`proxy    ${report.proxy.nodeId} (admin ${report.proxy.admin})`);
  head.push(
    `control  ${report.controlPlane.admin ?? 'unknown'}` +
      (report.controlPlane.status === 'ok'
        ? ''
        : `: ${report.controlPlane.message ?? report.controlPlane.status}`),
  );
  head.push(
    `service  ${report.service.query} -> ${report.service.host} (from namespace ${report.namespace})`,
  );
  return `${[head.join('\n'), ...report.clusters.map((c) => clusterText(c, report))].join('\n\n')}\n`;
}
