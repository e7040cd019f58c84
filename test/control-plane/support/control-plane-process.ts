/**
 * A real `spillway control-plane` child process: started with its flags, its xDS and admin
 * addresses read from the line it prints once listening.
 */
import { spawnSpillway, type RunningCommand } from '../../support/spawn-spillway.js';
import { waitFor } from '../../support/wait-for.js';

export interface ControlPlaneProcess {
  readonly run: RunningCommand;
  readonly xds: { readonly address: string; readonly port: number };
  readonly adminUrl: string;
  /** GET on the admin interface, parsed as JSON (throws on a non-200). */
  json<T = unknown>(path: string): Promise<T>;
  status(path: string): Promise<number>;
  stop(): Promise<void>;
}

const listening = /xDS on ([\d.]+):(\d+), admin on (http:\/\/[\d.]+:\d+)/;

export async function startControlPlane(args: readonly string[]): Promise<ControlPlaneProcess> {
  const run = spawnSpillway(['control-plane', '--debounce-ms', '5', ...args], { SPILLWAY_LOG_LEVEL: 'warn' });
  const m = await waitFor(
    'the control plane to listen',
    () => {
      if (run.child.exitCode !== null) throw new Error(`control plane exited: ${run.stderr()}`);
      return listening.exec(run.stdout()) ?? undefined;
    },
    { timeoutMs: 20_000 },
  );
  const adminUrl = m[3] ?? '';
  return {
    run,
    xds: { address: m[1] ?? '', port: Number(m[2]) },
    adminUrl,
    async json<T>(path: string): Promise<T> {
      const res = await fetch(`${adminUrl}${path}`);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async status(path: string): Promise<number> {
      return (await fetch(`${adminUrl}${path}`)).status;
    },
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const exited = await Promise.race([
          run.exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
        ]);
        clearTimeout(timer);
        if (!exited) await run.kill();
      }
    },
  };
}
