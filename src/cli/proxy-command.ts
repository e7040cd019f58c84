/**
 * `spillway proxy --config <bootstrap.yaml>`: runs the proxy like `envoy -c`. An invalid bootstrap
 * exits with status 1 before any socket is opened, naming file and field path.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SpillwayError } from '../core/errors.js';
import { createLogger, setLogLevel } from '../core/logger.js';
import { releaseEnvoyProtoRoot } from '../envoy/proto-registry.js';
import { loadBootstrapFile } from '../proxy/bootstrap/bootstrap-loader.js';
import { ProxyServer } from '../proxy/proxy-server.js';

const log = createLogger('cli');

interface ProxyOptions {
  config: string;
  mode: string;
  logLevel?: string;
  adminAddressPath?: string;
  drainTimeS: string;
}

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('Run the Envoy-compatible proxy from an Envoy v3 Bootstrap (YAML or JSON), like `envoy -c`.')
    .requiredOption('-c, --config <file>', 'Envoy v3 Bootstrap file (YAML or JSON)')
    .option('--mode <mode>', '`serve` (default) or `validate`: check the configuration and exit', 'serve')
    .option('-l, --log-level <level>', 'log level: trace, debug, info, warn, error')
    .option('--admin-address-path <file>', 'write the admin address (ip:port) to this file once listening')
    .option('--drain-time-s <seconds>', 'on SIGTERM, how long in-flight requests may take to finish', '5')
    .addHelpText(
      'after',
      `
Examples:
  spillway proxy --config examples/proxy/three-priorities.yaml
  spillway proxy --config bootstrap.yaml --mode validate

Access logs go to stdout (as configured in the bootstrap), the proxy's own logs to stderr.
Exit status: 0 after a clean shutdown (SIGTERM, SIGINT or POST /quitquitquit), 1 for an invalid
configuration or a listener that cannot bind.`,
    )
    .action(async (options: ProxyOptions) => {
      process.exitCode = await runProxy(options);
    });
}

async function runProxy(options: ProxyOptions): Promise<number> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  let bootstrap;
  try {
    bootstrap = await loadBootstrapFile(options.config);
  } catch (err) {
    return reportFatal(err);
  }
  // A static bootstrap is validated once; the proto definitions are not needed while serving.
  releaseEnvoyProtoRoot();
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
  const server: ProxyServer = new ProxyServer(bootstrap, { onQuit: () => void stop() });
  try {
    await server.start();
  } catch (err) {
    await server.close(0).catch(() => {});
    return reportFatal(err);
  }
  const admin = server.adminAddress();
  if (options.adminAddressPath !== undefined && admin !== undefined) {
    await writeFile(options.adminAddressPath, `${admin.address}:${admin.port}`);
  }
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await stopped;
  return 0;
}

function reportFatal(err: unknown): number {
  const message =
    err instanceof SpillwayError
      ? `${err.message} [${err.code}]`
      : err instanceof Error
        ? err.message
        : String(err);
  process.stderr.write(`spillway proxy: ${message}\n`);
  return 1;
}
