/**
 * `spillway explain --context <cluster> --pod <pod> [-n <ns>] --service <host>[:port] [--json]`: the
 * priority ladder one pod's sidecar uses for one service, and why (docs/explain.md).
 */
import type { Command } from 'commander';
import type { ExplainOptions } from './explain-run.js';

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description(
      "Why a pod's traffic for a service goes where it goes: the priority ladder of its sidecar (loads, panic, " +
        'endpoint health, ejections with reason and time left) and the DestinationRule/VirtualService fields behind it.',
    )
    .option(
      '--context <name>',
      "kubeconfig context of the pod's cluster (as kubectl; default: the current context)",
    )
    .option('--pod <name>', 'the pod whose sidecar to ask')
    .option(
      '-n, --namespace <ns>',
      "the pod's namespace; short service names are resolved from it",
      'default',
    )
    .requiredOption(
      '--service <host[:port]>',
      'the service: mockb, mockb.other, mockb.default.svc.cluster.local:8000',
    )
    .option('--json', 'print the same facts as JSON')
    .option('--kubeconfig <file>', "kubeconfig (default: $KUBECONFIG, else the running lab's)")
    .option(
      '--admin <ip:port>',
      "the sidecar's admin address; skips Kubernetes and the lab (e.g. after kubectl port-forward pod/<pod> 15000)",
    )
    .option(
      '--control-plane <ip:port>',
      "the control plane's admin address (default: from the proxy's bootstrap, xDS host with port 15014)",
    )
    .option('--state-dir <dir>', 'lab state directory (default: $SPILLWAY_LAB_DIR or ~/.spillway/lab)')
    .addHelpText(
      'after',
      `
Examples:
  spillway explain --context cluster-2 --pod mocka-ap-northeast-1a-7d9c-x2k4p --service mockb
  spillway explain --admin 127.0.0.1:15000 -n default --service mockb:8000 --json

The proxy side comes from the sidecar's admin page /spillway/clusters (found through the lab's node
agent, or --admin); the config side from the control plane's /debug/explainz. If the control plane
cannot be asked, the proxy side is still printed and the missing part is named.
Exit status: 0 when the ladder was printed; 1 for a pod that is not found or has no sidecar, a
service the proxy does not know (the closest clusters are listed), or an unreachable proxy.`,
    )
    .action(async (options: ExplainOptions) => {
      const { runExplain } = await import('./explain-run.js');
      process.exitCode = await runExplain(options);
    });
}
