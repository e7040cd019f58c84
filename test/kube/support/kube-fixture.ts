/** A lab API server for integration tests, and real kubectl pointed at it. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MutatingAdmission } from '../../../src/kube/apiserver/admission/mutating-admission.js';
import { startApiServer, type RunningApiServer } from '../../../src/kube/apiserver/start-api-server.js';
import { runCommand, type CommandResult } from '../../support/run-command.js';

export interface RunningKubectl {
  /** Everything kubectl printed on stdout so far. */
  output(): string;
  stderr(): string;
  /** SIGKILLs kubectl (if still running) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface TestCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  server: RunningApiServer;
  /** Runs real kubectl against this cluster (`env` adds variables such as KUBE_EDITOR). */
  kubectl(args: readonly string[], input?: string, env?: NodeJS.ProcessEnv): Promise<CommandResult>;
  /** Starts a long-running kubectl (e.g. `get -w`); stop it with `stop()`, also after a failure. */
  spawnKubectl(args: readonly string[]): RunningKubectl;
  /** Stops the server and starts it again on the same data dir and port (kubeconfig stays valid). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestCluster(
  options: {
    address?: string;
    runControllers?: boolean;
    historyLimit?: number;
    /** False: the API server checks Istio kinds against their CRD only (no istiod webhook). */
    isIstioWebhookEnabled?: boolean;
    admission?: readonly MutatingAdmission[];
  } = {},
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'spillway-kube-'));
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig');
  const address = options.address ?? '127.0.0.1';
  const start = (port: number): Promise<RunningApiServer> =>
    startApiServer({
      dataDir,
      address,
      port,
      clusterName: 'test-cluster',
      kubeconfigPath: kubeconfig,
      runControllers: options.runControllers ?? false,
      bookmarkIntervalMs: 200,
      ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
      ...(options.isIstioWebhookEnabled !== undefined
        ? { isIstioWebhookEnabled: options.isIstioWebhookEnabled }
        : {}),
      ...(options.admission !== undefined ? { admission: options.admission } : {}),
    });
  const cluster: TestCluster = {
    dir,
    dataDir,
    kubeconfig,
    server: await start(0),
    kubectl: (args, input, env) =>
      runCommand('kubectl', args, {
        env: { ...process.env, ...env, KUBECONFIG: kubeconfig, HOME: dir },
        timeoutMs: 30_000,
        ...(input !== undefined ? { input } : {}),
      }),
    spawnKubectl(args) {
      const child = spawn('kubectl', args, {
        env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<void>((resolve) => {
        child.on('close', () => resolve());
        child.on('error', (e) => {
          err += e.message;
          resolve();
        });
      });
      return {
        output: () => out,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    },
    async restart() {
      const port = Number(new URL(cluster.server.url).port);
      await cluster.server.close();
      cluster.server = await start(port);
    },
    async close() {
      await cluster.server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
