/**
 * `spillway lab up|down|status|env`: a multi-cluster mesh on one machine (docs/lab.md). The `lab`
 * command is returned so that internal subcommands of the lab (the node agent) register under it.
 */
import { Option, type Command } from 'commander';
import type { LabDownOptions } from './lab-down-run.js';
import type { LabStatusOptions } from './lab-status-run.js';
import type { LabUpOptions } from './lab-up-run.js';

const stateDirHelp = 'lab state directory (default: $SPILLWAY_LAB_DIR or ~/.spillway/lab)';

/** Whether the program has the subcommand `words` (e.g. ['lab', 'node-agent']), at action time. */
function hasCommand(program: Command, words: readonly string[]): boolean {
  let at: Command | undefined = program;
  for (const word of words) at = at?.commands.find((c) => c.name() === word);
  return at !== undefined;
}

export function registerLabCommand(program: Command): Command {
  const lab = program
    .command('lab')
    .description(
      'Run a multi-region, multi-cluster mesh on this machine (API servers, nodes, control planes, gateways).',
    );

  lab
    .command('up')
    .description(
      "Start the lab from a topology (default: the seed's two regions) and wait until it is ready.",
    )
    .option(
      '-f, --file <topology.yaml>',
      'lab topology file (see docs/lab.md; default: examples/lab/two-regions.yaml)',
    )
    .option('--detach', 'return once the lab is ready and leave its supervisor running in the background')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--timeout <seconds>', 'give up (and stop everything) if the lab is not ready by then', '120')
    .addOption(new Option('--supervise', 'internal: run as the detached supervisor').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  spillway lab up --detach && eval "$(spillway lab env)" && kubectl --context cluster-1 get nodes
  spillway lab up -f examples/lab/two-regions.yaml        # runs until Ctrl-C, then stops everything

Progress goes to stderr ("cluster-1: API server ready", "cluster-1: 2/2 nodes Ready", ...); once
ready, where everything is goes to stdout. Every process's log is under <state-dir>/logs/.
Exit status: 0 once ready (--detach) or after a clean stop; 1 for an invalid topology, a lab already
running from the state directory, or a start that failed (everything started is stopped again).`,
    )
    .action(async (options: LabUpOptions) => {
      const { runLabUp } = await import('./lab-up-run.js');
      process.exitCode = await runLabUp(options, (words) => hasCommand(program, words));
    });

  lab
    .command('down')
    .description('Stop the lab: every process, every listening socket; state is kept unless --purge.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--purge', 'also delete the state directory (API server data, logs, kubeconfig)')
    .option('--timeout <seconds>', 'how long the supervisor may take before its processes are killed', '30')
    .addHelpText(
      'after',
      `
After a crash of the supervisor (e.g. kill -9), lab down kills the processes recorded in
<state-dir>/lab.json that are still running. Exit status: 0 when nothing of the lab runs any more.`,
    )
    .action(async (options: LabDownOptions) => {
      const { runLabDown } = await import('./lab-down-run.js');
      process.exitCode = await runLabDown(options);
    });

  lab
    .command('status')
    .description('Show the lab: kubeconfig, clusters (ingress, API server, nodes), meshes, processes.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 when the lab is running, 1 otherwise (what is known is still printed).',
    )
    .action(async (options: LabStatusOptions) => {
      const { runLabStatus } = await import('./lab-status-run.js');
      process.exitCode = await runLabStatus(options);
    });

  lab
    .command('env')
    .description('Print the shell line that points kubectl at the lab: export KUBECONFIG=...')
    .option('--state-dir <dir>', stateDirHelp)
    .addHelpText('after', '\nExample:\n  eval "$(spillway lab env)"; kubectl config get-contexts')
    .action(async (options: { stateDir?: string }) => {
      const { runLabEnv } = await import('./lab-status-run.js');
      process.exitCode = runLabEnv(options);
    });

  return lab;
}
