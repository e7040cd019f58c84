import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  escapeLabelValue,
  formatGeneral,
  formatLabels,
  prometheusMetricName,
  renderPrometheus,
} from './prometheus-format.js';
import { StatsStore } from './stats-store.js';

describe('Prometheus names and labels', () => {
  const names: Array<[string, string]> = [
    ['cluster.upstream_rq_total', 'envoy_cluster_upstream_rq_total'],
    ['cluster.outlier_detection.ejections_active', 'envoy_cluster_outlier_detection_ejections_active'],
    ['http.inbound-0.0.0.0:8080.rq:x', 'envoy_http_inbound_0_0_0_0_8080_rq_x'],
    ['server.état', 'envoy_server__tat'],
  ];
  for (const [tagExtracted, expected] of names) {
    it(`names ${tagExtracted} ${expected}`, () => {
      assert.equal(prometheusMetricName(tagExtracted), expected);
    });
  }

  it('strips a custom namespace without adding envoy_, and drops names starting with a digit', () => {
    assert.equal(
      prometheusMetricName('istiocustom.istio_requests_total', ['istiocustom']),
      'istio_requests_total',
    );
    assert.equal(prometheusMetricName('istiocustom.1bad', ['istiocustom']), undefined);
    assert.equal(prometheusMetricName('istiocustomer.x', ['istiocustom']), 'envoy_istiocustomer_x');
  });

  it('escapes backslash, newline and double quote in label values only', () => {
    assert.equal(escapeLabelValue('a\\b\n"c"|d.e'), 'a\\\\b\\n\\"c\\"|d.e');
    assert.equal(
      formatLabels([
        { name: 'cluster_name', value: 'outbound|80||we"ird.svc' },
        { name: 'weird-tag.name', value: 'v' },
      ]),
      'cluster_name="outbound|80||we\\"ird.svc",weird_tag_name="v"',
    );
  });
});

describe('formatGeneral (%.32g)', () => {
  const cases: Array<[number, string]> = [
    [0.5, '0.5'],
    [1, '1'],
    [3600000, '3600000'],
    [0.1, '0.10000000000000000555111512312578'],
    [12.75, '12.75'],
    [0, '0'],
    [-2.5, '-2.5'],
    [1e-5, '1.0000000000000000818030539140313e-05'],
    [1e32, '1.0000000000000000536616220439347e+32'],
    [22.7, '22.6999999999999992894572642399'],
    [Number.NaN, 'nan'],
  ];
  for (const [value, expected] of cases) {
    it(`prints ${value} as ${expected}`, () => {
      assert.equal(formatGeneral(value), expected);
    });
  }
});

/** The store the exposition tests share: Istio-style cluster names, counters, gauges, a histogram. */
function meshStore(): StatsStore {
  const store = new StatsStore();
  const reviews = store.root
    .scope('cluster')
    .scope('outbound|8080||reviews.default.svc.cluster.local', 'cluster_name');
  const weird = store.root.scope('cluster').scope('outbound|80||we"ird.svc', 'cluster_name');
  reviews.counter('upstream_rq_total').inc(12);
  weird.counter('upstream_rq_total').inc(3);
  reviews.counter('upstream_cx_connect_fail').inc(2);
  reviews.scope('outlier_detection').counter('ejections_enforced_total').inc(1);
  reviews.scope('outlier_detection').gauge('ejections_active').set(1);
  reviews.gauge('membership_total').set(3);
  store.root.scope('server').gauge('live').set(1);
  const time = reviews.histogram('upstream_rq_time', [0.5, 1, 5, 10]);
  for (const v of [0.2, 3, 7, 12.5]) time.record(v);
  return store;
}

describe('renderPrometheus', () => {
  it("renders Envoy's exposition with HELP lines, one TYPE per family and untyped non-_total counters", () => {
    const reviews = 'cluster_name="outbound|8080||reviews.default.svc.cluster.local"';
    assert.equal(
      renderPrometheus(meshStore()),
      [
        '# HELP envoy_cluster_outlier_detection_ejections_enforced_total envoy stat cluster.outlier_detection.ejections_enforced_total',
        '# TYPE envoy_cluster_outlier_detection_ejections_enforced_total counter',
        `envoy_cluster_outlier_detection_ejections_enforced_total{${reviews}} 1`,
        '# HELP envoy_cluster_upstream_cx_connect_fail envoy stat cluster.upstream_cx_connect_fail',
        '# TYPE envoy_cluster_upstream_cx_connect_fail untyped',
        `envoy_cluster_upstream_cx_connect_fail{${reviews}} 2`,
        '# HELP envoy_cluster_upstream_rq_total envoy stat cluster.upstream_rq_total',
        '# TYPE envoy_cluster_upstream_rq_total counter',
        `envoy_cluster_upstream_rq_total{${reviews}} 12`,
        'envoy_cluster_upstream_rq_total{cluster_name="outbound|80||we\\"ird.svc"} 3',
        '# HELP envoy_cluster_membership_total envoy stat cluster.membership_total',
        '# TYPE envoy_cluster_membership_total untyped',
        `envoy_cluster_membership_total{${reviews}} 3`,
        '# HELP envoy_cluster_outlier_detection_ejections_active envoy stat cluster.outlier_detection.ejections_active',
        '# TYPE envoy_cluster_outlier_detection_ejections_active gauge',
        `envoy_cluster_outlier_detection_ejections_active{${reviews}} 1`,
        '# HELP envoy_server_live envoy stat server.live',
        '# TYPE envoy_server_live gauge',
        'envoy_server_live{} 1',
        '# HELP envoy_cluster_upstream_rq_time envoy stat cluster.upstream_rq_time',
        '# TYPE envoy_cluster_upstream_rq_time histogram',
        `envoy_cluster_upstream_rq_time_bucket{${reviews},le="0.5"} 1`,
        `envoy_cluster_upstream_rq_time_bucket{${reviews},le="1"} 1`,
        `envoy_cluster_upstream_rq_time_bucket{${reviews},le="5"} 2`,
        `envoy_cluster_upstream_rq_time_bucket{${reviews},le="10"} 3`,
        `envoy_cluster_upstream_rq_time_bucket{${reviews},le="+Inf"} 4`,
        `envoy_cluster_upstream_rq_time_sum{${reviews}} 22.6999999999999992894572642399`,
        `envoy_cluster_upstream_rq_time_count{${reviews}} 4`,
        '',
      ].join('\n'),
    );
  });

  it('prints a histogram without tags with only the le label on buckets', () => {
    const store = new StatsStore();
    store.root.histogram('listener.downstream_cx_length', [1, 2]).record(1);
    assert.equal(
      renderPrometheus(store),
      '# HELP envoy_listener_downstream_cx_length envoy stat listener.downstream_cx_length\n' +
        '# TYPE envoy_listener_downstream_cx_length histogram\n' +
        'envoy_listener_downstream_cx_length_bucket{le="1"} 1\n' +
        'envoy_listener_downstream_cx_length_bucket{le="2"} 1\n' +
        'envoy_listener_downstream_cx_length_bucket{le="+Inf"} 1\n' +
        'envoy_listener_downstream_cx_length_sum{} 1\n' +
        'envoy_listener_downstream_cx_length_count{} 1\n',
    );
  });

  it('groups stats whose names only differ in sanitized characters under one TYPE line', () => {
    const store = new StatsStore();
    store.root.counter('a.b_total').inc();
    store.root.counter('a-b_total').inc(2);
    const out = renderPrometheus(store);
    assert.equal(out.match(/# TYPE envoy_a_b_total counter/g)?.length, 1);
    assert.match(out, /envoy_a_b_total\{\} 1\nenvoy_a_b_total\{\} 2\n/);
  });

  it('applies usedOnly and the flat-name filter', () => {
    const store = meshStore();
    store.root.counter('idle_total');
    const used = renderPrometheus(store, { usedOnly: true });
    assert.doesNotMatch(used, /idle_total/);
    const filtered = renderPrometheus(store, { filter: /outlier_detection/ });
    assert.deepEqual(
      filtered.split('\n').filter((l) => l.startsWith('# TYPE')),
      [
        '# TYPE envoy_cluster_outlier_detection_ejections_enforced_total counter',
        '# TYPE envoy_cluster_outlier_detection_ejections_active gauge',
      ],
    );
  });

  it('passes `promtool check metrics` (fails, not skips, when promtool is missing)', () => {
    const exposition = renderPrometheus(meshStore());
    const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    if (result.error !== undefined) {
      assert.fail(
        `promtool could not run (${result.error.message}); install it with: apt-get install prometheus`,
      );
    }
    assert.equal(
      result.status,
      0,
      `promtool check metrics failed:\n${result.stdout}${result.stderr}\n${exposition}`,
    );
  });
});

it('a stats matcher leaves rejected stats out of the exposition', () => {
  const store = new StatsStore();
  store.root
    .scope('cluster')
    .scope('c1', 'cluster_name')
    .scope('outlier_detection')
    .gauge('ejections_active');
  store.root.scope('cluster').scope('c1', 'cluster_name').counter('upstream_rq_total');
  store.setMatcher((name) => name.includes('outlier_detection'));
  const text = renderPrometheus(store);
  assert.match(text, /envoy_cluster_outlier_detection_ejections_active\{cluster_name="c1"\} 0/);
  assert.doesNotMatch(text, /upstream_rq_total/);
});
