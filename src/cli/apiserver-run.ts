/**
 * What `spillway apiserver` does once its options are parsed: starts the lab cluster's API server,
 * prints where it listens, and serves until SIGTERM/SIGINT.
 */
import { createLogger, setLogLevel } from '../core/logger.js';
import { startApiServer, type RunningApiServer } from '../kube/apiserver/start-api-server.js';
import { reportFatal } from './report-fatal.js';

export interface ApiServerCliOptions {
  address: string;
  port: string;
  dataDir: string;
  clusterName: string;
  writeKubeconfig?: string;
  logLevel?: string;
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
  let server: RunningApiServer;
  try {
    server = await startApiServer({
      dataDir: options.dataDir,
      address: options.address,
      port,
      clusterName: options.clusterName,
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
