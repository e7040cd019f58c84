/**
 * The shipped alert rules, checked by the real promtool: `check rules` passes, every unit test in
 * deploy/prometheus/tests passes (each alert firing for the right series and quiet for near misses),
 * every alert has a unit test that expects it to fire, carries for/severity/summary/description and
 * a runbook_url to its section of docs/alerts.md; the PrometheusRule manifest holds the same groups.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCommand } from '../support/run-command.js';
import {
  alertsDoc,
  prometheusRuleFile,
  readRuleGroups,
  renderPrometheusRule,
  rulesFile,
  rulesTestsDir,
} from './deploy-files.js';

const groups = readRuleGroups();
const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
const testFiles = readdirSync(rulesTestsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(rulesTestsDir, f));

test('promtool check rules accepts the shipped rules file', async () => {
  const r = await runCommand('promtool', ['check', 'rules', rulesFile]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('promtool test rules: every alert unit test passes', async () => {
  assert.ok(testFiles.length >= alerts.length, `${testFiles.length} test files`);
  const r = await runCommand('promtool', ['test', 'rules', ...testFiles], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.match(/SUCCESS/g)?.length, testFiles.length, r.stdout);
});

test('every alert is expected to fire by a unit test and stay quiet in one', () => {
  const expectations = testFiles.flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
    };
    return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
  });
  for (const { alert } of alerts) {
    const mine = expectations.filter((e) => e.alertname === alert);
    assert.ok(
      mine.some((e) => (e.exp_alerts?.length ?? 0) > 0),
      `${alert}: no unit test expects it to fire`,
    );
    assert.ok(
      mine.some((e) => (e.exp_alerts?.length ?? 0) === 0),
      `${alert}: no unit test expects it to stay quiet`,
    );
  }
});

test('every alert has for, severity, summary, description and a runbook_url to its docs section', () => {
  const doc = readFileSync(alertsDoc, 'utf8');
  const headings = new Set([...doc.matchAll(/^## (\S+)$/gm)].map((m) => m[1]?.toLowerCase()));
  for (const rule of alerts) {
    const name = rule.alert ?? '';
    assert.match(name, /^Spillway[A-Z]\w+$/);
    assert.match(rule.for ?? '', /^\d+[smh]$/, `${name}: for`);
    assert.ok(['warning', 'critical'].includes(rule.labels?.['severity'] ?? ''), `${name}: severity`);
    assert.ok((rule.annotations?.['summary'] ?? '').length > 0, `${name}: summary`);
    assert.ok((rule.annotations?.['description'] ?? '').length > 0, `${name}: description`);
    const anchor = name.toLowerCase();
    assert.equal(rule.annotations?.['runbook_url'], `docs/alerts.md#${anchor}`, `${name}: runbook_url`);
    assert.ok(headings.has(anchor), `docs/alerts.md has no section "## ${name}"`);
  }
});

test('the PrometheusRule manifest holds exactly the groups of the rules file', () => {
  const expected = renderPrometheusRule(groups);
  if (process.env['SPILLWAY_UPDATE_DEPLOY'] === '1') writeFileSync(prometheusRuleFile, expected);
  const manifest = parse(readFileSync(prometheusRuleFile, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(manifest, parse(expected));
  assert.equal(manifest['apiVersion'], 'monitoring.coreos.com/v1');
  assert.equal(manifest['kind'], 'PrometheusRule');
});
