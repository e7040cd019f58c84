/**
 * A stand-in for `spillway control-plane`, run by the supervisor in tests through
 * SPILLWAY_LAB_CONTROL_PLANE. Its flags go through the real option parser
 * (src/control-plane/control-plane-options.ts), so a command line the real control plane would
 * refuse fails here too. It lists Nodes in its own cluster and every `--remote` (proving each
 * kubeconfig#context works), then answers 200 on the admin `/ready` and accepts connections on the
 * xDS address (closing them: it serves no configuration).
 *
 * `node --test dist/` loads every file under test/ as a test: without flags this file does nothing.
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseControlPlaneFlags,
  type ControlPlaneCliFlags,
  type WatchedCluster,
} from '../../../src/control-plane/control-plane-options.js';

const known = [
  '--cluster-id',
  '--network',
  '--kubeconfig',
  '--context',
  '--remote',
  '--xds-address',
  '--admin-address',
  '--inbound-retry-policy',
];

function parseArgv(argv: readonly string[]): ControlPlaneCliFlags {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i] ?? '';
    const value = argv[i + 1];
    if (!known.includes(name) || value === undefined)
      throw new Error(`unknown option or missing value: ${name}`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const one = (name: string): string | undefined => values.get(name)?.[0];
  return {
    clusterId: one('--cluster-id') ?? '',
    ...(one('--network') !== undefined ? { network: one('--network') } : {}),
    ...(one('--kubeconfig') !== undefined ? { kubeconfig: one('--kubeconfig') } : {}),
    ...(one('--context') !== undefined ? { context: one('--context') } : {}),
    remote: values.get('--remote') ?? [],
    xdsAddress: one('--xds-address') ?? '',
    adminAddress: one('--admin-address') ?? '',
    ...(one('--inbound-retry-policy') !== undefined
      ? { inboundRetryPolicy: one('--inbound-retry-policy') }
      : {}),
    trustDomain: 'cluster.local',
  } as ControlPlaneCliFlags;
}

async function canList(cluster: WatchedCluster): Promise<void> {
  // Loaded here: as a "test file" without flags, this script must cost nothing.
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig ?? '');
  if (cluster.context !== undefined) kc.setCurrentContext(cluster.context);
  await kc.makeApiClient(CoreV1Api).listNode();
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseControlPlaneFlags(parseArgv(argv));
  let isReady = false;
  const admin = http.createServer((req, res) => {
    res.statusCode = req.url === '/ready' && isReady ? 200 : 503;
    res.end(isReady ? 'ready\n' : 'not ready\n');
  });
  const xds = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) =>
    admin.listen({ host: options.adminAddress.host, port: options.adminAddress.port }, resolve),
  );
  await new Promise<void>((resolve) =>
    xds.listen({ host: options.xdsAddress.host, port: options.xdsAddress.port }, resolve),
  );
  const stop = (): void => {
    admin.close();
    xds.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (const cluster of [options.local, ...options.remotes]) {
    for (let attempt = 0; ; attempt++) {
      try {
        await canList(cluster);
        break;
      } catch (err) {
        if (attempt > 100) throw err;
        await sleep(100);
      }
    }
  }
  process.stdout.write(
    `stand-in control plane ${options.local.clusterId} (network ${options.local.network}) watching ` +
      `${options.remotes.map((r) => `${r.clusterId}@${r.network}`).join(', ') || 'no remotes'}\n`,
  );
  isReady = true;
}

const args = process.argv.slice(2);
if (args.includes('--cluster-id')) {
  main(args).catch((err: unknown) => {
    process.stderr.write(`stand-in control plane: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
