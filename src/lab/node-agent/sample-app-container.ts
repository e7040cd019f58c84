/**
 * The built-in sample app (`go-http-sample` images) as an in-process container: env `app`, `version`
 * and `upstream_url`, port 8000 (the image's fixed port), listening on the pod's localhost when a
 * sidecar owns podIP:8000, else on the pod IP, calling upstreams through the sidecar's HTTP proxy.
 * It "exits" like a process would: code 1 when it cannot listen (address in use), 137 when killed, 0
 * after a graceful stop. Faults act on its listener (refuse) or its requests (hang, http-5xx, delay).
 */
import type { Clock } from '../../core/clock.js';
import { SampleApp } from '../sample-app/sample-app.js';
import { FaultGate, type FaultSpec } from './app-fault.js';
import {
  appendLogLine,
  exitOf,
  killedExitCode,
  settledWithin,
  type ContainerExit,
  type RunningContainer,
} from './container-runtime.js';

/** The port the seed's image listens on, whatever the container declares. */
export const sampleAppPort = 8000;

export interface SampleAppContainerOptions {
  /** The container's own `env` (app, version, upstream_url). */
  readonly env: Readonly<Record<string, string>>;
  readonly podIP: string;
  readonly listenHost: string;
  readonly httpProxy: { readonly host: string; readonly port: number } | undefined;
  readonly logPath: string;
  readonly clock: Clock;
  /** A fault already applied to the pod when this instance starts. */
  readonly fault: FaultSpec | undefined;
  /** Listen port (tests may use 0; the lab uses 8000). */
  readonly port?: number;
}

export async function startSampleAppContainer(options: SampleAppContainerOptions): Promise<RunningContainer> {
  const gate = new FaultGate(options.clock);
  const upstreamUrl = options.env['upstream_url'];
  const app = new SampleApp({
    app: options.env['app'] ?? '',
    version: options.env['version'] ?? '',
    ...(upstreamUrl !== undefined && upstreamUrl !== '' ? { upstreamUrl } : {}),
    podIP: options.podIP,
    listenHost: options.listenHost,
    listenPort: options.port ?? sampleAppPort,
    ...(options.httpProxy !== undefined ? { httpProxy: options.httpProxy } : {}),
    gate: (req, res, proceed) => gate.handle(req, res, proceed),
    onError: (err) => void app.close().then(() => end(exitOf(1, err.message))),
  });
  let resolveExit: (exit: ContainerExit) => void = () => {};
  const exited = new Promise<ContainerExit>((resolve) => (resolveExit = resolve));
  let hasExited = false;
  let boundPort: number | undefined;
  const end = (exit: ContainerExit): void => {
    if (hasExited) return;
    hasExited = true;
    gate.close();
    void appendLogLine(
      options.logPath,
      `exit ${exit.exitCode}${exit.message !== undefined ? `: ${exit.message}` : ''}`,
    );
    resolveExit(exit);
  };
  const listen = async (): Promise<boolean> => {
    try {
      boundPort = await app.listen();
      await appendLogLine(options.logPath, `listening on ${options.listenHost}:${boundPort}`);
      return true;
    } catch (err) {
      // Go's net/http would print this and exit 1.
      const message = `listen tcp ${options.listenHost}:${options.port ?? sampleAppPort}: ${(err as Error).message}`;
      await app.close();
      end(exitOf(1, message));
      return false;
    }
  };
  let fault = options.fault;
  gate.set(fault);
  if (fault?.kind !== 'refuse') await listen();
  return {
    pid: undefined,
    exited,
    async stop(graceMs: number): Promise<ContainerExit> {
      if (!hasExited) {
        const drained = await settledWithin(app.drain(), graceMs, (ms, fn) => options.clock.setTimer(ms, fn));
        await app.close();
        end(drained === undefined ? exitOf(killedExitCode) : exitOf(0));
      }
      return exited;
    },
    kill(): void {
      if (hasExited) return;
      void app.close().then(() => end(exitOf(killedExitCode)));
    },
    async setFault(next: FaultSpec | undefined): Promise<void> {
      if (hasExited) return;
      const wasRefusing = fault?.kind === 'refuse';
      fault = next;
      gate.set(next);
      if (next?.kind === 'refuse' && !wasRefusing) {
        await app.stopListening();
        await appendLogLine(options.logPath, 'fault refuse: listener closed');
      } else if (next?.kind !== 'refuse' && wasRefusing) {
        await listen();
      }
    },
    describe: () => ({
      listen: app.isListening && boundPort !== undefined ? `${options.listenHost}:${boundPort}` : null,
      heldRequests: gate.heldCount(),
    }),
  };
}
