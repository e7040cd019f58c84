/**
 * `spillway demo`: the main job a newcomer runs (`npm run demo`).
 */
import type { Command } from 'commander';
import { setLogLevel } from '../core/logger.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Locality failover on one machine: a proxy in front of a service deployed in three localities; ' +
        'backends are broken one by one and the output shows where traffic goes and what was ejected.',
    )
    .option('--json', 'print the measured steps as JSON instead of text')
    .addHelpText(
      'after',
      `
The proxy runs examples/proxy/three-localities.yaml (an Envoy bootstrap shaped like the one Istio
gives a sidecar when a DestinationRule has outlierDetection). It listens on 127.0.1.100:10000 and
127.0.1.100:15000 (admin); the backends use 127.0.1.1-6:8000. Takes about 15 seconds.`,
    )
    .action(async (options: { json?: boolean }) => {
      const isJson = options.json === true;
      // The demo's own output is the point; the proxy's info logs would only interleave with it.
      if (process.env['SPILLWAY_LOG_LEVEL'] === undefined) setLogLevel('warn');
      // Imported on use: a process running another command never loads the demo's modules.
      const { runProxyFailoverDemo } = await import('./demo/proxy-failover-demo.js');
      const report = await runProxyFailoverDemo((line) => {
        if (!isJson) process.stdout.write(`${line}\n`);
        else process.stderr.write(`${line.trim().split('\n')[0]}\n`);
      });
      if (isJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write('\ndone: every step above was measured through the real proxy.\n');
    });
}
