/**
 * `spillway lab prometheus`: checks the flags and the binary, asks the lab's supervisor to start
 * Prometheus as one of its processes (POST /v1/prometheus on its observability endpoint, with the
 * token of <stateDir>/supervisor-token), waits until Prometheus answers `/-/ready`, and prints its
 * URL as the last line.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SpillwayError } from '../core/errors.js';
import type { PrometheusInfo } from '../lab/observability/observability-server.js';
import {
  prometheusBinary,
  prometheusMissing,
  settingsProblem,
  shippedRulesFile,
  type PrometheusSettings,
} from '../lab/observability/prometheus-config.js';
import { inspectLab } from '../lab/supervisor/lab-lock.js';
import { readLabState, resolveStateDir } from '../lab/supervisor/lab-state.js';
import { logTail } from '../lab/supervisor/supervised-process.js';
import { reportFatal } from './report-fatal.js';

export interface LabPrometheusOptions {
  port: string;
  scrapeInterval: string;
  evaluationInterval: string;
  timeout: string;
  json?: boolean;
  stateDir?: string;
}

function failed(message: string): SpillwayError {
  return new SpillwayError(ErrorCode.labPrometheusFailed, message);
}

function settingsOf(options: LabPrometheusOptions): PrometheusSettings {
  if (!/^\d+$/.test(options.port)) throw failed(`--port must be 1..65535, got '${options.port}'`);
  const settings = {
    port: Number(options.port),
    scrapeInterval: options.scrapeInterval,
    evaluationInterval: options.evaluationInterval,
  };
  const problem = settingsProblem(settings);
  if (problem !== undefined) throw failed(problem);
  return settings;
}

async function askSupervisor(
  address: string,
  tokenFile: string,
  settings: PrometheusSettings,
): Promise<PrometheusInfo> {
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (err) {
    throw failed(`cannot read the supervisor's token ${tokenFile}: ${(err as Error).message}`);
  }
  const res = await fetch(`http://${address}/v1/prometheus`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as PrometheusInfo & { message?: string };
  if (res.status !== 200) throw failed(body.message ?? `the supervisor answered HTTP ${res.status}`);
  return body;
}

async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Waits for /-/ready; fails early (with the end of its log) once the process had to be restarted. */
async function waitReady(stateDir: string, info: PrometheusInfo, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    if (await isReady(info.url)) return;
    const proc = readLabState(stateDir)?.processes.find((p) => p.name === 'lab/prometheus');
    if (proc !== undefined && (proc.restarts > 0 || proc.phase === 'exited')) {
      throw failed(`Prometheus exited (${info.log}):\n${logTail(info.log)}`);
    }
    if (Date.now() > deadline) {
      throw failed(`Prometheus is not ready at ${info.url} after ${timeoutS} s; see ${info.log}`);
    }
    await sleep(100);
  }
}

export async function runLabPrometheus(options: LabPrometheusOptions): Promise<number> {
  try {
    const settings = settingsOf(options);
    const timeoutS = Number(options.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0)
      throw failed(`--timeout must be a positive number of seconds, got '${options.timeout}'`);
    if (prometheusBinary() === undefined) throw failed(prometheusMissing);
    const stateDir = resolveStateDir(options.stateDir);
    const lab = inspectLab(stateDir);
    if (lab === undefined || !lab.isSupervisorAlive) {
      throw failed(`no lab runs from ${stateDir} (start one with: spillway lab up --detach)`);
    }
    const observability = lab.state.observability;
    if (observability === undefined) {
      throw failed(`the lab in ${stateDir} was started by a build without an observability endpoint`);
    }
    const info = await askSupervisor(observability.address, observability.tokenFile, settings);
    process.stderr.write(
      info.reused === true
        ? `prometheus: already running (pid ${info.pid}) with these settings\n`
        : `prometheus: started (pid ${info.pid}), waiting until ready\n`,
    );
    await waitReady(stateDir, info, timeoutS);
    const result = {
      url: info.url,
      pid: info.pid,
      configFile: info.configFile,
      dataDir: info.dataDir,
      log: info.log,
      rulesFile: shippedRulesFile,
      targetsUrl: observability.targetsUrl,
      scrapeInterval: info.settings.scrapeInterval,
      evaluationInterval: info.settings.evaluationInterval,
    };
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(
        [
          `prometheus ready (pid ${info.pid}); stop it with the lab: spillway lab down`,
          `  config:    ${info.configFile}`,
          `  rules:     ${shippedRulesFile}`,
          `  targets:   ${observability.targetsUrl}`,
          `  data:      ${info.dataDir}`,
          `  log:       ${info.log}`,
          `  alerts:    ${info.url}/alerts`,
          info.url,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (err) {
    return reportFatal('lab prometheus', err);
  }
}
