/**
 * `spillway demo` (= `npm run demo`): the main job a newcomer runs. By default the seed's
 * disaster-recovery drill on a lab of its own (src/cli/demo/lab-demo.ts); `--proxy-only` is the
 * older, lab-free look at the data plane alone: one proxy in front of local backends.
 */
import type { Command } from 'commander';
import { setLogLevel } from '../core/logger.js';
import type { LabDemoOptions } from './demo/lab-demo.js';

interface DemoOptions extends LabDemoOptions {
  proxyOnly?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      "The seed's disaster-recovery drill on a two-region lab: steady traffic, a bad release of mockb " +
        'in one zone, failover, heal, the same with retries (no client error), a whole region broken; ' +
        'then a report per phase and the budget figures.',
    )
    .option('--json', 'print the report as JSON instead of text (progress still goes to stderr)')
    .option(
      '--keep',
      'leave the lab running at the end (prints how to reach it; stop it with spillway lab down)',
    )
    .option(
      '--state-dir <dir>',
      'lab state directory (default: a new temporary directory, removed at the end)',
    )
    .option(
      '-f, --file <topology.yaml>',
      "lab topology (default: the seed's two regions, examples/lab/two-regions.yaml)",
    )
    .option(
      '--proxy-only',
      'instead: one proxy in front of local backends in three localities (no lab, ~15 s)',
    )
    .addHelpText(
      'after',
      `
The lab is started with spillway lab up --detach and stopped again at the end, also on failure
and Ctrl-C (not with --keep). The default topology listens on 127.101.0.0/16 and 127.102.0.0/16,
ingress load balancers on port 80 (root or CAP_NET_BIND_SERVICE; use -f with ingressPort 8080
otherwise). The demo app is examples/demo (see its README). Takes about a minute and a half.
Exit status: 0 when every phase behaved as the seed describes and the lab stopped cleanly, 1 when
an expectation failed (the report says which), 130 when interrupted.

--proxy-only runs examples/proxy/three-localities.yaml on 127.0.1.100:10000 (admin :15000) with
backends on 127.0.1.1-6:8000, breaks them one by one and heals them (about 15 seconds).`,
    )
    .action(async (options: DemoOptions) => {
      // The demo's own output is the point; the components' info logs would only interleave with it.
      if (process.env['SPILLWAY_LOG_LEVEL'] === undefined) setLogLevel('warn');
      if (options.proxyOnly === true) {
        const extra = (['keep', 'stateDir', 'file'] as const).filter((o) => options[o] !== undefined);
        if (extra.length > 0) {
          process.stderr.write(
            `spillway demo: --proxy-only runs no lab; it takes only --json (not ${extra.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')})\n`,
          );
          process.exitCode = 1;
          return;
        }
        process.exitCode = await runProxyOnly(options.json === true);
        return;
      }
      // Imported on use: a process running another command never loads the demo's modules.
      const { runLabDemo } = await import('./demo/lab-demo.js');
      process.exitCode = await runLabDemo(options);
    });
}

async function runProxyOnly(isJson: boolean): Promise<number> {
  const { runProxyFailoverDemo } = await import('./demo/proxy-failover-demo.js');
  const report = await runProxyFailoverDemo((line) => {
    if (!isJson) process.stdout.write(`${line}\n`);
    else process.stderr.write(`${line.trim().split('\n')[0]}\n`);
  });
  if (isJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write('\ndone: every step above was measured through the real proxy.\n');
  return 0;
}
