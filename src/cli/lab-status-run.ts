/**
 * `spillway lab status` and `spillway lab env`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labStatus } from '../lab/supervisor/lab-status.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import { formatLabStatus } from './lab-report.js';
import { reportFatal } from './report-fatal.js';

export interface LabStatusOptions {
  stateDir?: string;
  json?: boolean;
}

export async function runLabStatus(options: LabStatusOptions): Promise<number> {
  try {
    const report = await labStatus(resolveStateDir(options.stateDir));
    process.stdout.write(
      options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatLabStatus(report),
    );
    return report.state === 'running' ? 0 : 1;
  } catch (err) {
    return reportFatal('lab status', err);
  }
}

/** Prints `export KUBECONFIG=<stateDir>/kubeconfig` (single-quoted when the path needs it). */
export function runLabEnv(options: { stateDir?: string }): number {
  const path = join(resolveStateDir(options.stateDir), 'kubeconfig');
  const quoted = /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
  process.stdout.write(`export KUBECONFIG=${quoted}\n`);
  if (!existsSync(path))
    process.stderr.write(`spillway lab env: ${path} does not exist yet (spillway lab up)\n`);
  return 0;
}
