/**
 * A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Names stay exactly as the component we reproduce spells them (Istio's `pilot_xds_pushes`, a
 * counter without `_total`). As in ADR 0003, a counter whose name does not end in `_total`, or a
 * gauge whose name does, is declared `untyped` so that `promtool check metrics` passes; PromQL
 * treats untyped series like counters for `rate()`/`increase()`.
 *
 * A labelled family with no children yet renders nothing (as client_golang's vectors do); an
 * unlabelled counter or gauge renders its value from the start (0).
 */

export type LabelValues = Readonly<Record<string, string>>;

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== '') parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

abstract class MetricFamily<Child> {
  private readonly children = new Map<string, { values: readonly string[]; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The child for these label values (created on first use); every label name must be given. */
  with(labels: LabelValues = {}): Child {
    const values = this.labelNames.map((label) => {
      const value = labels[label];
      if (value === undefined) throw new Error(`metric ${this.name}: label "${label}" missing`);
      return value;
    });
    if (Object.keys(labels).length !== this.labelNames.length) {
      const unknown = Object.keys(labels).filter((l) => !this.labelNames.includes(l));
      throw new Error(`metric ${this.name}: unknown label(s) ${unknown.join(', ')}`);
    }
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (entry === undefined) {
      entry = { values, child: this.createChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops the child for these label values (e.g. a version no proxy reports any more). */
  remove(labels: LabelValues): void {
    this.children.delete(this.labelNames.map((l) => labels[l] ?? '').join('\u0000'));
  }

  protected abstract createChild(): Child;
  protected abstract typeName(): string;
  protected abstract renderChild(child: Child, values: readonly string[], out: string[]): void;

  render(out: string[]): void {
    if (this.labelNames.length === 0 && this.children.size === 0) this.with({});
    if (this.children.size === 0) return;
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`);
    out.push(`# TYPE ${this.name} ${this.typeName()}`);
    for (const { values, child } of this.children.values()) this.renderChild(child, values, out);
  }
}

/** A monotonically increasing count. */
export class CounterChild {
  value = 0;
  inc(by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only increases (got ${by})`);
    this.value += by;
  }
}

export class Counter extends MetricFamily<CounterChild> {
  inc(by = 1): void {
    this.with({}).inc(by);
  }
  get(labels: LabelValues = {}): number {
    return this.with(labels).value;
  }
  protected createChild(): CounterChild {
    return new CounterChild();
  }
  protected typeName(): string {
    return this.name.endsWith('_total') ? 'counter' : 'untyped';
  }
  protected renderChild(child: CounterChild, values: readonly string[], out: string[]): void {
    out.push(`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(child.value)}`);
  }
}

/** A value that goes up and down. */
export class GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends MetricFamily<GaugeChild> {
  set(value: number): void {
    this.with({}).set(value);
  }
  inc(by = 1): void {
    this.with({}).inc(by);
  }
  dec(by = 1): void {
    this.with({}).dec(by);
  }
  get(labels: LabelValues = {}): number {
    return this.with(labels).value;
  }
  protected createChild(): GaugeChild {
    return new GaugeChild();
  }
  protected typeName(): string {
    return this.name.endsWith('_total') ? 'untyped' : 'gauge';
  }
  protected renderChild(child: GaugeChild, values: readonly string[], out: string[]): void {
    out.push(`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(child.value)}`);
  }
}

/** Observations counted into cumulative buckets (`le`), with their sum and count. */
export class HistogramChild {
  readonly bucketCounts: number[];
  sum = 0;
  count = 0;

  constructor(readonly upperBounds: readonly number[]) {
    this.bucketCounts = upperBounds.map(() => 0);
  }

  observe(value: number): void {
    for (let i = 0; i < this.upperBounds.length; i++) {
      if (value <= (this.upperBounds[i] ?? Infinity)) this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
    }
    this.sum += value;
    this.count++;
  }
}

export class Histogram extends MetricFamily<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly upperBounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  observe(value: number): void {
    this.with({}).observe(value);
  }
  protected createChild(): HistogramChild {
    return new HistogramChild(this.upperBounds);
  }
  protected typeName(): string {
    return 'histogram';
  }
  protected renderChild(child: HistogramChild, values: readonly string[], out: string[]): void {
    for (let i = 0; i < this.upperBounds.length; i++) {
      const le = `le="${formatValue(this.upperBounds[i] ?? Infinity)}"`;
      out.push(
        `${this.name}_bucket${renderLabels(this.labelNames, values, le)} ${formatValue(child.bucketCounts[i] ?? 0)}`,
      );
    }
    out.push(`${this.name}_bucket${renderLabels(this.labelNames, values, 'le="+Inf"')} ${child.count}`);
    out.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${formatValue(child.sum)}`);
    out.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${child.count}`);
  }
}

type AnyFamily = Counter | Gauge | Histogram;

/** One registry per process (or per test); families render in registration order. */
export class MetricsRegistry {
  private readonly families = new Map<string, AnyFamily>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, this.checkLabels(name, labelNames)));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, this.checkLabels(name, labelNames)));
  }

  /** `buckets` are the finite upper bounds, ascending; `+Inf` is always added. */
  histogram(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly string[] = [],
  ): Histogram {
    const labels = this.checkLabels(name, labelNames);
    if (labels.includes('le')) throw new Error(`metric ${name}: "le" is reserved for histogram buckets`);
    const bounds = buckets.filter((b) => b !== Infinity);
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] ?? 0) > (bounds[i - 1] ?? 0)))
        throw new Error(`metric ${name}: buckets must be strictly ascending`);
    }
    return this.register(new Histogram(name, help, labels, bounds));
  }

  /** The family registered under `name`, if any. */
  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.families.get(name);
  }

  /** The text exposition of every family. */
  render(): string {
    const out: string[] = [];
    for (const family of this.families.values()) family.render(out);
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }

  private checkLabels(name: string, labelNames: readonly string[]): readonly string[] {
    if (!metricNamePattern.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const label of labelNames) {
      if (!labelNamePattern.test(label) || label.startsWith('__'))
        throw new Error(`metric ${name}: invalid label name "${label}"`);
    }
    if (new Set(labelNames).size !== labelNames.length)
      throw new Error(`metric ${name}: duplicate label names`);
    return [...labelNames];
  }

  private register<F extends AnyFamily>(family: F): F {
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} is already registered`);
    this.families.set(family.name, family);
    return family;
  }
}
