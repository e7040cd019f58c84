/**
 * Turns the raw round samples into per-target medians/min-max and the four targets. Every
 * ratio is computed within a round (Spillway and its anchor measured minutes apart at most) and the
 * median of those per-round ratios is what is judged, as performance-anchors §7 asks for a noisy VM.
 */
import { spreadOf, type Spread } from './spread.js';
import type { RoundSample } from './throughput-rounds.js';
import type { TargetName } from './throughput-targets.js';
import { totalErrors } from './wrk-runner.js';

export interface TargetSummary {
  readonly name: TargetName;
  readonly rps: Spread | undefined;
  readonly cpuUsPerRequest: Spread | undefined;
  readonly rpsPerCore: Spread | undefined;
  readonly rssMb: Spread | undefined;
  /** wrk -c1 latency of the whole path. */
  readonly latencyP50Us: Spread | undefined;
  readonly latencyP99Us: Spread | undefined;
  /** Latency minus `direct`'s in the same round: the cost of the hop. */
  readonly addedP50Us: Spread | undefined;
  readonly addedP99Us: Spread | undefined;
  /** wrk socket errors, timeouts and non-2xx/3xx responses over all runs of the target. */
  readonly errors: number;
  /** Other processes' share of the proxy CPU during the c50 runs (should be ~0 on a quiet machine). */
  readonly otherLoadPct: Spread | undefined;
}

export interface TargetCheck {
  readonly id: 'cpu-per-request' | 'rps-per-core' | 'added-p50' | 'rss';
  readonly label: string;
  readonly anchor: TargetName;
  readonly unit: string;
  readonly spillway: Spread | undefined;
  readonly anchorValue: Spread | undefined;
  /** Spillway / anchor, per round. */
  readonly ratio: Spread | undefined;
  /** `max`: the ratio must be at most `limit`; `min`: at least. */
  readonly bound: 'max' | 'min';
  readonly limit: number;
  readonly isMet: boolean;
}

type Metric = (s: RoundSample, direct: RoundSample | undefined) => number | undefined;

const metrics = {
  rps: (s) => s.throughput.rps,
  cpuUsPerRequest: (s) => s.throughput.cpuUsPerRequest,
  rpsPerCore: (s) => s.throughput.rpsPerCore,
  rssMb: (s) => (s.throughput.rssKb === undefined ? undefined : s.throughput.rssKb / 1024),
  latencyP50Us: (s) => s.latency?.p50Us,
  latencyP99Us: (s) => s.latency?.p99Us,
  addedP50Us: (s, d) => added(s.latency?.p50Us, s.target === 'direct' ? undefined : d?.latency?.p50Us),
  addedP99Us: (s, d) => added(s.latency?.p99Us, s.target === 'direct' ? undefined : d?.latency?.p99Us),
  otherLoadPct: (s) => s.throughput.otherLoadPct,
} satisfies Record<string, Metric>;

type MetricName = keyof typeof metrics;

function added(value: number | undefined, direct: number | undefined): number | undefined {
  return value === undefined || direct === undefined ? undefined : value - direct;
}

/** metric(target) for every round, in round order (undefined where the round lacks it). */
function perRound(
  samples: readonly RoundSample[],
  target: TargetName,
  metric: MetricName,
): (number | undefined)[] {
  const rounds = [...new Set(samples.map((s) => s.round))].sort((a, b) => a - b);
  return rounds.map((round) => {
    const sample = samples.find((s) => s.round === round && s.target === target);
    const direct = samples.find((s) => s.round === round && s.target === 'direct');
    return sample === undefined ? undefined : metrics[metric](sample, direct);
  });
}

export function summariseTargets(
  samples: readonly RoundSample[],
  targets: readonly TargetName[],
): TargetSummary[] {
  return targets.map((name) => {
    const spread = (metric: MetricName): Spread | undefined => spreadOf(perRound(samples, name, metric));
    const own = samples.filter((s) => s.target === name);
    return {
      name,
      rps: spread('rps'),
      cpuUsPerRequest: spread('cpuUsPerRequest'),
      rpsPerCore: spread('rpsPerCore'),
      rssMb: spread('rssMb'),
      latencyP50Us: spread('latencyP50Us'),
      latencyP99Us: spread('latencyP99Us'),
      addedP50Us: spread('addedP50Us'),
      addedP99Us: spread('addedP99Us'),
      otherLoadPct: spread('otherLoadPct'),
      errors: own.reduce(
        (sum, s) =>
          sum +
          totalErrors(s.throughput.errors) +
          (s.latency === undefined ? 0 : totalErrors(s.latency.errors)),
        0,
      ),
    };
  });
}

/** Spillway / anchor for one metric, round by round; rounds where the anchor is <= 0 are skipped. */
export function ratioPerRound(
  samples: readonly RoundSample[],
  metric: MetricName,
  subject: TargetName,
  anchor: TargetName,
): Spread | undefined {
  const a = perRound(samples, subject, metric);
  const b = perRound(samples, anchor, metric);
  return spreadOf(
    a.map((value, i) => {
      const base = b[i];
      return value === undefined || base === undefined || base <= 0 ? undefined : value / base;
    }),
  );
}

interface CheckSpec {
  readonly id: TargetCheck['id'];
  readonly label: string;
  readonly metric: MetricName;
  readonly anchor: TargetName;
  readonly unit: string;
  readonly bound: 'max' | 'min';
  readonly limit: number;
}

/** The targets for Spillway. */
const CHECKS: readonly CheckSpec[] = [
  {
    id: 'cpu-per-request',
    label: 'CPU per request',
    metric: 'cpuUsPerRequest',
    anchor: 'nginx',
    unit: 'µs',
    bound: 'max',
    limit: 2.5,
  },
  {
    id: 'rps-per-core',
    label: 'requests/s per proxy core',
    metric: 'rpsPerCore',
    anchor: 'nginx',
    unit: 'rps',
    bound: 'min',
    limit: 0.4,
  },
  {
    id: 'added-p50',
    label: 'added p50 per hop',
    metric: 'addedP50Us',
    anchor: 'nginx',
    unit: 'µs',
    bound: 'max',
    limit: 1.5,
  },
  {
    id: 'rss',
    label: 'RSS, 1,000 endpoints loaded',
    metric: 'rssMb',
    anchor: 'node-http',
    unit: 'MB',
    bound: 'max',
    limit: 1.2,
  },
];

export function checkTargets(samples: readonly RoundSample[]): TargetCheck[] {
  return CHECKS.map((spec) => {
    const ratio = ratioPerRound(samples, spec.metric, 'spillway', spec.anchor);
    const isMet =
      ratio !== undefined && (spec.bound === 'max' ? ratio.median <= spec.limit : ratio.median >= spec.limit);
    return {
      id: spec.id,
      label: spec.label,
      anchor: spec.anchor,
      unit: spec.unit,
      spillway: spreadOf(perRound(samples, 'spillway', spec.metric)),
      anchorValue: spreadOf(perRound(samples, spec.anchor, spec.metric)),
      ratio,
      bound: spec.bound,
      limit: spec.limit,
      isMet,
    };
  });
}
