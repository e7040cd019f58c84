import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parsePrometheusRequest } from './observability-server.js';
import {
  parsePrometheusDurationMs,
  prometheusConfigYaml,
  settingsProblem,
  shippedRulesFile,
} from './prometheus-config.js';

interface GeneratedConfig {
  readonly global: Record<string, unknown>;
  readonly rule_files: unknown;
  readonly scrape_configs: unknown;
}

test("Prometheus durations: whole h, m, s, ms in order, as Prometheus' model.Duration", () => {
  assert.equal(parsePrometheusDurationMs('1s'), 1000);
  assert.equal(parsePrometheusDurationMs('500ms'), 500);
  assert.equal(parsePrometheusDurationMs('1m30s'), 90_000);
  assert.equal(parsePrometheusDurationMs('2h'), 7_200_000);
  for (const bad of ['', '1.5s', '1', 's', '1s1m', '-1s', '1 s'])
    assert.equal(parsePrometheusDurationMs(bad), undefined, bad);
});

test('settings are checked with the flag named', () => {
  const ok = { port: 9090, scrapeInterval: '1s', evaluationInterval: '1s' };
  assert.equal(settingsProblem(ok), undefined);
  assert.match(settingsProblem({ ...ok, port: 70000 }) ?? '', /^--port must be 1\.\.65535/);
  assert.match(settingsProblem({ ...ok, scrapeInterval: '1.5s' }) ?? '', /^--scrape-interval .* got '1\.5s'/);
  assert.match(
    settingsProblem({ ...ok, evaluationInterval: '10ms' }) ?? '',
    /^--evaluation-interval .*100ms/,
  );
});

test('POST /v1/prometheus bodies: defaults for what is left out, unknown fields refused', () => {
  assert.deepEqual(parsePrometheusRequest({}), {
    port: 9090,
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
  assert.deepEqual(parsePrometheusRequest({ port: 9191, scrapeInterval: '5s' }), {
    port: 9191,
    scrapeInterval: '5s',
    evaluationInterval: '1s',
  });
  assert.equal(
    parsePrometheusRequest({ command: 'rm' }),
    'unknown field command (fields: port, scrapeInterval, evaluationInterval)',
  );
  assert.equal(parsePrometheusRequest([]), 'the body must be a JSON object');
  assert.equal(parsePrometheusRequest({ port: '1' }), 'port must be a number');
});

test('the generated prometheus.yml: one http_sd job, the rules, timeout never above the interval', () => {
  const config = parse(
    prometheusConfigYaml({
      labName: 'e2e',
      targetsUrl: 'http://127.81.0.3:9990/v1/prometheus/targets',
      rulesFile: '/x/spillway-alerts.yaml',
      settings: { port: 9090, scrapeInterval: '500ms', evaluationInterval: '1s' },
    }),
  ) as GeneratedConfig;
  assert.deepEqual(config.global, {
    scrape_interval: '500ms',
    scrape_timeout: '500ms',
    evaluation_interval: '1s',
    external_labels: { lab: 'e2e' },
  });
  assert.deepEqual(config.rule_files, ['/x/spillway-alerts.yaml']);
  assert.deepEqual(config.scrape_configs, [
    {
      job_name: 'spillway',
      http_sd_configs: [{ url: 'http://127.81.0.3:9990/v1/prometheus/targets', refresh_interval: '500ms' }],
    },
  ]);
  const slow = parse(
    prometheusConfigYaml({
      labName: 'e2e',
      targetsUrl: 'http://h/t',
      rulesFile: '/r',
      settings: { port: 9090, scrapeInterval: '1m', evaluationInterval: '1m' },
    }),
  ) as GeneratedConfig;
  assert.equal(slow.global['scrape_timeout'], '10s');
});

test('promtool check config accepts the generated configuration with the shipped rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-prom-config-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(
      file,
      prometheusConfigYaml({
        labName: 'e2e',
        targetsUrl: 'http://127.81.0.3:9990/v1/prometheus/targets',
        rulesFile: shippedRulesFile,
        settings: { port: 9090, scrapeInterval: '1s', evaluationInterval: '1s' },
      }),
    );
    const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS: 8 rules found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
