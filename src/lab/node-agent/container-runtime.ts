/**
 * What the node agent needs from a running container, whatever runs it (the in-process sample app,
 * a child process, an in-process proxy): its exit, a graceful stop, a kill, and faults.
 */
import { appendFile } from 'node:fs/promises';
import type { FaultSpec } from './app-fault.js';

/** How a container instance ended, as containerStatuses' `terminated` shows it. */
export interface ContainerExit {
  readonly exitCode: number;
  readonly reason: string;
  readonly message?: string;
}

export interface RunningContainer {
  /** The process id of a child-process container. */
  readonly pid: number | undefined;
  /** Resolves once, when the instance has stopped for whatever reason. */
  readonly exited: Promise<ContainerExit>;
  /**
   * Asks the container to stop (SIGTERM for a process; drain for in-process apps) and kills it once
   * `graceMs` passed. Resolves with the exit.
   */
  stop(graceMs: number): Promise<ContainerExit>;
  /** Kills at once (exit 137, as after SIGKILL). */
  kill(): void;
  /** Applies a fault (undefined heals). Only kinds `supportedFaultKinds` lists reach a container. */
  setFault(fault: FaultSpec | undefined): Promise<void>;
  /** For proxies: ready once LIVE (first configuration applied); undefined for other runtimes. */
  isLive?(): boolean;
  /** For proxies: resolves when the proxy turns LIVE. */
  whenLive?(): Promise<void>;
  /** Runtime-specific facts for the control API (admin address, listen address ...). */
  describe(): Record<string, unknown>;
}

/** A container that could not be started (containerd's StartError: exit code 128). */
export class ContainerStartError extends Error {
  readonly exitCode = 128;
  readonly reason = 'StartError';
}

/** Exit code for a container killed by SIGKILL. */
export const killedExitCode = 137;

export function exitOf(exitCode: number, message?: string): ContainerExit {
  return {
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    ...(message !== undefined ? { message } : {}),
  };
}

/** Appends a line to a container log file; logging never fails the container. */
export function appendLogLine(path: string, line: string): Promise<void> {
  return appendFile(path, `${line}\n`).catch(() => {});
}

/** Resolves with `promise`'s value, or with undefined once `ms` passed first (grace periods). */
export function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
  setTimer: (ms: number, fn: () => void) => { cancel(): void },
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimer(ms, () => resolve(undefined));
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      () => {
        timer.cancel();
        resolve(undefined);
      },
    );
  });
}
