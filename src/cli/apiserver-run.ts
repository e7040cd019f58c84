/**
 * What `spillway apiserver` does once its options are parsed: starts the lab cluster's API server,
 * prints where it listens, and serves until SIGTERM/SIGINT.
 */
import { createLogger, setLogLevel } from '../core/logger.js';
import type { MutatingAdmission } from '../kube/apiserver/admission/mutating-admission.js';
import {
  sidecarInjectionPolicies,
  sidecarInjectorAdmission,
} from '../kube/apiserver/admission/sidecar-injector.js';
import { startApiServer, type RunningApiServer } from '../kube/apiserver/start-api-server.js';
import { reportFatal } from './report-fatal.js';

export interface ApiServerCliOptions {
  address: string;
  port: string;
  dataDir: string;
  clusterName: string;
  writeKubeconfig?: string;
  sidecarInjection: string;
  sidecarNetwork?: string;
  logLevel?: string;
}

/** The admission steps `--sidecar-injection` asks for, or an error text for a bad value. */
function admissionFor(options: ApiServerCliOptions): MutatingAdmission[] | string {
  if (options.sidecarInjection === 'off') return [];
  const policy = sidecarInjectionPolicies.find((p) => p === options.sidecarInjection);
  if (policy === undefined) {
    return `--sidecar-injection must be off, ${sidecarInjectionPolicies.join(' or ')}, got '${options.sidecarInjection}'`;
  }
  return [
    sidecarInjectorAdmission({
      policy,
      clusterId: options.clusterName,
      ...(options.sidecarNetwork !== undefined ? { network: options.sidecarNetwork } : {}),
    }),
  ];
}

export async function runApiServer(options: ApiServerCliOptions): Promise<number> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  const log = createLogger('apiserver');
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `spillway apiserver: --port must be an integer from 0 to 65535, got '${options.port}'\n`,
    );
    return 1;
  }
  const admission = admissionFor(options);
  if (typeof admission === 'string') {
    process.stderr.write(`spillway apiserver: ${admission}\n`);
    return 1;
  }
  let server: RunningApiServer;
  try {
    server = await startApiServer({
      dataDir: options.dataDir,
      address: options.address,
      port,
      clusterName: options.clusterName,
      admission,
      log,
      ...(options.writeKubeconfig !== undefined ? { kubeconfigPath: options.writeKubeconfig } : {}),
    });
  } catch (err) {
    return reportFatal('apiserver', err);
  }
  process.stdout.write(
    `spillway apiserver: cluster '${options.clusterName}' listening on ${server.url}` +
      (server.kubeconfigPath !== undefined ? ` (kubeconfig: ${server.kubeconfigPath})` : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void server.close().then(() => {
        log.info('apiserver stopped');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
