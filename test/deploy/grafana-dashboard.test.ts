/**
 * The shipped Grafana dashboard: valid JSON with the failover panels, every panel query is PromQL
 * the real promtool accepts (each one checked as a recording rule), and no variable is left that
 * Prometheus would not understand. (test/lab/lab-prometheus-alerts.test.ts runs the same queries
 * against a real Prometheus scraping the lab, so a misspelt metric shows there as a panel without data.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { runCommand } from '../support/run-command.js';
import { dashboardQueries } from './dashboard-queries.js';
import { dashboardFile } from './deploy-files.js';

const queries = dashboardQueries();

test('the dashboard has the failover view: ejections, priority load, cross-cluster traffic, errors, p99, control plane', () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    uid: string;
    panels: Array<{ id: number; title: string; datasource: { uid: string } }>;
    templating: { list: Array<{ name: string }> };
  };
  assert.equal(dashboard.uid, 'spillway-failover');
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dashboard.panels) assert.equal(p.datasource.uid, '${datasource}', p.title);
  assert.deepEqual(
    dashboard.templating.list.map((v) => v.name),
    ['datasource', 'service'],
  );
  const all = queries.map((q) => q.expr).join('\n');
  for (const metric of [
    'spillway_outlier_ejected',
    'spillway_outlier_ejection_remaining_seconds',
    'spillway_cluster_priority_load',
    'envoy_cluster_outlier_detection_ejections_overflow',
    'istio_requests_total',
    'istio_request_duration_milliseconds_bucket',
    'pilot_xds_pushes',
    'pilot_total_xds_rejects',
    'pilot_proxy_convergence_time_bucket',
    'spillway_cluster_data_age_seconds',
  ]) {
    assert.ok(all.includes(`${metric}{`), `a panel uses ${metric}`);
  }
  assert.match(all, /response_flags=~"\.\*\(UH\|UF\|URX\)\.\*"/);
});

test('promtool accepts every panel query (as recording rules) and no Grafana variable is left', async () => {
  assert.ok(queries.length >= 9);
  for (const q of queries) assert.doesNotMatch(q.expr, /\$/, `panel ${q.panelId} ${q.refId}`);
  const dir = mkdtempSync(join(tmpdir(), 'spillway-dashboard-'));
  try {
    const file = join(dir, 'dashboard-rules.yaml');
    const rules = queries.map((q) => ({
      record: `spillway_dashboard:panel${q.panelId}_${q.refId}`,
      expr: q.expr,
    }));
    writeFileSync(file, stringify({ groups: [{ name: 'spillway-dashboard', rules }] }));
    const r = await runCommand('promtool', ['check', 'rules', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
