/**
 * Envoy-style statistics: counters, gauges and histograms addressed by a dotted name such as
 * `cluster.<cluster>.outlier_detection.ejections_active`.
 *
 * Names are kept structured instead of being tag-extracted with regexes afterwards: a scope such as
 * `cluster.<name>.` records both the flat Envoy name (for `/stats`) and the tag it stands for
 * (`cluster_name=<name>`), so cluster names containing dots (`outbound|8000||mockb.default.svc.cluster.local`)
 * come out right. Tag names follow Istio's bootstrap `stats_tags` (`cluster_name`,
 * `http_conn_manager_prefix`, `listener_address`), which is what Istio users see in Prometheus.
 */

export type StatKind = 'counter' | 'gauge' | 'histogram';

export interface StatTag {
  readonly name: string;
  readonly value: string;
}

/** A fully resolved stat name. */
export interface StatName {
  /** Envoy's flat name, e.g. `cluster.c1.upstream_rq_total`. */
  readonly flat: string;
  /** Name without the tagged segments, e.g. `cluster.upstream_rq_total` (Prometheus: `envoy_cluster_upstream_rq_total`). */
  readonly tagExtracted: string;
  readonly tags: readonly StatTag[];
}

export class Counter {
  value = 0;
  constructor(readonly name: StatName) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class Gauge {
  value = 0;
  constructor(readonly name: StatName) {}
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

/** Envoy's default histogram buckets (envoyproxy/envoy `source/common/stats/histogram_impl.cc`). */
export const defaultHistogramBuckets: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

export class Histogram {
  readonly bucketCounts: number[];
  count = 0;
  sum = 0;
  constructor(
    readonly name: StatName,
    readonly buckets: readonly number[] = defaultHistogramBuckets,
  ) {
    this.bucketCounts = new Array<number>(buckets.length).fill(0);
  }
  record(value: number): void {
    this.count++;
    this.sum += value;
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) (this.bucketCounts[i] as number)++;
    }
  }
}

export type Stat = Counter | Gauge | Histogram;

/** A view of the store under a name prefix (and the tags that prefix carries). */
export class StatsScope {
  constructor(
    /** The store behind every scope (for stats named outside the scope tree, e.g. Istio's). */
    readonly store: StatsStore,
    private readonly flatPrefix: string,
    private readonly extractedPrefix: string,
    private readonly tags: readonly StatTag[],
  ) {}

  /**
   * A child scope. With `tagName`, the `segment` is a tag value: it appears in the flat name but is
   * removed from the tag-extracted name (like Envoy's tag extractors do).
   */
  scope(segment: string, tagName?: string): StatsScope {
    const flat = `${this.flatPrefix}${segment}.`;
    if (tagName === undefined) {
      return new StatsScope(this.store, flat, `${this.extractedPrefix}${segment}.`, this.tags);
    }
    return new StatsScope(this.store, flat, this.extractedPrefix, [
      ...this.tags,
      { name: tagName, value: segment },
    ]);
  }

  counter(name: string): Counter {
    return this.store.getOrCreate(this.resolve(name), 'counter') as Counter;
  }

  gauge(name: string): Gauge {
    return this.store.getOrCreate(this.resolve(name), 'gauge') as Gauge;
  }

  histogram(name: string, buckets?: readonly number[]): Histogram {
    return this.store.getOrCreate(this.resolve(name), 'histogram', buckets) as Histogram;
  }

  private resolve(name: string): StatName {
    return { flat: this.flatPrefix + name, tagExtracted: this.extractedPrefix + name, tags: this.tags };
  }
}

/** All stats of one proxy. Stats are never deleted while the proxy runs (Envoy keeps them too). */
export class StatsStore {
  private readonly stats = new Map<string, Stat>();
  readonly root: StatsScope = new StatsScope(this, '', '', []);
  private isKept: (flatName: string) => boolean = () => true;
  private readonly decisions = new Map<string, boolean>();

  /** Installs the bootstrap's stats matcher: stats it rejects are left out of `all()`. */
  setMatcher(isKept: (flatName: string) => boolean): void {
    this.isKept = isKept;
    this.decisions.clear();
  }

  getOrCreate(name: StatName, kind: StatKind, buckets?: readonly number[]): Stat {
    const existing = this.stats.get(name.flat);
    if (existing !== undefined) {
      if (kindOf(existing) !== kind) {
        throw new Error(`stat ${name.flat} already exists as a ${kindOf(existing)}, not a ${kind}`);
      }
      return existing;
    }
    const stat =
      kind === 'counter'
        ? new Counter(name)
        : kind === 'gauge'
          ? new Gauge(name)
          : new Histogram(name, buckets);
    this.stats.set(name.flat, stat);
    return stat;
  }

  /** Every stat the matcher keeps, sorted by flat name. */
  all(): Stat[] {
    return [...this.stats.values()]
      .filter((stat) => this.kept(stat.name.flat))
      .sort((a, b) => (a.name.flat < b.name.flat ? -1 : a.name.flat > b.name.flat ? 1 : 0));
  }

  private kept(flat: string): boolean {
    let decision = this.decisions.get(flat);
    if (decision === undefined) {
      decision = this.isKept(flat);
      this.decisions.set(flat, decision);
    }
    return decision;
  }

  find(flat: string): Stat | undefined {
    return this.stats.get(flat);
  }
}

export function kindOf(stat: Stat): StatKind {
  return stat instanceof Counter ? 'counter' : stat instanceof Gauge ? 'gauge' : 'histogram';
}
