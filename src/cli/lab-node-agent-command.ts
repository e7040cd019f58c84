/**
 * `spillway lab node-agent`: the lab's kubelet stand-in for one Kubernetes node - an internal
 * command the lab supervisor starts once per node (lab design "Processes"). Registered under the
 * `lab` command (hidden from its help: users run `spillway lab up`).
 */
import { Command } from 'commander';
import type { NodeAgentCliOptions } from './lab-node-agent-run.js';

export function registerLabNodeAgentCommand(lab: Command): void {
  lab.addCommand(
    new Command('node-agent')
      .description(
        "Run the pods of one lab Kubernetes node: sample apps, command containers and sidecar/gateway proxies (internal: started by 'spillway lab up').",
      )
      .requiredOption('--node <name>', 'the Kubernetes Node this agent runs')
      .requiredOption('--state-dir <dir>', "the agent's own directory: pod logs, bootstraps, control token")
      .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'context of the cluster in that kubeconfig (default: its current context)')
      .option('--cluster-id <id>', "CLUSTER_ID the proxies report (default: the context's name)")
      .option(
        '--network <name>',
        "NETWORK the proxies report (default: the Node's topology.istio.io/network label)",
      )
      .option(
        '--xds-address <host:port>',
        "the control plane's ADS address for the proxies (default: annotation lab.spillway.io/xds-address of Service istio-system/istiod)",
      )
      .option(
        '--control-address <host:port>',
        "where the control API listens (default: the Node's InternalIP, else the podCIDR's .1, port 10250)",
      )
      .option('--pod-cidr <cidr>', 'spec.podCIDR when the agent has to register the Node itself')
      .option('--node-labels <k=v,...>', 'labels when the agent has to register the Node itself')
      .option('--heartbeat-s <seconds>', 'how often the Node status is posted', '10')
      .option('--shutdown-grace-s <seconds>', "cap on each pod's grace period when the agent stops", '5')
      .option('--start-timeout-s <seconds>', 'how long to wait for the API server at start', '30')
      .option('-l, --log-level <level>', 'log level: trace, debug, info, warn, error')
      .addHelpText(
        'after',
        `
Once running it prints one line on stdout:
  spillway lab node-agent: node <name> (podCIDR <cidr>), control API on http://<host>:<port>
and writes <state-dir>/control.json ({"node", "url", "pid", "tokenFile"}). The control API (bearer token
from <state-dir>/control-token) serves GET /v1/node, GET /v1/pods[/<ns>/<name>],
PUT|DELETE /v1/pods/<ns>/<name>/fault and POST /v1/heal (docs/adr/0013-lab-node-agent.md).
Exit status: 0 after SIGTERM/SIGINT (every pod's processes stopped), 1 when it cannot start.`,
      )
      .action(async (options: NodeAgentCliOptions) => {
        const { runNodeAgent } = await import('./lab-node-agent-run.js');
        process.exitCode = await runNodeAgent(options);
      }),
    { hidden: true },
  );
}
