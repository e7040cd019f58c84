/**
 * `spillway proxy --config <bootstrap.yaml>`: runs the proxy like `envoy -c`. An invalid bootstrap
 * exits with status 1 before any socket is opened, naming file and field path.
 */
import type { Command } from 'commander';
import type { ProxyOptions } from './proxy-run.js';

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

With dynamic_resources.ads_config (Istio's bootstrap shape) the proxy takes its clusters, endpoints,
listeners and routes from the control plane over ADS; /ready answers 503 until the first round has
arrived, and the last good configuration keeps serving while the control plane is away.

Access logs go to stdout (as configured in the bootstrap), the proxy's own logs to stderr.
Exit status: 0 after a clean shutdown (SIGTERM, SIGINT or POST /quitquitquit), 1 for an invalid
configuration or a listener that cannot bind.`,
    )
    .action(async (options: ProxyOptions) => {
      // Imported on use, so that the serving process loads only the proxy's own modules.
      const { runProxy } = await import('./proxy-run.js');
      process.exitCode = await runProxy(options);
    });
}
