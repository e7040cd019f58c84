/**
 * What `spillway lab up` does: validates the topology, refuses a second lab on one state directory,
 * then either runs the supervisor in this process until SIGINT/SIGTERM, or (--detach) starts it as a
 * detached process, relays its progress over an IPC channel and returns once it reports ready.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock } from '../core/clock.js';
import { createLogger, setLogLevel } from '../core/logger.js';
import { resolveLabComponents } from '../lab/supervisor/lab-components.js';
import { assertNoLabRunning } from '../lab/supervisor/lab-lock.js';
import { resolveStateDir, type LabState } from '../lab/supervisor/lab-state.js';
import { LabSupervisor } from '../lab/supervisor/lab-supervisor.js';
import { logTail } from '../lab/supervisor/supervised-process.js';
import { planLab, type LabPlan } from '../lab/topology/address-plan.js';
import { defaultTopology } from '../lab/topology/default-topology.js';
import { loadTopologyFile } from '../lab/topology/parse-topology.js';
import { formatLabReady } from './lab-report.js';
import { fatalMessage, reportFatal } from './report-fatal.js';

export interface LabUpOptions {
  file?: string;
  detach?: boolean;
  stateDir?: string;
  timeout: string;
  supervise?: boolean;
}

/** Messages from the detached supervisor to the `lab up --detach` that started it. */
type SupervisorMessage =
  | { type: 'progress'; line: string }
  | { type: 'ready'; state: LabState }
  | { type: 'failed'; message: string };

const spillwayBin = fileURLToPath(new URL('../../../bin/spillway', import.meta.url));

function supervisorLogPath(stateDir: string): string {
  return join(stateDir, 'logs', 'supervisor.log');
}

export async function runLabUp(
  options: LabUpOptions,
  hasCommand: (words: readonly string[]) => boolean,
): Promise<number> {
  const timeoutS = Number(options.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    process.stderr.write(
      `spillway lab up: --timeout must be a positive number of seconds, got '${options.timeout}'\n`,
    );
    return 1;
  }
  let plan: LabPlan;
  let stateDir: string;
  const file = options.file === undefined ? undefined : resolve(options.file);
  try {
    plan = planLab(file === undefined ? defaultTopology() : loadTopologyFile(file));
    stateDir = resolveStateDir(options.stateDir);
    assertNoLabRunning(stateDir);
  } catch (err) {
    return reportFatal('lab up', err);
  }
  if (options.supervise === true) return await supervise(plan, stateDir, file, timeoutS, hasCommand, true);
  if (options.detach === true) return await detach(stateDir, file, timeoutS);
  return await supervise(plan, stateDir, file, timeoutS, hasCommand, false);
}

/** Starts the supervisor detached and follows it until it is ready or has failed. */
async function detach(stateDir: string, file: string | undefined, timeoutS: number): Promise<number> {
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const logPath = supervisorLogPath(stateDir);
  const fd = openSync(logPath, 'a');
  const args = [
    spillwayBin,
    'lab',
    'up',
    '--supervise',
    '--state-dir',
    stateDir,
    '--timeout',
    String(timeoutS),
  ];
  if (file !== undefined) args.push('--file', file);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  return await new Promise<number>((done) => {
    let isSettled = false;
    let hasFailed = false;
    const settle = (code: number): void => {
      if (isSettled) return;
      isSettled = true;
      if (child.connected) child.disconnect();
      child.unref();
      done(code);
    };
    child.on('message', (raw: unknown) => {
      const message = raw as SupervisorMessage;
      if (message.type === 'progress') process.stderr.write(`${message.line}\n`);
      else if (message.type === 'ready') {
        process.stdout.write(formatLabReady(message.state, true));
        settle(0);
      } else if (message.type === 'failed') {
        process.stderr.write(`spillway lab up: ${message.message}\n`);
        // It stops what it started and exits; waiting for that keeps `lab up; lab up` race-free.
        hasFailed = true;
      }
    });
    child.on('exit', (code, signal) => {
      if (isSettled) return;
      if (hasFailed) {
        settle(1);
        return;
      }
      process.stderr.write(
        `spillway lab up: the supervisor exited before the lab was ready (${signal ?? `code ${String(code)}`}); ` +
          `end of ${logPath}:\n${logTail(logPath)}\n`,
      );
      settle(1);
    });
  });
}

/** Runs the supervisor in this process (foreground, or as the detached child with `isChild`). */
async function supervise(
  plan: LabPlan,
  stateDir: string,
  file: string | undefined,
  timeoutS: number,
  hasCommand: (words: readonly string[]) => boolean,
  isChild: boolean,
): Promise<number> {
  // In the foreground the progress lines are the output; the supervisor's own logs only warn.
  if (!isChild && process.env['SPILLWAY_LOG_LEVEL'] === undefined) setLogLevel('warn');
  const log = createLogger('lab-supervisor');
  const send = (message: SupervisorMessage): void => {
    if (isChild && process.connected) process.send?.(message);
  };
  // The IPC channel keeps this process alive: once it has nothing more to tell, it lets go.
  const hangUp = (): void => {
    if (isChild && process.connected) process.disconnect();
  };
  const progress = (line: string): void => {
    if (isChild) {
      log.info(line);
      send({ type: 'progress', line });
    } else process.stderr.write(`${line}\n`);
  };
  const components = resolveLabComponents({
    spillway: [process.execPath, spillwayBin],
    hasCommand,
    env: process.env,
    node: process.execPath,
  });
  const supervisor = new LabSupervisor({
    plan,
    stateDir,
    ...(file !== undefined ? { topologyFile: file } : {}),
    components,
    clock: new SystemClock(),
    log,
    progress,
    timeoutMs: timeoutS * 1000,
    supervisorLog: isChild ? supervisorLogPath(stateDir) : '(stderr of lab up)',
  });
  // The supervisor's own crash must not leave children running: they get SIGTERM on the way out.
  process.on('exit', () => supervisor.killAllNow());
  process.on('uncaughtException', (err) => {
    log.fatal({ err: err.stack ?? String(err) }, 'lab supervisor crashed');
    supervisor.killAllNow();
    process.exit(1);
  });
  let stopRequested: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolveSignal) => (stopRequested = resolveSignal));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      // A second Ctrl-C: no more waiting for graceful shutdowns.
      supervisor.killAllNow();
      process.exit(130);
    }
    stopRequested(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (isChild) process.on('SIGHUP', () => {}); // detached: a closing terminal is not a reason to stop

  const started = supervisor.start();
  const first = await Promise.race([
    started.then(
      () => 'ready' as const,
      (err: unknown) => err,
    ),
    stopSignal,
  ]);
  if (first !== 'ready') {
    if (typeof first === 'string') {
      // A signal while starting.
      progress(`${first}: stopping the lab`);
      await supervisor.stop();
      await started.catch(() => {});
      send({ type: 'failed', message: `${first} while starting; the lab was stopped` });
      hangUp();
      return 0;
    }
    const message = fatalMessage(first);
    send({ type: 'failed', message });
    hangUp();
    if (!isChild) reportFatal('lab up', first);
    else log.error(message);
    return 1;
  }
  const state = supervisor.state();
  send({ type: 'ready', state });
  hangUp();
  if (!isChild) process.stdout.write(formatLabReady(state, false));
  const signal = await stopSignal;
  progress(`${signal}: stopping the lab`);
  await supervisor.stop();
  progress('lab stopped');
  return 0;
}
