/**
 * `spillway lab down [--purge]`: stops the lab of a state directory, also after its supervisor
 * crashed (src/lab/supervisor/lab-shutdown.ts).
 */
import { SystemClock } from '../core/clock.js';
import { shutDownLab } from '../lab/supervisor/lab-shutdown.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import { reportFatal } from './report-fatal.js';

export interface LabDownOptions {
  stateDir?: string;
  purge?: boolean;
  timeout: string;
}

export async function runLabDown(options: LabDownOptions): Promise<number> {
  const timeoutS = Number(options.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    process.stderr.write(
      `spillway lab down: --timeout must be a positive number of seconds, got '${options.timeout}'\n`,
    );
    return 1;
  }
  const stateDir = resolveStateDir(options.stateDir);
  try {
    const result = await shutDownLab(stateDir, {
      clock: new SystemClock(),
      supervisorTimeoutMs: timeoutS * 1000,
      purge: options.purge === true,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    if (!result.hadLab) {
      process.stdout.write(`no lab in ${stateDir}${result.isPurged ? ' (state directory removed)' : ''}\n`);
    } else {
      process.stdout.write(
        `lab stopped: no lab process is left` +
          (result.killedLeftovers.length > 0
            ? ` (${result.killedLeftovers.length} leftovers of a crashed supervisor killed)`
            : '') +
          (result.isPurged
            ? `; ${stateDir} removed\n`
            : `; state kept in ${stateDir} (--purge removes it)\n`),
      );
    }
    return 0;
  } catch (err) {
    return reportFatal('lab down', err);
  }
}
