/**
 * `spillway control-plane`: one control plane (istiod's discovery role) for a multi-primary mesh -
 * watches its own Kubernetes cluster (Istio config and discovery) and any remote clusters
 * (discovery only), and serves per-proxy xDS over ADS.
 */
import type { Command } from 'commander';
import type { ControlPlaneCliFlags } from '../control-plane/control-plane-options.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerControlPlaneCommand(program: Command): void {
  program
    .command('control-plane')
    .description(
      'Run a control plane: Istio config and multi-cluster discovery become per-proxy xDS over ADS (gRPC).',
    )
    .requiredOption(
      '--cluster-id <id>',
      "this control plane's own Kubernetes cluster id (its Istio config is read from there)",
    )
    .option('--network <name>', "network of the own cluster's endpoints (topology.istio.io/network)")
    .option('--kubeconfig <file>', 'kubeconfig of the own cluster (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'context in that kubeconfig (default: its current context)')
    .option(
      '--remote <spec>',
      'a remote cluster for discovery, <kubeconfig>#<context>=<cluster-id>[@<network>] (repeatable)',
      collect,
    )
    .option('--xds-address <host:port>', 'gRPC ADS address', '127.0.0.1:15010')
    .option(
      '--admin-address <host:port>',
      'HTTP admin address (/ready, /metrics, /debug/...)',
      '127.0.0.1:15014',
    )
    .option('--trust-domain <domain>', 'mesh trust domain', 'cluster.local')
    .option('--debounce-ms <ms>', 'coalesce changes for this long before recomputing proxies', '10')
    .option(
      '--remote-sync-timeout-ms <ms>',
      'bounded wait for a remote cluster before serving without it',
      '30000',
    )
    .option(
      '--inbound-retry-policy <true|false>',
      "inbound routes retry requests reset before reaching the app (istiod's ENABLE_INBOUND_RETRY_POLICY)",
      process.env['ENABLE_INBOUND_RETRY_POLICY'] ?? 'true',
    )
    .option('-l, --log-level <level>', 'log level: trace, debug, info, warn, error')
    .addHelpText(
      'after',
      `
Examples:
  spillway control-plane --cluster-id cluster-1 --kubeconfig lab.kubeconfig --context cluster-1 \\
    --remote lab.kubeconfig#cluster-2=cluster-2 --xds-address 127.101.0.2:15010 --admin-address 127.101.0.2:15014

Multi-primary, as Istio: Istio resources (DestinationRule, VirtualService, Gateway, ...) are read from the
own cluster only; services, endpoints, pods and nodes from every cluster. A remote that is down keeps its
last known endpoints and shows as disconnected (/debug/syncz, spillway_cluster_* metrics); it never blocks
the others beyond --remote-sync-timeout-ms at start.
Admin endpoints: /ready, /metrics, /debug/syncz, /debug/registryz, /debug/config_dump?proxyID=<node id>.
Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start (bad flags, kubeconfig, address in use).`,
    )
    .action(async (flags: ControlPlaneCliFlags & { logLevel?: string; remoteSyncTimeoutMs?: string }) => {
      const { runControlPlane } = await import('./control-plane-run.js');
      process.exitCode = await runControlPlane(flags);
    });
}
