/**
 * Envoy's `/stats/prometheus` text exposition, rendered from a StatsStore.
 *
 * Reproduced from envoyproxy/envoy `source/server/admin/prometheus_stats.cc`
 * (`PrometheusStatsFormatter::metricName`, `formattedTags`, `outputStatType`, `TextFormat`):
 * - metric name = `envoy_` + the tag-extracted name with every char outside `[a-zA-Z0-9_]` replaced
 *   by `_` (`cluster.upstream_rq_total` -> `envoy_cluster_upstream_rq_total`), no suffix added; a
 *   name in a registered custom namespace (`istiocustom.istio_requests_total`) drops the namespace and
 *   gets no prefix;
 * - labels are the stat's tags: names sanitized the same way, values with `\`, newline and `"` escaped;
 *   a stat without tags still prints `{}`;
 * - counters, then gauges, then histograms; families sorted by tag-extracted name, series inside a
 *   family by full stat name (both compared segment by segment, like Envoy's symbol table);
 * - histograms print the cumulative `_bucket{le="..."}` counts in bucket order, then `le="+Inf"`,
 *   `_sum` and `_count`; bounds and sums use `{:.32g}`.
 *
 * Spillway decisions on top of Envoy (so `promtool check metrics` passes while names stay Envoy's):
 * - every family gets a `# HELP <name> envoy stat <tag-extracted name>` line (Envoy prints none);
 * - a counter whose name does not end in `_total` is typed `untyped`; so is a gauge whose name does end
 *   in `_total` (e.g. `envoy_cluster_membership_total`), which promtool rejects as a gauge;
 * - series are grouped by the final Prometheus name, so two stats whose names differ only in
 *   sanitized characters share one `# TYPE` line instead of repeating it.
 * Known limits: promtool also lints unit names (`_ms`, `_milliseconds`) that some Envoy/Istio stats use;
 * those are Envoy's names and are kept. A counter and a gauge with the same Prometheus name would still
 * produce two families, as in Envoy.
 */
import { Histogram, kindOf, type Stat, type StatKind, type StatTag, type StatsStore } from './stats-store.js';
import { formatShortestDouble, isStatShown, type StatsRenderOptions } from './text-format.js';

export interface PrometheusRenderOptions extends StatsRenderOptions {
  /**
   * Envoy `CustomStatNamespaces`: stats named `<namespace>.<rest>` are exported as `<rest>` (sanitized,
   * no `envoy_` prefix), and dropped if that does not start with a letter or `_`.
   */
  readonly customNamespaces?: readonly string[];
}

const nonNameChars = /[^a-zA-Z0-9_]/g;

/** Envoy `sanitizeName`: every character outside `[a-zA-Z0-9_]` becomes `_`. */
export function sanitizePrometheusName(name: string): string {
  return name.replace(nonNameChars, '_');
}

/** Envoy `sanitizeValue` (as Prometheus' own text encoder): escapes `\`, newline and `"`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\\n"]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\"'));
}

/** Envoy `PrometheusStatsFormatter::formattedTags`: `name="value"` joined with `,`. */
export function formatLabels(tags: readonly StatTag[]): string {
  return tags.map((tag) => `${sanitizePrometheusName(tag.name)}="${escapeLabelValue(tag.value)}"`).join(',');
}

/** Envoy `PrometheusStatsFormatter::metricName`; undefined = the stat is not exported. */
export function prometheusMetricName(
  tagExtractedName: string,
  customNamespaces: readonly string[] = [],
): string | undefined {
  for (const namespace of customNamespaces) {
    if (tagExtractedName.startsWith(`${namespace}.`)) {
      const name = sanitizePrometheusName(tagExtractedName.slice(namespace.length + 1));
      return name === '' || /^[0-9]/.test(name) ? undefined : name;
    }
  }
  return `envoy_${sanitizePrometheusName(tagExtractedName)}`;
}

/**
 * A double as C's `%.<precision>g` (fmt `{:.32g}` in Envoy): `precision` significant digits, exact
 * decimal expansion of the binary value, trailing zeros removed, exponent form when the decimal exponent
 * is below -4 or at least `precision`. 0.5 -> `0.5`, 3600000 -> `3600000`,
 * 0.1 -> `0.10000000000000000555111512312578`.
 */
export function formatGeneral(x: number, precision = 32): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, exponentText] = x.toExponential(precision - 1).split('e') as [string, string];
  const exponent = Number(exponentText);
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= precision) {
    const [lead, fraction = ''] = mantissa.replace('-', '').split('.');
    const trimmed = fraction.replace(/0+$/, '');
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${lead as string}${trimmed === '' ? '' : `.${trimmed}`}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  const integerPart = exponent >= 0 ? digits.slice(0, exponent + 1) : '0';
  const fractionPart = (
    exponent >= 0 ? digits.slice(exponent + 1) : '0'.repeat(-exponent - 1) + digits
  ).replace(/0+$/, '');
  return `${sign}${integerPart}${fractionPart === '' ? '' : `.${fractionPart}`}`;
}

/** Envoy's `SymbolTable::lessThan`: compares dotted names segment by segment. */
function compareSegments(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i] as string;
    const y = bs[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

/** Counter and gauge values are uint64 in Envoy; a fractional value (never produced by Envoy) keeps its digits. */
function formatSampleValue(value: number): string {
  return Number.isInteger(value) ? String(value) : formatShortestDouble(value);
}

function prometheusType(kind: StatKind, name: string): string {
  const hasTotalSuffix = name.endsWith('_total');
  if (kind === 'counter') return hasTotalSuffix ? 'counter' : 'untyped';
  if (kind === 'gauge') return hasTotalSuffix ? 'untyped' : 'gauge';
  return 'histogram';
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

function renderHistogramSeries(name: string, histogram: Histogram): string {
  const labels = formatLabels(histogram.name.tags);
  const bucketLabels = labels === '' ? '' : `${labels},`;
  let out = '';
  histogram.buckets.forEach((bound, i) => {
    out += `${name}_bucket{${bucketLabels}le="${formatGeneral(bound)}"} ${histogram.bucketCounts[i] as number}\n`;
  });
  out += `${name}_bucket{${bucketLabels}le="+Inf"} ${histogram.count}\n`;
  out += `${name}_sum{${labels}} ${formatGeneral(histogram.sum)}\n`;
  out += `${name}_count{${labels}} ${histogram.count}\n`;
  return out;
}

interface Family {
  readonly name: string;
  readonly kind: StatKind;
  readonly tagExtractedName: string;
  readonly stats: Stat[];
}

/** Renders the whole store as Prometheus text exposition format 0.0.4. */
export function renderPrometheus(store: StatsStore, options: PrometheusRenderOptions = {}): string {
  let out = '';
  for (const kind of ['counter', 'gauge', 'histogram'] as const) {
    const stats = store
      .all()
      .filter((stat) => kindOf(stat) === kind && isStatShown(stat, options))
      .sort((a, b) => compareSegments(a.name.tagExtracted, b.name.tagExtracted));
    const families = new Map<string, Family>();
    for (const stat of stats) {
      const name = prometheusMetricName(stat.name.tagExtracted, options.customNamespaces);
      if (name === undefined) continue;
      let family = families.get(name);
      if (family === undefined) {
        family = { name, kind, tagExtractedName: stat.name.tagExtracted, stats: [] };
        families.set(name, family);
      }
      family.stats.push(stat);
    }
    for (const family of families.values()) {
      out += `# HELP ${family.name} ${escapeHelp(`envoy stat ${family.tagExtractedName}`)}\n`;
      out += `# TYPE ${family.name} ${prometheusType(family.kind, family.name)}\n`;
      family.stats.sort((a, b) => compareSegments(a.name.flat, b.name.flat));
      for (const stat of family.stats) {
        out +=
          stat instanceof Histogram
            ? renderHistogramSeries(family.name, stat)
            : `${family.name}{${formatLabels(stat.name.tags)}} ${formatSampleValue(stat.value)}\n`;
      }
    }
  }
  return out;
}
