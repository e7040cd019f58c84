import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBootstrap } from '../../proxy/bootstrap/bootstrap-builder.js';
import { compileStatsMatcher } from '../../proxy/stats/stats-matcher.js';
import { statsConfigFromAnnotations } from './proxy-stats-matcher.js';

function keeps(annotations: Record<string, string>): (name: string) => boolean {
  const statsConfig = statsConfigFromAnnotations(annotations);
  return compileStatsMatcher(
    buildBootstrap(statsConfig === undefined ? {} : { stats_config: statsConfig }, {}).statsMatcher,
  );
}

test('without stats annotations there is no matcher: cluster stats of app clusters stay on', () => {
  assert.equal(statsConfigFromAnnotations({ 'sidecar.istio.io/inject': 'true' }), undefined);
  assert.equal(keeps({})('cluster.outbound|8080||mockb.default.svc.cluster.local.upstream_rq_total'), true);
});

test("proxy.istio.io/config proxyStatsMatcher narrows like Istio: the user's regexps plus Istio's required entries", () => {
  const kept = keeps({
    'proxy.istio.io/config': 'proxyStatsMatcher:\n  inclusionRegexps:\n  - ".*outlier_detection.*"\n',
  });
  assert.equal(
    kept('cluster.outbound|8080||mockb.default.svc.cluster.local.outlier_detection.ejections_active'),
    true,
  );
  assert.equal(kept('cluster.outbound|8080||mockb.default.svc.cluster.local.upstream_rq_total'), false);
  assert.equal(kept('cluster_manager.active_clusters'), true);
  assert.equal(kept('server.live'), true);
  assert.equal(kept('istiocustom.istio_requests_total.reporter.source'), true);
});

test('the legacy sidecar.istio.io annotations replace the proxy config lists', () => {
  const kept = keeps({
    'sidecar.istio.io/statsInclusionPrefixes': 'cluster.outbound|8080||mockb',
    'proxy.istio.io/config': 'proxyStatsMatcher:\n  inclusionPrefixes: ["http."]\n',
  });
  assert.equal(kept('cluster.outbound|8080||mockb.default.svc.cluster.local.upstream_rq_total'), true);
  assert.equal(kept('http.inbound_0.0.0.0_8080;.downstream_rq_total'), false);
});

test('an unreadable proxy.istio.io/config is ignored', () => {
  assert.equal(statsConfigFromAnnotations({ 'proxy.istio.io/config': ': [' }), undefined);
});
