/**
 * Envoy's admin `/stats` output (text) and `/stats?format=json`, rendered from a StatsStore.
 *
 * Sources: envoyproxy/envoy `source/server/admin/ungrouped_stats_request.cc` (which stats, in which
 * order: counters and gauges together sorted by name, then histograms), `stats_render.cc`
 * (`StatsTextRender`, `StatsJsonRender`), `source/common/stats/thread_local_store.cc`
 * (`ParentHistogramImpl::quantileSummary`) and `histogram_impl.cc` (supported quantiles).
 *
 * Simplifications, because the store keeps bucket counts rather than Envoy's circllhist:
 * - quantiles are interpolated linearly inside the store's buckets (circllhist interpolates inside its
 *   own, much finer, bins the same way); a quantile that falls above the last bucket is that bound;
 * - there is no stats flush interval, so the "interval" half of each quantile is always empty: `nan` in
 *   text, `null` in JSON, which is what Envoy prints when the last interval recorded nothing;
 * - "used" means non-zero (a counter or gauge) or recorded at least once (a histogram); Envoy also counts
 *   a gauge that went back to 0 as used.
 */
import { Histogram, type Counter, type Gauge, type Stat, type StatsStore } from './stats-store.js';

export interface StatsRenderOptions {
  /** Only stats whose flat name matches (search semantics, like Envoy's `filter=` with std::regex). */
  readonly filter?: RegExp;
  /** Only stats that were ever used (Envoy `usedonly`). */
  readonly usedOnly?: boolean;
}

/** Envoy `HistogramStatisticsImpl::supportedQuantiles()`. */
export const supportedQuantiles: readonly number[] = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];

/** `fmt::format("P{:g}", 100 * q)` for each supported quantile. */
const quantileLabels = ['0', '25', '50', '75', '90', '95', '99', '99.5', '99.9', '100'];

export function isStatUsed(stat: Stat): boolean {
  return stat instanceof Histogram ? stat.count > 0 : stat.value !== 0;
}

/** Envoy `StatsParams::shouldShowMetric`: the used-only test, then the name filter. */
export function isStatShown(stat: Stat, options: StatsRenderOptions): boolean {
  if (options.usedOnly === true && !isStatUsed(stat)) return false;
  // String.search ignores `lastIndex`, so a /g or /y filter behaves like std::regex_search.
  return options.filter === undefined || stat.name.flat.search(options.filter) !== -1;
}

/**
 * A double as `fmt::format("{}")` prints it: the shortest digits that round-trip, in fixed notation
 * for decimal exponents -4..15 and as `1.5e+16` otherwise; NaN is `nan`.
 */
export function formatShortestDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(x);
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/**
 * Quantiles of a histogram from its cumulative bucket counts, interpolating linearly inside the bucket
 * where the rank falls (the rule circllhist's `hist_approx_quantile` applies to its bins). Empty
 * buckets are skipped, so q=0 is the lower edge of the first non-empty bucket (0 for the first bucket)
 * and q=1 the upper edge of the last one. NaN for a histogram without samples.
 *
 * Worked example: buckets [1, 5, 10], samples 2, 3, 7 (cumulative counts [0, 2, 3]). The non-empty
 * buckets are (1,5] with 2 samples and (5,10] with 1. P0 = 1; P25: rank 0.75 in (1,5] gives
 * 1 + 0.75/2 * 4 = 2.5; P50: rank 1.5 gives 4; P100: rank 3 in (5,10] gives 5 + 1/1 * 5 = 10.
 */
export function histogramQuantiles(histogram: Histogram, quantiles = supportedQuantiles): number[] {
  const total = histogram.count;
  if (total === 0) return quantiles.map(() => Number.NaN);
  const { buckets, bucketCounts } = histogram;
  return quantiles.map((q) => {
    const rank = q * total;
    let below = 0;
    for (let i = 0; i <= buckets.length; i++) {
      const cumulative = i < buckets.length ? (bucketCounts[i] as number) : total;
      const inBucket = cumulative - below;
      if (inBucket > 0 && cumulative >= rank) {
        const lower = i === 0 ? 0 : (buckets[i - 1] as number);
        // Above the last bound the width is unknown: report the bound (as Prometheus does).
        if (i === buckets.length) return lower;
        return lower + ((rank - below) / inBucket) * ((buckets[i] as number) - lower);
      }
      below = cumulative;
    }
    return buckets.length === 0 ? 0 : (buckets[buckets.length - 1] as number);
  });
}

function byName(a: Stat, b: Stat): number {
  return a.name.flat < b.name.flat ? -1 : a.name.flat > b.name.flat ? 1 : 0;
}

interface SelectedStats {
  /** Counters and gauges, sorted by name. */
  readonly numeric: Array<Counter | Gauge>;
  readonly histograms: Histogram[];
}

function selectStats(store: StatsStore, options: StatsRenderOptions): SelectedStats {
  const numeric: Array<Counter | Gauge> = [];
  const histograms: Histogram[] = [];
  for (const stat of store.all()) {
    if (!isStatShown(stat, options)) continue;
    if (stat instanceof Histogram) histograms.push(stat);
    else numeric.push(stat);
  }
  numeric.sort(byName);
  histograms.sort(byName);
  return { numeric, histograms };
}

/** A counter or gauge value as Envoy prints a uint64. */
function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : formatShortestDouble(value);
}

/**
 * Envoy `/stats`: `name: value` per counter and gauge, then each histogram as
 * `name: P0(nan,1) P25(nan,2.5) ... P100(nan,10)` (interval, cumulative) or `name: No recorded values`.
 */
export function renderStatsText(store: StatsStore, options: StatsRenderOptions = {}): string {
  const { numeric, histograms } = selectStats(store, options);
  let out = '';
  for (const stat of numeric) out += `${stat.name.flat}: ${formatValue(stat.value)}\n`;
  for (const histogram of histograms) {
    if (!isStatUsed(histogram)) {
      out += `${histogram.name.flat}: No recorded values\n`;
      continue;
    }
    const cumulative = histogramQuantiles(histogram);
    const summary = quantileLabels.map(
      (label, i) => `P${label}(nan,${formatShortestDouble(cumulative[i] as number)})`,
    );
    out += `${histogram.name.flat}: ${summary.join(' ')}\n`;
  }
  return out;
}

function jsonNumber(x: number): string {
  return Number.isNaN(x) ? 'null' : Number.isInteger(x) ? String(x) : formatShortestDouble(x);
}

/**
 * Envoy `/stats?format=json`:
 * `{"stats":[{"name":"a","value":1},...,{"histograms":{"supported_quantiles":[0,25,...,100],
 * "computed_quantiles":[{"name":"h","values":[{"cumulative":1,"interval":null},...]}]}}]}`; the
 * histograms element is present only when a histogram is shown.
 */
export function renderStatsJson(store: StatsStore, options: StatsRenderOptions = {}): string {
  const { numeric, histograms } = selectStats(store, options);
  const entries = numeric.map(
    (stat) => `{"name":${JSON.stringify(stat.name.flat)},"value":${jsonNumber(stat.value)}}`,
  );
  if (histograms.length > 0) {
    const computed = histograms.map((histogram) => {
      const values = histogramQuantiles(histogram).map(
        (q) => `{"cumulative":${jsonNumber(q)},"interval":null}`,
      );
      return `{"name":${JSON.stringify(histogram.name.flat)},"values":[${values.join(',')}]}`;
    });
    const supported = supportedQuantiles.map((q) => jsonNumber(q * 100)).join(',');
    entries.push(
      `{"histograms":{"supported_quantiles":[${supported}],"computed_quantiles":[${computed.join(',')}]}}`,
    );
  }
  return `{"stats":[${entries.join(',')}]}`;
}
