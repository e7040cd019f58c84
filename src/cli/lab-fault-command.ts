/**
 * `spillway lab fault|heal|logs`: break pods of a running lab with real socket-level faults, heal
 * them, read a container's log (docs/lab.md "Faults"). Registered under the `lab` command.
 */
import type { Command } from 'commander';
import type { LabFaultOptions } from './lab-fault-run.js';
import type { LabHealOptions } from './lab-heal-run.js';
import type { LabLogsOptions } from './lab-logs-run.js';

const stateDirHelp = 'lab state directory (default: $SPILLWAY_LAB_DIR or ~/.spillway/lab)';
const targetHelp = 'pod/<name> (or a pod name), deployment/<name>, zone/<zone> or cluster/<cluster>';

function selectorOptions(command: Command): Command {
  return command
    .option('--context <cluster>', 'the cluster to look in (default: every cluster of the lab)')
    .option('-n, --namespace <namespace>', 'namespace of the pods (default: default)')
    .option('--service <name>', 'only the pods this Service selects, within the target')
    .option('--state-dir <dir>', stateDirHelp);
}

export function registerLabFaultCommands(lab: Command): void {
  selectorOptions(
    lab
      .command('fault')
      .description("Break pods' apps with a real socket-level fault: refuse, hang, http-5xx, delay or kill.")
      .argument('<target>', targetHelp)
      .requiredOption('--kind <kind>', 'refuse | hang | http-5xx | delay | kill'),
  )
    .option('--duration <duration>', 'heal by itself after this long (30s, 2m, 1m30s; default: until healed)')
    .option('--delay <duration>', 'kind delay: how much later answers come (default 1s)')
    .option('--status <code>', 'kind http-5xx: the status answered (default 503)')
    .option('--json', 'print what was broken as JSON')
    .addHelpText(
      'after',
      `
Kinds (applied by the node agent to the pod's app container, never to its sidecar):
  refuse     the app's listener closes: connections are refused
  hang       connections are accepted, requests never answered (until healed: then they are)
  http-5xx   every request is answered with --status (503)
  delay      every request is answered --delay (1s) later
  kill       the container is killed once (exit 137) and restarts with back-off
A command container (not the built-in sample app) supports hang and kill only.

Examples:
  spillway lab fault deployment/mockb-ap-northeast-1a --kind refuse
  spillway lab fault zone/ap-northeast-1a --service mockb --kind http-5xx --duration 30s
  spillway lab fault cluster/cluster-2 --kind delay --delay 2s
  spillway lab heal

Every pod is checked first (its node agent answers, the kind applies to its app); if one fails,
nothing is applied. Exit status: 0 when every pod of the target is broken, 1 otherwise (what was
and was not applied is printed per pod).`,
    )
    .action(async (target: string, options: LabFaultOptions) => {
      const { runLabFault } = await import('./lab-fault-run.js');
      process.exitCode = await runLabFault(target, options);
    });

  selectorOptions(
    lab
      .command('heal')
      .description('Heal faulted pods: those of a target, or every pod of the lab.')
      .argument('[target]', `${targetHelp}; default: every pod of the lab (of --context)`),
  )
    .option('--json', 'print what was healed as JSON')
    .addHelpText(
      'after',
      `
Examples:
  spillway lab heal                                   # every fault in the lab
  spillway lab heal deployment/mockb-ap-northeast-1a
  spillway lab heal zone/ap-northeast-1a --service mockb
Exit status: 0 when every node agent concerned answered, 1 otherwise.`,
    )
    .action(async (target: string | undefined, options: LabHealOptions) => {
      const { runLabHeal } = await import('./lab-heal-run.js');
      process.exitCode = await runLabHeal(target, options);
    });

  lab
    .command('logs')
    .description("Print a pod container's log (through its node agent).")
    .argument('<pod>', 'pod/<name> or a pod name')
    .option('-c, --container <name>', "container (default: the app container); 'sidecar': the istio-proxy")
    .option('--context <cluster>', 'the cluster to look in (default: every cluster of the lab)')
    .option('-n, --namespace <namespace>', 'namespace of the pod (default: default)')
    .option('--tail <lines>', 'only the last lines (-1: all the agent keeps, the last 1 MiB)', '-1')
    .option('--state-dir <dir>', stateDirHelp)
    .addHelpText(
      'after',
      `
Examples:
  spillway lab logs mocka-cn-hangzhou-h-5f7c9-abcde
  spillway lab logs pod/mocka-cn-hangzhou-h-5f7c9-abcde -c sidecar --tail 20`,
    )
    .action(async (pod: string, options: LabLogsOptions) => {
      const { runLabLogs } = await import('./lab-logs-run.js');
      process.exitCode = await runLabLogs(pod, options);
    });
}
