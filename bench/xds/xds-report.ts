/**
 * The human-readable report of `npm run bench:xds`: the same markdown tables go to stdout and,
 * with machine notes and every change sample, to bench/results/<date>-xds.md.
 */
import { table } from '../proxy/report-format.js';
import type { ChangePhaseProfile } from './cp-profile.js';
import type { ResourceWindow, ScenarioResult, XdsBenchResult } from './xds-result.js';

function opt(value: number | null | undefined, unit = ''): string {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : `${value}${unit}`;
}

function targetsSection(result: XdsBenchResult): string[] {
  const rows = result.scenarios.flatMap((s) =>
    s.checks.map((c) => [c.label, c.target, c.measured, c.isMet ? 'PASS' : 'NOT YET']),
  );
  return [
    '## Targets (issue 4, "Performance")',
    '',
    table(['target', 'limit', 'measured', 'verdict'], rows),
    '',
    `Anchor: ${result.anchor}`,
    '',
  ];
}

function windowRow(name: string, w: ResourceWindow): string[] {
  return [
    name,
    `${w.durationS} s`,
    `${w.cpuPct} %`,
    `${w.rssMbEnd} MB`,
    `${w.rssMbMax} MB`,
    opt(w.otherLoadPct, ' %'),
    opt(w.stealPct, ' %'),
  ];
}

function scenarioSection(s: ScenarioResult): string[] {
  const a = s.changes.allAcked;
  const m = s.changes.medianProxy;
  const load = s.load.reduce(
    (acc, l) => ({
      streamsEnded: acc.streamsEnded + l.streamsEnded,
      unreadable: acc.unreadable + l.unreadable,
      mb: acc.mb + l.bytesReceived / 2 ** 20,
    }),
    { streamsEnded: 0, unreadable: 0, mb: 0 },
  );
  return [
    `## Scenario ${s.scenario}: ${s.proxies.toLocaleString('en-US')} proxies, ${s.services.toLocaleString('en-US')} services, ${s.endpoints.toLocaleString('en-US')} endpoints, 2 clusters`,
    '',
    table(
      ['figure', 'value'],
      [
        ['scenario written to both API servers', `${s.scenarioWriteMs} ms`],
        ['control plane start -> ready (both clusters listed)', `${s.controlPlaneReadyMs} ms`],
        [
          'initial full sync: first connect -> every proxy has CDS+EDS+LDS+RDS ACKed',
          `${s.initialSync.allSyncedMs} ms (median proxy ${s.initialSync.medianProxyMs} ms, first ${s.initialSync.firstProxyMs} ms)`,
        ],
        [
          'during the initial sync: control plane CPU / peak RSS; load processes CPU',
          `${s.initialSync.controlPlaneCpuPct} % / ${s.initialSync.controlPlaneRssMbMax} MB; ${s.initialSync.loadCpuPct.join(' / ')} %`,
        ],
        [
          'endpoint change -> every proxy ACKed (p50 / p99 / max)',
          a === undefined ? '-' : `${a.p50} / ${a.p99} / ${a.max} ms (n=${a.count}, min ${a.min})`,
        ],
        [
          'endpoint change -> median proxy ACKed (p50 / p99)',
          m === undefined ? '-' : `${m.p50} / ${m.p99} ms`,
        ],
        ['changes not ACKed by every proxy within 15 s', String(s.changes.incomplete)],
        ['control plane peak RSS (VmHWM, whole run incl. initial sync)', `${s.peakRssMb} MB`],
        [
          'pushes / NACKs / push context errors (control plane /metrics)',
          `${s.metrics['pilot_xds_pushes'] ?? '-'} / ${s.metrics['pilot_total_xds_rejects'] ?? '-'} / ${s.metrics['pilot_xds_push_context_errors'] ?? '-'}`,
        ],
        ['load processes CPU during the change phase (% of one core each)', s.loadCpuPct.join(' / ')],
        [
          'load processes: streams ended / unreadable responses / MB received',
          `${load.streamsEnded} / ${load.unreadable} / ${Math.round(load.mb)}`,
        ],
      ],
    ),
    '',
    table(
      [
        'control plane',
        'window',
        'CPU (% of one core)',
        'RSS at end',
        'RSS max',
        'other load on its CPU',
        'steal',
      ],
      [windowRow('steady state (no changes)', s.steady), windowRow('change phase', s.changePhase)],
    ),
    '',
  ];
}

function samplesSection(s: ScenarioResult): string[] {
  return [
    `### Scenario ${s.scenario}: every change`,
    '',
    table(
      ['#', 'cluster', 'service', 'write ms', 'first proxy ms', 'median proxy ms', 'every proxy ms'],
      s.changes.samples.map((c) => [
        String(c.index + 1),
        c.clusterId,
        c.serviceHost,
        String(c.writeMs),
        opt(c.firstProxyMs),
        opt(c.medianProxyMs),
        c.allAckedMs === null ? `incomplete (${c.proxiesSeen}/${s.proxies})` : String(c.allAckedMs),
      ]),
    ),
    '',
  ];
}

function profileSection(
  name: string,
  p: ChangePhaseProfile | undefined,
  phase = 'the change phase',
): string[] {
  if (p === undefined) return [];
  return [
    `### Scenario ${name}: control plane CPU profile of ${phase}`,
    '',
    `${p.isWindowed ? 'Samples within the window' : 'The whole profile (it did not overlap the change phase)'}: ` +
      `${p.windowMs} ms, of which ${p.busyMs} ms busy.`,
    '',
    table(
      ['self time by area', 'ms', '% of busy'],
      p.byArea.map((r) => [r.name, String(r.ms), String(r.pct)]),
    ),
    '',
    table(
      ['inclusive time (self + callees)', 'ms', '% of busy'],
      p.inclusive.map((r) => [r.name, String(r.ms), String(r.pct)]),
    ),
    '',
    ...(p.timeline.length === 0
      ? []
      : [
          table(
            ['change', 'event in registry ms', 'recompute start ms', 'recompute end ms', 'CP busy ms'],
            p.timeline.map((t) => [
              String(t.index + 1),
              opt(t.eventSeenMs),
              opt(t.recomputeStartMs),
              opt(t.recomputeEndMs),
              String(t.busyMs),
            ]),
          ),
          '',
          'Times after the write, from the first / last profile sample (1 ms interval) inside that code.',
          '',
        ]),
    table(
      ['hottest functions (self time)', 'ms', '% of busy'],
      p.topSelf.map((r) => [r.name, String(r.ms), String(r.pct)]),
    ),
    '',
  ];
}

/** The report printed on stdout. */
export function formatReport(result: XdsBenchResult): string {
  const lines = [...targetsSection(result)];
  for (const s of result.scenarios)
    lines.push(
      ...scenarioSection(s),
      ...profileSection(s.scenario, s.profile),
      ...profileSection(s.scenario, s.syncProfile, 'the initial sync'),
    );
  return `${lines.join('\n')}\n`;
}

/** The results file: the report, how it was measured, machine notes and every sample. */
export function formatMarkdownFile(result: XdsBenchResult): string {
  const m = result.machine;
  const lines = [
    `# bench:xds - ${result.startedAt.slice(0, 10)}`,
    '',
    `Run \`npm run bench:xds -- ${result.options.argv.join(' ')}\` from ${result.startedAt} to ${result.finishedAt}, Spillway ${m.spillwayRevision}.`,
    '',
    ...targetsSection(result),
    ...result.scenarios.flatMap((s) => scenarioSection(s)),
    '## How it was measured',
    '',
    ...result.setup.map((line) => `- ${line}`),
    '',
    '## Machine and noise',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cpuCount} vCPUs`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS / kernel', `${m.os} / ${m.kernel}`],
        ['Node', m.node],
        ['load average at start (1/5/15 min)', m.loadAverageAtStart.join(' / ')],
        ['load average at end', result.noise.loadAverageAtEnd.join(' / ')],
        ['CPU busy % before start (per CPU)', result.noise.busyPctBeforeStart.join(' / ')],
        ['clock ticks per second', String(m.clockTicksPerS)],
      ],
    ),
    '',
    'This is a 2-vCPU VM shared with other work. Read the `other load` column (busy time of the control',
    "plane's CPU not spent by the control plane) and the load average before trusting a difference; a",
    'change of a few milliseconds between runs is within the noise.',
    '',
    ...result.scenarios.flatMap((s) => [
      ...samplesSection(s),
      ...profileSection(s.scenario, s.profile),
      ...profileSection(s.scenario, s.syncProfile, 'the initial sync'),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
