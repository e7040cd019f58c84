/**
 * The measured `spillway control-plane` process: cluster-1 its own (config + discovery), cluster-2
 * a remote (discovery), as in the seed's multi-primary layout. Started from `dist/` with default
 * flags (debounce included), optionally under `node --cpu-prof`, and pinned to its own CPU when the
 * machine has two.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { httpGet } from '../proxy/child-ipc.js';
import { ProcessGroup, sleep, type ManagedProcess } from '../proxy/process-group.js';
import { monoMs } from './mono-time.js';

export const SPILLWAY_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ControlPlaneProcess {
  readonly proc: ManagedProcess;
  readonly xdsAddress: string;
  readonly adminUrl: string;
  /** Monotonic ms when the process was spawned and when /ready first answered 200. */
  readonly startedAtMs: number;
  readonly readyAtMs: number;
}

export interface ControlPlaneStart {
  readonly kubeconfig1: string;
  readonly kubeconfig2: string;
  readonly address: string;
  readonly cpu: number | undefined;
  readonly profileDir: string | undefined;
  readonly nodeFlags: readonly string[];
}

const listening = /xDS on ([\d.]+:\d+), admin on (http:\/\/[\d.]+:\d+)/;

export async function startControlPlane(
  group: ProcessGroup,
  start: ControlPlaneStart,
  timeoutMs = 120_000,
): Promise<ControlPlaneProcess> {
  const nodeFlags = [
    ...start.nodeFlags,
    ...(start.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', start.profileDir]),
  ];
  const startedAtMs = monoMs();
  const proc = group.start(
    'control-plane',
    process.execPath,
    [
      ...nodeFlags,
      SPILLWAY_MAIN,
      'control-plane',
      '--cluster-id',
      'cluster-1',
      '--kubeconfig',
      start.kubeconfig1,
      '--remote',
      `${start.kubeconfig2}=cluster-2`,
      '--xds-address',
      `${start.address}:0`,
      '--admin-address',
      `${start.address}:0`,
      '--log-level',
      'warn',
    ],
    start.cpu === undefined ? {} : { cpu: start.cpu },
  );
  const deadline = monoMs() + timeoutMs;
  let match: RegExpExecArray | null = null;
  while (match === null) {
    if (proc.hasExited) throw new Error(`the control plane exited:\n${ProcessGroup.logTail(proc)}`);
    if (monoMs() > deadline)
      throw new Error(`the control plane did not listen:\n${ProcessGroup.logTail(proc)}`);
    match = listening.exec(readFileSync(proc.logPath, 'utf8'));
    if (match === null) await sleep(20);
  }
  const adminUrl = match[2] ?? '';
  for (;;) {
    if (proc.hasExited) throw new Error(`the control plane exited:\n${ProcessGroup.logTail(proc)}`);
    if ((await httpGet(`${adminUrl}/ready`, 2000)).status === 200) break;
    if (monoMs() > deadline)
      throw new Error(`the control plane did not become ready:\n${ProcessGroup.logTail(proc)}`);
    await sleep(20);
  }
  return { proc, xdsAddress: match[1] ?? '', adminUrl, startedAtMs, readyAtMs: monoMs() };
}

/** Sample values of a Prometheus text exposition, by full series (`name{labels}`). */
export async function scrapeMetrics(adminUrl: string): Promise<Record<string, number>> {
  const { status, body } = await httpGet(`${adminUrl}/metrics`, 10_000);
  if (status !== 200) return {};
  const out: Record<string, number> = {};
  for (const line of body.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out[line.slice(0, space)] = value;
  }
  return out;
}

/** The sum of every series of a metric (all label sets). */
export function metricSum(metrics: Record<string, number>, name: string): number {
  let sum = 0;
  for (const [series, value] of Object.entries(metrics))
    if (series === name || series.startsWith(`${name}{`)) sum += value;
  return sum;
}
