/**
 * A pod's `spillway/proxyv2` container (its sidecar, or a gateway's router) as an in-process
 * `ProxyServer` - the same code as `spillway proxy` - started from the bootstrap the agent generated.
 * The bootstrap is written to the pod's directory (as pilot-agent writes envoy-rev.json) and
 * validated in a worker thread like `spillway proxy` does (BootstrapValidator).
 *
 * Exits like Envoy under pilot-agent: an invalid bootstrap or a listener that cannot bind is exit 1
 * (the container then restarts with back-off), `/quitquitquit` is exit 0, a stop drains for up to
 * Istio's default `terminationDrainDuration` (5 s) within the grace period.
 */
import { writeFile } from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import type { BootstrapConfig } from '../../proxy/config/bootstrap-config.js';
import { ProxyServer } from '../../proxy/proxy-server.js';
import {
  appendLogLine,
  exitOf,
  killedExitCode,
  type ContainerExit,
  type RunningContainer,
} from './container-runtime.js';

/** Istio's `terminationDrainDuration` default. */
export const proxyDrainMs = 5000;

export interface ProxyContainerOptions {
  readonly bootstrap: Record<string, unknown>;
  /** Where the bootstrap is written (`<podDir>/istio-proxy-bootstrap.json`). */
  readonly bootstrapPath: string;
  readonly logPath: string;
  readonly clock: Clock;
  /** Validates the bootstrap off the main thread. */
  readonly validator: { load(file: string): Promise<BootstrapConfig> };
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts the proxy; the returned container may already have exited (bad bootstrap, bind failure). */
export async function startProxyContainer(options: ProxyContainerOptions): Promise<RunningContainer> {
  let resolveExit: (exit: ContainerExit) => void = () => {};
  const exited = new Promise<ContainerExit>((resolve) => (resolveExit = resolve));
  let hasExited = false;
  let server: ProxyServer | undefined;
  const end = (exit: ContainerExit): void => {
    if (hasExited) return;
    hasExited = true;
    void appendLogLine(
      options.logPath,
      `exit ${exit.exitCode}${exit.message !== undefined ? `: ${exit.message}` : ''}`,
    );
    resolveExit(exit);
  };
  const shutDown = (graceMs: number, exit: ContainerExit): Promise<void> => {
    const s = server;
    if (s === undefined) {
      end(exit);
      return Promise.resolve();
    }
    return s.close(graceMs).then(
      () => end(exit),
      (err: unknown) => end(exitOf(exit.exitCode, describeError(err))),
    );
  };
  let config: BootstrapConfig | undefined;
  try {
    await writeFile(options.bootstrapPath, `${JSON.stringify(options.bootstrap, null, 2)}\n`);
    config = await options.validator.load(options.bootstrapPath);
  } catch (err) {
    end(exitOf(1, describeError(err)));
  }
  if (config !== undefined) {
    const s = new ProxyServer(config, {
      clock: options.clock,
      onQuit: () => void shutDown(0, exitOf(0)),
      onFatal: (err) => void shutDown(0, exitOf(1, describeError(err))),
    });
    server = s;
    try {
      await s.start();
      const admin = s.adminAddress();
      await appendLogLine(
        options.logPath,
        `proxy started (admin ${admin === undefined ? 'none' : `${admin.address}:${admin.port}`})`,
      );
      void s.whenLive().then(() => {
        if (!hasExited) void appendLogLine(options.logPath, 'proxy live: initial configuration applied');
      });
    } catch (err) {
      await shutDown(0, exitOf(1, describeError(err)));
    }
  }
  return {
    pid: undefined,
    exited,
    async stop(graceMs: number): Promise<ContainerExit> {
      if (!hasExited) await shutDown(Math.min(graceMs, proxyDrainMs), exitOf(0));
      return exited;
    },
    kill(): void {
      if (!hasExited) void shutDown(0, exitOf(killedExitCode));
    },
    async setFault(): Promise<void> {
      // Faults break apps, not their proxies (lab design "Faults").
    },
    isLive: () => !hasExited && server?.state === 'LIVE',
    whenLive: () => server?.whenLive() ?? Promise.resolve(),
    describe: () => {
      const admin = server?.adminAddress();
      return {
        admin: admin === undefined ? null : `${admin.address}:${admin.port}`,
        state: hasExited ? 'EXITED' : (server?.state ?? 'PRE_INITIALIZING'),
        listeners: Object.fromEntries(
          [...(server?.listenerAddresses() ?? new Map())].map(([name, a]) => [
            name,
            `${a.address}:${a.port}`,
          ]),
        ),
        bootstrap: options.bootstrapPath,
      };
    },
  };
}
