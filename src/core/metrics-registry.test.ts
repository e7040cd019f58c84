import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from './metrics-registry.js';

test('a labelled counter renders one sample per label set, untyped without _total (ADR 0003)', () => {
  const registry = new MetricsRegistry();
  const pushes = registry.counter(
    'pilot_xds_pushes',
    'Pilot build and send errors for lds, rds, cds and eds.',
    ['type'],
  );
  pushes.with({ type: 'cds' }).inc();
  pushes.with({ type: 'cds' }).inc(2);
  pushes.with({ type: 'eds' }).inc();
  assert.equal(pushes.get({ type: 'cds' }), 3);
  assert.equal(
    registry.render(),
    [
      '# HELP pilot_xds_pushes Pilot build and send errors for lds, rds, cds and eds.',
      '# TYPE pilot_xds_pushes untyped',
      'pilot_xds_pushes{type="cds"} 3',
      'pilot_xds_pushes{type="eds"} 1',
      '',
    ].join('\n'),
  );
});

test('a counter named *_total is a counter; an unlabelled one renders 0 before any increment', () => {
  const registry = new MetricsRegistry();
  registry.counter('requests_total', 'Requests.');
  assert.match(registry.render(), /# TYPE requests_total counter\nrequests_total 0\n/);
});

test('a labelled family without children renders nothing', () => {
  const registry = new MetricsRegistry();
  registry.gauge('pilot_xds', 'Number of endpoints connected to this pilot using XDS.', ['version']);
  assert.equal(registry.render(), '');
});

test('gauges go up and down; label values are escaped', () => {
  const registry = new MetricsRegistry();
  const gauge = registry.gauge('pilot_xds', 'Connected.', ['version']);
  gauge.with({ version: 'a"b\\c\nd' }).inc();
  gauge.with({ version: 'a"b\\c\nd' }).inc();
  gauge.with({ version: 'a"b\\c\nd' }).dec();
  assert.match(registry.render(), /pilot_xds\{version="a\\"b\\\\c\\nd"\} 1\n/);
});

test('a histogram renders cumulative buckets, +Inf, sum and count', () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram('pilot_proxy_convergence_time', 'Convergence.', [0.1, 0.5, 1]);
  h.observe(0.05);
  h.observe(0.1);
  h.observe(0.7);
  h.observe(2);
  assert.equal(
    registry.render(),
    [
      '# HELP pilot_proxy_convergence_time Convergence.',
      '# TYPE pilot_proxy_convergence_time histogram',
      'pilot_proxy_convergence_time_bucket{le="0.1"} 2',
      'pilot_proxy_convergence_time_bucket{le="0.5"} 2',
      'pilot_proxy_convergence_time_bucket{le="1"} 3',
      'pilot_proxy_convergence_time_bucket{le="+Inf"} 4',
      'pilot_proxy_convergence_time_sum 2.85',
      'pilot_proxy_convergence_time_count 4',
      '',
    ].join('\n'),
  );
});

test('a labelled histogram puts le after its own labels', () => {
  const registry = new MetricsRegistry();
  registry.histogram('push_seconds', 'Push time.', [1], ['type']).with({ type: 'lds' }).observe(3);
  assert.match(
    registry.render(),
    /push_seconds_bucket\{type="lds",le="1"\} 0\npush_seconds_bucket\{type="lds",le="\+Inf"\} 1\n/,
  );
});

test('invalid names, missing or unknown labels, duplicate registration and decrements of counters throw', () => {
  const registry = new MetricsRegistry();
  assert.throws(() => registry.counter('bad-name', 'x'), /invalid metric name/);
  assert.throws(() => registry.counter('x', 'x', ['__reserved']), /invalid label name/);
  assert.throws(() => registry.histogram('h', 'x', [1], ['le']), /reserved/);
  assert.throws(() => registry.histogram('h2', 'x', [2, 1]), /ascending/);
  const c = registry.counter('c', 'x', ['type']);
  assert.throws(() => c.with({}), /label "type" missing/);
  assert.throws(() => c.with({ type: 'a', other: 'b' }), /unknown label/);
  assert.throws(() => c.with({ type: 'a' }).inc(-1), /only increases/);
  assert.throws(() => registry.gauge('c', 'x'), /already registered/);
});

test('help text escapes backslashes and newlines', () => {
  const registry = new MetricsRegistry();
  registry.gauge('g', 'line one\nline \\ two').set(1.5);
  assert.match(registry.render(), /# HELP g line one\\nline \\\\ two\n# TYPE g gauge\ng 1.5\n/);
});
