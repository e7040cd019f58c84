/**
 * Every process the benchmark starts (backends, proxies, wrk, load generators) goes through one
 * `ProcessGroup`, so a failed run, an exception or Ctrl-C never leaves anything behind: `stopAll()`
 * is called from `finally`, and `killAllNow()` from the process `exit` handler as a last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export interface StartOptions {
  /** Pin the process to this CPU (`taskset -c`, which execs the command, so the pid stays the same). */
  readonly cpu?: number;
  /** Open an IPC channel (the child is a Node script that talks with `process.send`). */
  readonly ipc?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Combined stdout/stderr of the process. */
  readonly logPath: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  hasExited: boolean;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class ProcessGroup {
  private readonly running = new Set<ManagedProcess>();
  private sequence = 0;

  constructor(private readonly logDir: string) {}

  /** Starts a long-running process whose output goes to `<logDir>/<name>.log`. */
  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): ManagedProcess {
    const logPath = join(this.logDir, `${name}-${++this.sequence}.log`);
    const fd = openSync(logPath, 'a');
    const [cmd, argv] = pinned(command, args, options.cpu);
    const stdio: ('ignore' | 'ipc' | number)[] = ['ignore', fd, fd];
    if (options.ipc === true) stdio.push('ipc');
    const child = spawn(cmd, argv, { stdio });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => {
        proc.hasExited = true;
        this.running.delete(proc);
        resolve(code);
      });
      child.once('error', () => resolve(null));
    });
    const proc: ManagedProcess = { name, pid: child.pid, child, logPath, exited, hasExited: false };
    this.running.add(proc);
    return proc;
  }

  /** Runs a command to completion (wrk), capturing its output; killed with the group on Ctrl-C. */
  async run(
    name: string,
    command: string,
    args: readonly string[],
    options: StartOptions = {},
  ): Promise<RunResult> {
    const [cmd, argv] = pinned(command, args, options.cpu);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let proc: ManagedProcess | undefined;
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        if (proc !== undefined) {
          proc.hasExited = true;
          this.running.delete(proc);
        }
        resolve(code);
      });
    });
    if (child.pid !== undefined) {
      proc = { name, pid: child.pid, child, logPath: '', exited, hasExited: false };
      this.running.add(proc);
    }
    const code = await exited;
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(proc: ManagedProcess, graceMs = 3000): Promise<void> {
    if (proc.hasExited) return;
    proc.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        proc.child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([proc.exited.then(() => undefined), killed]);
    clearTimeout(timer);
    await proc.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((proc) => this.stop(proc)));
  }

  /** Synchronous last resort for the `exit` handler: SIGKILL whatever is still running. */
  killAllNow(): void {
    for (const proc of this.running) {
      try {
        proc.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.running.clear();
  }

  /** The last lines of a process's log, for error messages. */
  static logTail(proc: ManagedProcess, lines = 15): string {
    try {
      return readFileSync(proc.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

function pinned(command: string, args: readonly string[], cpu: number | undefined): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Polls a TCP port until it accepts a connection; fails early if `proc` exits. */
export async function waitForPort(
  host: string,
  port: number,
  proc: ManagedProcess | undefined,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await canConnect(host, port)) return;
    if (proc?.hasExited === true) {
      throw new Error(
        `${proc.name} exited before listening on ${host}:${port}:\n${ProcessGroup.logTail(proc)}`,
      );
    }
    if (performance.now() > deadline) {
      const tail = proc === undefined ? '' : `:\n${ProcessGroup.logTail(proc)}`;
      throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms${tail}`);
    }
    await sleep(25);
  }
}

/** True when a TCP connection to host:port succeeds (it is closed at once). */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
