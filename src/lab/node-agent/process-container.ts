/**
 * A command container as a child process of the agent, in its own process group (`detached`, so the
 * agent can signal the group: a shell's children die with it) with stdout and stderr appended to the
 * container's log file. The kubelet's stop is reproduced on the group: SIGTERM, then SIGKILL after the
 * grace period (`kuberuntime_container.go` killContainer). Exit codes are the process's, or 128 + the
 * signal number when a signal ended it (137 after SIGKILL), as container runtimes report them.
 * A command that cannot be executed is a StartError with runc's wording.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import type { Clock } from '../../core/clock.js';
import type { FaultSpec } from './app-fault.js';
import {
  ContainerStartError,
  exitOf,
  settledWithin,
  type ContainerExit,
  type RunningContainer,
} from './container-runtime.js';

export interface ProcessContainerOptions {
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string | undefined;
  readonly logPath: string;
  readonly clock: Clock;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/** Starts the process; rejects with ContainerStartError when it cannot be executed. */
export async function startProcessContainer(options: ProcessContainerOptions): Promise<RunningContainer> {
  const [file, ...rest] = options.command;
  if (file === undefined) throw new ContainerStartError('the container has no command');
  if (options.workingDir !== undefined) {
    let isDir: boolean;
    try {
      isDir = statSync(options.workingDir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir)
      throw new ContainerStartError(
        `failed to start container process: chdir to cwd ("${options.workingDir}") set in config.json failed: no such file or directory`,
      );
  }
  const logFd = openSync(options.logPath, 'a');
  let child;
  try {
    child = spawn(file, [...rest, ...options.args], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...options.env },
      ...(options.workingDir !== undefined ? { cwd: options.workingDir } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'ENOENT'
          ? `exec: "${file}": executable file not found in $PATH`
          : err.code === 'EACCES'
            ? `exec: "${file}": permission denied`
            : err.message;
      reject(new ContainerStartError(`failed to start container process: ${reason}`));
    });
  });
  const pid = child.pid as number;
  // Later 'error' events (none are expected: signals go to the group) must not end the agent.
  child.on('error', () => {});
  let isStopped = false;
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // Whatever the leader left behind in its group goes with it.
      signalGroup(pid, 'SIGKILL');
      resolve(exitOf(code ?? 128 + signalNumber(signal)));
    });
  });
  return {
    pid,
    exited,
    async stop(graceMs: number): Promise<ContainerExit> {
      if (!isStopped) {
        isStopped = true;
        signalGroup(pid, 'SIGTERM');
        // A group stopped by a `hang` fault would keep SIGTERM pending forever.
        signalGroup(pid, 'SIGCONT');
        const done = await settledWithin(exited, graceMs, (ms, fn) => options.clock.setTimer(ms, fn));
        if (done !== undefined) return done;
        signalGroup(pid, 'SIGKILL');
      }
      return exited;
    },
    kill(): void {
      signalGroup(pid, 'SIGKILL');
    },
    async setFault(fault: FaultSpec | undefined): Promise<void> {
      // Only hang reaches a process (kill goes through kill()); healing resumes the group.
      signalGroup(pid, fault?.kind === 'hang' ? 'SIGSTOP' : 'SIGCONT');
    },
    describe: () => ({ pid, command: [file, ...rest, ...options.args] }),
  };
}
