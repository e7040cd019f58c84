/**
 * The human-readable report: the same markdown tables go to stdout and, with machine notes and the
 * raw rounds added, to bench/results/<date>-proxy.md.
 */
import type { BenchResult } from './bench-result.js';
import type { FailoverRun } from './failover-bench.js';
import type { Spread } from './spread.js';
import type { TargetCheck } from './throughput-summary.js';
import { totalErrors } from './wrk-runner.js';

/** A markdown table whose columns are padded, so it also reads well in a terminal. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median [min–max]`, or `-` when there is nothing. */
export function spread(value: Spread | undefined, digits = 0): string {
  if (value === undefined) return '-';
  if (value.count === 1) return num(value.median, digits);
  return `${num(value.median, digits)} [${num(value.min, digits)}–${num(value.max, digits)}]`;
}

function verdict(check: TargetCheck): string {
  return check.isMet ? 'PASS' : 'NOT YET';
}

function throughputSection(result: BenchResult): string[] {
  const t = result.throughput;
  if (t === undefined) return [];
  const rows = t.summary.map((s) => [
    s.name,
    spread(s.rps),
    spread(s.cpuUsPerRequest, 1),
    spread(s.rpsPerCore),
    spread(s.latencyP50Us),
    spread(s.latencyP99Us),
    spread(s.addedP50Us),
    spread(s.addedP99Us),
    spread(s.rssMb, 1),
    String(s.errors),
    spread(s.otherLoadPct),
  ]);
  const checks = t.checks.map((c) => [
    c.label,
    `${spread(c.spillway, c.unit === 'MB' ? 1 : c.unit === 'µs' ? 1 : 0)} ${c.unit}`,
    `${c.anchor}: ${spread(c.anchorValue, c.unit === 'MB' ? 1 : c.unit === 'µs' ? 1 : 0)} ${c.unit}`,
    spread(c.ratio, 2),
    `${c.bound === 'max' ? '≤' : '≥'} ${c.limit}x`,
    verdict(c),
  ]);
  return [
    `## Throughput, CPU, latency, memory (${result.options.rounds} interleaved rounds, medians [min–max])`,
    '',
    table(
      [
        'target',
        'rps (c50)',
        'CPU µs/req',
        'rps per core',
        'c1 p50 µs',
        'c1 p99 µs',
        'added p50 µs',
        'added p99 µs',
        'RSS MB',
        'errors',
        'other load %',
      ],
      rows,
    ),
    '',
    '`rps (c50)`: wrk -t1 -c50 through the target. `CPU µs/req`: utime+stime of the server under test per',
    'completed request. `rps per core`: 1e6 / CPU µs per request. `c1`: wrk -t1 -c1 (one request at a time);',
    '`added`: the c1 latency minus `direct`s in the same round (a per-round difference, so its median is',
    'not the difference of the medians). `RSS`: VmRSS right after the c50 run; Spillway holds a second,',
    `unrouted cluster of ${result.options.fleetSize} endpoints. \`node-http\` is a bare Node http.createServer (no proxying).`,
    '`other load`: busy time of the proxy CPU not spent by the server under test during the c50 runs',
    '(other programs, softirq): a noise indicator, near 0 on a quiet machine.',
    '',
    '### Spillway against its anchors (ratio = median of the per-round ratios)',
    '',
    table(['metric', 'Spillway', 'anchor', 'ratio', 'target', 'verdict'], checks),
    '',
  ];
}

function failoverRow(run: FailoverRun): string[] {
  const a = run.analysis;
  const ms = (v: number | undefined): string => (v === undefined ? '-' : num(v, 1));
  const st = run.proxyStats;
  return [
    `${run.label} #${run.run}`,
    String(run.errors),
    String(run.expectedErrors),
    run.isExpected ? 'yes' : 'NO',
    String(a.errorsSentAfterNthFailure),
    ms(a.timeTo99Ms),
    ms(a.lastNotServedElsewhereMs),
    ms(run.ejectedAfterMs),
    a.latencyAfterFaultMs === undefined
      ? '-'
      : `${num(a.latencyAfterFaultMs.p50, 2)} / ${num(a.latencyAfterFaultMs.p99, 2)}`,
    `${st['upstream_rq_retry'] ?? 0} / ${st['upstream_rq_retry_overflow'] ?? 0} / ${st['upstream_cx_connect_fail'] ?? 0}`,
    `${a.requests} @ ${num(a.achievedRatePerS, 0)}/s`,
    `${num(run.proxyCpuPct, 0)} / ${num(run.otherLoadPct, 0)} / ${num(run.loadCpuBusyPct, 0)}`,
    Object.entries(a.settledAnswers)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ];
}

function failoverSection(result: BenchResult): string[] {
  const f = result.failover;
  if (f === undefined) return [];
  const o = f.options;
  const errorSamples = f.runs.flatMap((r) =>
    r.analysis.firstErrors
      .slice(0, 1)
      .map(
        (e) =>
          `- ${r.label} #${r.run}: at ${num(e.atMs, 1)} ms, status ${e.status}: \`${e.answer.replace(/\s+/g, ' ').slice(0, 120)}\``,
      ),
  );
  return [
    `## Failover (${o.ratePerS} req/s open loop; backend A refuses connections ${o.beforeFaultMs} ms in; consecutive_5xx ${o.consecutive5xx})`,
    '',
    table(
      [
        'variant',
        'errors',
        'expected',
        'holds',
        'errors sent after the Nth',
        '99 % elsewhere after ms',
        'last not elsewhere ms',
        'A ejected after ms',
        'p50 / p99 ms after fault',
        'retries / overflow / connect fails',
        'requests',
        'CPU % Spillway / other / load CPU',
        'answers, 2nd half after fault',
      ],
      f.runs.map(failoverRow),
    ),
    '',
    ...Object.entries(f.holds).map(
      ([label, holds]) =>
        `- ${label}: ${label.startsWith('retry') ? '0 client-visible errors' : `exactly consecutive_5xx (${o.consecutive5xx}) errors`} in every run: **${holds ? 'holds' : 'DOES NOT HOLD'}**`,
    ),
    '',
    '`errors sent after the Nth`: failed requests sent after the client had received the',
    "consecutive_5xx-th failure, i.e. routed after Spillway's outlier detector had seen that many; 0",
    'with inline ejection. Errors above consecutive_5xx that are not counted there were already routed',
    "to A while its first refusals were being detected (requests arriving together, or Spillway's",
    'event loop busy): Envoy ejects inline too, and lets those through as well.',
    '`99 % elsewhere after`: from the fault to the first request from which on every window of 100',
    'consecutive requests has at least 99 answered (200) by B, C or D. `last not elsewhere`: the send',
    'time of the last request after the fault that failed or was answered by A. `A ejected after`: the',
    "EJECT line of Spillway's outlier event log (ms resolution, so it may read a little early).",
    ...(errorSamples.length > 0 ? ['', 'First error of each run:', ...errorSamples] : []),
    '',
  ];
}

function profileSection(result: BenchResult): string[] {
  const p = result.profile;
  if (p === undefined) return [];
  const areas = Object.entries(p.byArea)
    .sort(([, x], [, y]) => y - x)
    .map(([k, v]) => `${k} ${v} ms`)
    .join(', ');
  return [
    `## Spillway CPU profile (node --cpu-prof, wrk -c50, ${num(p.rps, 0)} rps while profiled)`,
    '',
    `Sampled ${p.sampledMs} ms: ${areas}.`,
    '',
    table(
      ['function', 'self %', 'self ms', 'location'],
      p.top.map((e) => [e.functionName, num(e.selfPct, 1), String(e.selfMs), e.location]),
    ),
    '',
    "Spillway's own functions (src/) by self time:",
    '',
    table(
      ['function', 'self %', 'self ms', 'location'],
      p.topSpillway.map((e) => [e.functionName, num(e.selfPct, 1), String(e.selfMs), e.location]),
    ),
    '',
  ];
}

/** The report printed to stdout. */
export function formatReport(result: BenchResult): string {
  return [...throughputSection(result), ...failoverSection(result), ...profileSection(result)].join('\n');
}

function machineSection(result: BenchResult): string[] {
  const m = result.machine;
  return [
    '## Machine',
    '',
    `- CPU: ${m.cpuModel}, ${m.cpuCount} CPUs; ${m.memoryGiB} GiB RAM`,
    `- OS: ${m.os}, kernel ${m.kernel}; CLK_TCK ${m.clockTicksPerS}`,
    `- load average at start: ${m.loadAverageAtStart.join(' / ')}, at the end: ${result.noise.loadAverageAtEnd.join(' / ')}; ` +
      `CPU busy during 1 s before the start: ${result.noise.busyPctBeforeStart.join(' / ')} %`,
    `- CPU speed probe (ms for a fixed loop on CPU 0 / CPU 1; lower is faster, a rise means a contended host): ${Object.entries(
      result.noise.cpuProbeMs,
    )
      .map(([when, ms]) => `${when} ${ms.join(' / ')}`)
      .join(', ')}`,
    `- Node ${m.node}; ${m.nginx}; ${m.haproxy}; ${m.wrk}`,
    `- Spillway revision: ${m.spillwayRevision}`,
    '',
    '## Setup',
    '',
    ...result.setup.map((s) => `- ${s}`),
    '',
  ];
}

function roundsSection(result: BenchResult): string[] {
  const t = result.throughput;
  if (t === undefined) return [];
  const rows = t.samples.map((s) => [
    String(s.round),
    s.target,
    num(s.throughput.rps, 0),
    s.throughput.cpuUsPerRequest === undefined ? '-' : num(s.throughput.cpuUsPerRequest, 1),
    s.throughput.rssKb === undefined ? '-' : num(s.throughput.rssKb / 1024, 1),
    s.latency === undefined ? '-' : String(s.latency.p50Us),
    s.latency === undefined ? '-' : String(s.latency.p99Us),
    String(totalErrors(s.throughput.errors) + (s.latency === undefined ? 0 : totalErrors(s.latency.errors))),
  ]);
  return [
    '## Raw rounds (in run order)',
    '',
    table(['round', 'target', 'rps (c50)', 'CPU µs/req', 'RSS MB', 'c1 p50 µs', 'c1 p99 µs', 'errors'], rows),
    '',
  ];
}

/** The committed markdown file. */
export function formatMarkdownFile(result: BenchResult): string {
  return [
    `# Proxy benchmark, ${result.startedAt.slice(0, 10)}`,
    '',
    `Run \`npm run bench:proxy -- ${result.options.argv.join(' ')}\` (${result.options.rounds} rounds, ${result.options.durationS} s per wrk run), ` +
      `${result.startedAt} to ${result.finishedAt}. Raw data: the .json file of the same name.`,
    '',
    ...machineSection(result),
    formatReport(result),
    ...roundsSection(result),
  ].join('\n');
}
