import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatsStore } from './stats-store.js';
import { formatShortestDouble, histogramQuantiles, renderStatsJson, renderStatsText } from './text-format.js';

const cluster = 'outbound|8080||reviews.default.svc.cluster.local';

/** Two clusters' stats, a server gauge, one histogram with samples and one without. */
function sampleStore(): StatsStore {
  const store = new StatsStore();
  const c1 = store.root.scope('cluster').scope(cluster, 'cluster_name');
  c1.counter('upstream_rq_total').inc(7);
  c1.counter('upstream_cx_connect_fail').inc(0);
  c1.gauge('membership_healthy').set(2);
  c1.scope('outlier_detection').gauge('ejections_active').set(1);
  const c2 = store.root.scope('cluster').scope('a-first', 'cluster_name');
  c2.counter('upstream_rq_total').inc(1);
  store.root.scope('server').gauge('live').set(1);
  const time = c1.histogram('upstream_rq_time', [1, 5, 10]);
  for (const v of [2, 4]) time.record(v);
  c1.histogram('upstream_cx_length', [1, 5, 10]);
  return store;
}

describe('renderStatsText', () => {
  it('prints counters and gauges sorted by name, then histograms as Envoy quantile summaries', () => {
    assert.equal(
      renderStatsText(sampleStore()),
      [
        'cluster.a-first.upstream_rq_total: 1',
        `cluster.${cluster}.membership_healthy: 2`,
        `cluster.${cluster}.outlier_detection.ejections_active: 1`,
        `cluster.${cluster}.upstream_cx_connect_fail: 0`,
        `cluster.${cluster}.upstream_rq_total: 7`,
        'server.live: 1',
        `cluster.${cluster}.upstream_cx_length: No recorded values`,
        `cluster.${cluster}.upstream_rq_time: P0(nan,1) P25(nan,2) P50(nan,3) P75(nan,4) P90(nan,4.6) ` +
          'P95(nan,4.8) P99(nan,4.96) P99.5(nan,4.98) P99.9(nan,4.996) P100(nan,5)',
        '',
      ].join('\n'),
    );
  });

  it('hides zero counters and unrecorded histograms with usedOnly', () => {
    const text = renderStatsText(sampleStore(), { usedOnly: true });
    assert.doesNotMatch(text, /upstream_cx_connect_fail/);
    assert.doesNotMatch(text, /upstream_cx_length/);
    assert.match(text, /upstream_rq_time: P0/);
  });

  it('keeps only stats whose flat name matches the filter (search semantics)', () => {
    assert.equal(
      renderStatsText(sampleStore(), { filter: /outlier_detection|server\./g }),
      `cluster.${cluster}.outlier_detection.ejections_active: 1\nserver.live: 1\n`,
    );
  });

  it('renders an empty store as nothing', () => {
    assert.equal(renderStatsText(new StatsStore()), '');
  });
});

describe('renderStatsJson', () => {
  it("matches the shape of Envoy's /stats?format=json", () => {
    const store = new StatsStore();
    store.root.scope('server').gauge('live').set(1);
    store.root.scope('http').counter('rq_total').inc(2);
    const h = store.root.scope('http').histogram('rq_time', [1, 5, 10]);
    h.record(2);
    const nulls = (cumulative: number): string => `{"cumulative":${cumulative},"interval":null}`;
    assert.equal(
      renderStatsJson(store),
      '{"stats":[{"name":"http.rq_total","value":2},{"name":"server.live","value":1},' +
        '{"histograms":{"supported_quantiles":[0,25,50,75,90,95,99,99.5,99.9,100],"computed_quantiles":[' +
        `{"name":"http.rq_time","values":[${[1, 2, 3, 4, 4.6, 4.8, 4.96, 4.98, 4.996, 5].map(nulls).join(',')}]}]}}]}`,
    );
    const parsed: unknown = JSON.parse(renderStatsJson(store));
    assert.ok(typeof parsed === 'object' && parsed !== null && 'stats' in parsed);
  });

  it('omits the histograms element when no histogram is shown', () => {
    const store = new StatsStore();
    store.root.counter('a').inc();
    store.root.histogram('h');
    assert.equal(renderStatsJson(store, { usedOnly: true }), '{"stats":[{"name":"a","value":1}]}');
    assert.equal(renderStatsJson(new StatsStore()), '{"stats":[]}');
  });
});

describe('histogramQuantiles', () => {
  const cases: Array<{ name: string; buckets: number[]; samples: number[]; expected: number[] }> = [
    {
      name: 'worked example: samples 2, 3, 7 in buckets [1, 5, 10]',
      buckets: [1, 5, 10],
      samples: [2, 3, 7],
      expected: [1, 2.5, 4, 6.25, 8.5, 9.25, 9.85, 9.925, 9.985, 10],
    },
    {
      name: 'one sample in the first bucket interpolates from 0',
      buckets: [10, 20],
      samples: [3],
      expected: [0, 2.5, 5, 7.5, 9, 9.5, 9.9, 9.95, 9.99, 10],
    },
    {
      name: 'samples above the last bucket report the last bound',
      buckets: [1, 5],
      samples: [100, 200],
      expected: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const store = new StatsStore();
      const h = store.root.histogram('h', c.buckets);
      for (const s of c.samples) h.record(s);
      const actual = histogramQuantiles(h);
      actual.forEach((v, i) => assert.ok(Math.abs(v - (c.expected[i] as number)) < 1e-9, `P${i}: ${v}`));
    });
  }

  it('is NaN for a histogram without samples', () => {
    const h = new StatsStore().root.histogram('h');
    assert.ok(histogramQuantiles(h).every(Number.isNaN));
  });
});

describe('formatShortestDouble', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [2.5, '2.5'],
    [9.985, '9.985'],
    [3600000, '3600000'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [Number.NaN, 'nan'],
  ];
  for (const [value, expected] of cases) {
    it(`prints ${value} as ${expected}, like fmt "{}"`, () => {
      assert.equal(formatShortestDouble(value), expected);
    });
  }
});
