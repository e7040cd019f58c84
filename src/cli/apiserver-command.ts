/**
 * `spillway apiserver`: one lab cluster's Kubernetes-compatible API server (with its controllers),
 * for real kubectl and client libraries. Binds loopback unless told otherwise; state lives under
 * `--data-dir`; SIGTERM/SIGINT shut down cleanly (the store is compacted and closed).
 */
import type { Command } from 'commander';
import type { ApiServerCliOptions } from './apiserver-run.js';

export function registerApiServerCommand(program: Command): void {
  program
    .command('apiserver')
    .description(
      "Run a lab cluster's Kubernetes-compatible API server (HTTPS, bearer token) with its controllers.",
    )
    .requiredOption('--data-dir <dir>', 'where objects are stored (created if missing; reused on restart)')
    .option('--address <ip>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to bind (0 picks a free one)', '6443')
    .option('--cluster-name <name>', 'cluster, user and context name in the kubeconfig', 'lab')
    .option(
      '--write-kubeconfig <file>',
      'write a kubeconfig (server URL, CA, token) to this file once listening',
    )
    .option(
      '--sidecar-injection <policy>',
      'inject Istio sidecars into new pods: off, namespace-label (istio-injection=enabled, as Istio), ' +
        'or lab (also the default namespace unless it is labelled)',
      'off',
    )
    .option('--sidecar-network <network>', 'ISTIO_META_NETWORK of injected sidecars (default: none)')
    .option('-l, --log-level <level>', 'log level: trace, debug, info, warn, error')
    .addHelpText(
      'after',
      `
Examples:
  spillway apiserver --data-dir /tmp/c1 --port 0 --write-kubeconfig /tmp/c1.kubeconfig
  KUBECONFIG=/tmp/c1.kubeconfig kubectl apply -f app.yaml
  spillway apiserver --data-dir /tmp/c1 --cluster-name cluster-1 --sidecar-injection lab

The server speaks HTTPS with a self-signed certificate kept in the data directory (kubectl sends
bearer tokens only over TLS); the kubeconfig carries that certificate as its CA and the token, which
is also kept there, so kubeconfigs stay valid across restarts. Every acknowledged write is on disk
before the response: a kill -9 loses nothing. A damaged data file stops the start with an error.
With --sidecar-injection, pods created in selected namespaces get an istio-proxy container (image
spillway/proxyv2, ISTIO_META_CLUSTER_ID = --cluster-name), like Istio's injection webhook; the pod
annotation or label sidecar.istio.io/inject: "false" opts out.
Exit status: 0 after SIGTERM/SIGINT, 1 when the server cannot start.`,
    )
    .action(async (options: ApiServerCliOptions) => {
      // Imported on use: other commands never load the API server's modules.
      const { runApiServer } = await import('./apiserver-run.js');
      process.exitCode = await runApiServer(options);
    });
}
