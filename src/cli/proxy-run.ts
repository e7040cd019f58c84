/**
 * What `spillway proxy` does once its options are parsed: loads the bootstrap (exit 1 with file and
 * field path when invalid, before any socket opens), serves until SIGTERM/SIGINT/quitquitquit. With
 * `dynamic_resources` the admin interface (and `--admin-address-path`) is up while the proxy still
 * waits for its first configuration from the control plane (`/ready` answers 503 until then).
 */
import { createLogger, setLogLevel } from '../core/logger.js';
import { writeFileAtomic } from '../core/write-file-atomic.js';
import { loadBootstrapInWorker } from '../proxy/bootstrap/load-bootstrap-in-worker.js';
import { ProxyServer } from '../proxy/proxy-server.js';
import { reportFatal } from './report-fatal.js';

const log = createLogger('cli');

export interface ProxyOptions {
  config: string;
  mode: string;
  logLevel?: string;
  adminAddressPath?: string;
  drainTimeS: string;
}

export async function runProxy(options: ProxyOptions): Promise<number> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  let bootstrap;
  try {
    // Validation runs in a worker process whose memory (Envoy's protos, the YAML parser) goes away
    // with it: a serving proxy never needs those again.
    bootstrap = await loadBootstrapInWorker(options.config);
  } catch (err) {
    return reportFatal('proxy', err);
  }
  if (options.mode === 'validate') {
    process.stdout.write(`configuration '${options.config}' OK\n`);
    return 0;
  }
  if (options.mode !== 'serve') {
    process.stderr.write(`spillway proxy: unknown --mode '${options.mode}' (expected serve or validate)\n`);
    return 1;
  }
  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const drainMs = Number(options.drainTimeS) * 1000;
  const stop = (): Promise<void> => {
    stopping ??= server.close(drainMs).then(() => {
      log.info('proxy stopped');
      markStopped();
    });
    return stopping;
  };
  let exitCode = 0;
  const server: ProxyServer = new ProxyServer(bootstrap, {
    onQuit: () => void stop(),
    // Initialization over xDS continues after start(); if it fails (a static listener cannot
    // bind), the process exits as Envoy does.
    onFatal: (err) => {
      exitCode = reportFatal('proxy', err);
      void stop();
    },
  });
  try {
    await server.start();
  } catch (err) {
    await server.close(0).catch(() => {});
    return reportFatal('proxy', err);
  }
  const admin = server.adminAddress();
  if (options.adminAddressPath !== undefined && admin !== undefined) {
    // Atomic, so that a process polling for the file never reads it half written.
    writeFileAtomic(options.adminAddressPath, `${admin.address}:${admin.port}`);
  }
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await stopped;
  return exitCode;
}
