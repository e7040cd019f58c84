/**
 * One child process of the supervisor: started in its own process group (so that stopping it also
 * stops whatever it started in that group, and a Ctrl-C in the supervisor's terminal does not reach
 * it directly), stdout and stderr appended to its log file, restarted with back-off if it exits
 * while the lab runs (1 s doubling to 30 s, reset after 60 s up), stopped with SIGTERM and, after a
 * grace period, SIGKILL to the whole group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { ChildCommand } from './lab-components.js';
import type { ProcessKind, ProcessPhase, ProcessState } from './lab-state.js';
import { isAlive, processStartTicks, signalGroup } from './process-identity.js';

export interface SupervisedProcessOptions {
  readonly name: string;
  readonly kind: ProcessKind;
  readonly command: ChildCommand;
  readonly logFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called whenever pid or phase changes (the supervisor rewrites lab.json). */
  readonly onChange: () => void;
}

const firstBackoffMs = 1_000;
const maxBackoffMs = 30_000;
const resetAfterMs = 60_000;

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private phase: ProcessPhase = 'starting';
  private restarts = 0;
  private backoffMs = firstBackoffMs;
  private startedAtMs = 0;
  private startTicks: number | undefined;
  private exitCode: number | null | undefined;
  private signal: string | null | undefined;
  /** Set when the process could not be started at all (spawn error: no 'exit' follows). */
  private spawnError: string | undefined;
  private restartTimer: Timer | undefined;
  /** While false, an exit is a failure to report, not something to restart (the lab is starting). */
  private isRestartAllowed = false;
  private isStopping = false;
  private exitWaiters: Array<() => void> = [];

  constructor(private readonly options: SupervisedProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** True while the current child has exited (and no restart has replaced it yet). */
  get hasExited(): boolean {
    return (
      this.child === undefined ||
      this.spawnError !== undefined ||
      this.child.exitCode !== null ||
      this.child.signalCode !== null
    );
  }

  /** From now on an unexpected exit is restarted with back-off instead of failing the start. */
  allowRestarts(): void {
    this.isRestartAllowed = true;
  }

  start(): void {
    const { command, logFile } = this.options;
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command.command, [...command.args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...command.env },
      });
    } finally {
      closeSync(fd); // the child holds its own copy
    }
    this.child = child;
    this.startedAtMs = this.options.clock.monotonicMs();
    this.exitCode = undefined;
    this.signal = undefined;
    this.spawnError = undefined;
    this.phase = 'running';
    this.startTicks = child.pid === undefined ? undefined : processStartTicks(child.pid);
    child.on('error', (err) => {
      this.options.log.error({ process: this.name, err: err.message }, 'lab process could not start');
      if (child.pid === undefined && child === this.child) {
        this.spawnError = err.message;
        this.phase = 'exited';
        this.options.onChange();
      }
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.options.onChange();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.exitCode = code;
    this.signal = signal;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (this.isStopping) {
      this.phase = 'stopped';
      this.options.onChange();
      return;
    }
    this.phase = 'exited';
    this.options.log.warn({ process: this.name, code, signal }, 'lab process exited');
    if (this.isRestartAllowed) {
      const upMs = this.options.clock.monotonicMs() - this.startedAtMs;
      if (upMs >= resetAfterMs) this.backoffMs = firstBackoffMs;
      const delayMs = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, maxBackoffMs);
      this.phase = 'restarting';
      this.options.log.warn({ process: this.name, delayMs }, 'restarting lab process');
      this.restartTimer = this.options.clock.setTimer(delayMs, () => {
        if (this.isStopping) return;
        this.restarts++;
        this.start();
      });
    }
    this.options.onChange();
  }

  /** Why it exited, with the end of its log, for a start failure message. */
  exitSummary(): string {
    if (this.spawnError !== undefined) {
      return `${this.name} could not be started (${this.options.command.command}: ${this.spawnError})`;
    }
    const how = this.signal != null ? `signal ${this.signal}` : `exit code ${String(this.exitCode)}`;
    return `${this.name} exited (${how}); end of ${this.options.logFile}:\n${logTail(this.options.logFile)}`;
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the child is gone. */
  async stop(graceMs: number): Promise<void> {
    this.isStopping = true;
    this.restartTimer?.cancel();
    const child = this.child;
    if (child?.pid === undefined) return;
    const pid = child.pid;
    if (!this.hasExited) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      signalGroup(pid, 'SIGTERM');
      let timer: Timer | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = this.options.clock.setTimer(graceMs, resolve);
      });
      await Promise.race([exited, timedOut]);
      timer?.cancel();
      if (!this.hasExited) {
        this.options.log.warn({ process: this.name, graceMs }, 'lab process ignored SIGTERM; killing');
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    }
    // Anything the child left running in its group goes too.
    signalGroup(pid, 'SIGKILL');
    this.phase = 'stopped';
  }

  /** Best effort, synchronous: for the supervisor's own crash (process 'exit' handler). */
  killNow(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && !this.hasExited && isAlive(pid)) signalGroup(pid, 'SIGTERM');
  }

  state(): ProcessState {
    return {
      name: this.name,
      kind: this.options.kind,
      pid: this.pid,
      ...(this.startTicks !== undefined ? { startTicks: this.startTicks } : {}),
      command: [this.options.command.command, ...this.options.command.args],
      log: this.options.logFile,
      phase: this.phase,
      restarts: this.restarts,
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
      ...(this.signal !== undefined ? { signal: this.signal } : {}),
    };
  }
}

/** The last lines of a log file (for error messages). */
export function logTail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
