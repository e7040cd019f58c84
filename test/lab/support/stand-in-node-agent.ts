/**
 * A stand-in for `spillway lab node-agent` (same flags), run by the supervisor in tests through
 * SPILLWAY_LAB_NODE_AGENT: keeps its Node Ready (heartbeat), and marks every pod bound to its node
 * Running and Ready with an IP from the Node's podCIDR - the fake-node-agent.ts logic as a process.
 * Gateway pods (`istio: ingressgateway`) also get a tiny HTTP responder on podIP:8080 naming the
 * pod, so that tests can see traffic arrive through the network load balancer.
 *
 * `node --test dist/` loads every file under test/ as a test: without its flags this file does
 * nothing and exits 0.
 */
import http from 'node:http';
import type { V1Node, V1Pod } from '@kubernetes/client-node';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const kubeconfig = flag('--kubeconfig');
const context = flag('--context');
const nodeName = flag('--node');
const stateDir = flag('--state-dir');

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function main(kubeconfigPath: string, contextName: string, node: string): Promise<void> {
  // Loaded here: as a "test file" without flags, this script must cost nothing.
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(contextName);
  const core = kc.makeApiClient(CoreV1Api);
  const self = await core.readNode({ name: node });
  const cidr = self.spec?.podCIDR ?? '';
  const prefix = cidr.replace(/\.0\/24$/, '');
  if (!/^127\.\d+\.\d+$/.test(prefix)) throw new Error(`node ${node}: unusable podCIDR '${cidr}'`);
  const ips = new Map<string, string>(); // pod uid -> ip
  const servers = new Map<string, http.Server>(); // pod uid -> gateway responder
  let nextHost = 2;
  let isStopped = false;

  const heartbeat = async (): Promise<void> => {
    const current: V1Node = await core.readNode({ name: node });
    const now = new Date();
    const others = (current.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const wasReady = current.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
    await core.replaceNodeStatus({
      name: node,
      body: {
        ...current,
        status: {
          ...current.status,
          conditions: [
            ...others,
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'stand-in node agent is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: wasReady?.lastTransitionTime ?? now,
            },
          ],
        },
      },
    });
  };

  const serveGateway = async (pod: V1Pod, ip: string): Promise<void> => {
    const uid = pod.metadata?.uid ?? '';
    if (servers.has(uid) || pod.metadata?.labels?.['istio'] !== 'ingressgateway') return;
    const name = pod.metadata?.name ?? '';
    const server = http.createServer((req, res) => res.end(`stand-in gateway ${name} ${req.url ?? ''}`));
    servers.set(uid, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: ip, port: 8080 }, resolve);
    });
  };

  const syncPods = async (): Promise<void> => {
    const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    const present = new Set<string>();
    for (const pod of pods.items) {
      const uid = pod.metadata?.uid ?? '';
      present.add(uid);
      let ip = ips.get(uid);
      if (ip === undefined) {
        ip = `${prefix}.${nextHost++}`;
        ips.set(uid, ip);
      }
      await serveGateway(pod, ip);
      if (isReady(pod)) continue;
      const now = new Date();
      try {
        await core.replaceNamespacedPodStatus({
          name: pod.metadata?.name ?? '',
          namespace: pod.metadata?.namespace ?? '',
          body: {
            ...pod,
            status: {
              ...pod.status,
              phase: 'Running',
              podIP: ip,
              podIPs: [{ ip }],
              hostIP: self.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
              startTime: now,
              conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
                type,
                status: 'True',
                lastTransitionTime: now,
              })),
              containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                name: c.name,
                image: c.image ?? '',
                imageID: '',
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: now } },
              })),
            },
          },
        });
      } catch {
        // a 409 (the pod changed): the next round retries
      }
    }
    for (const [uid, server] of servers) {
      if (!present.has(uid)) {
        server.close();
        servers.delete(uid);
      }
    }
  };

  const stop = (): void => {
    isStopped = true;
    for (const server of servers.values()) server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await heartbeat();
  let sinceHeartbeat = 0;
  while (!isStopped) {
    try {
      await syncPods();
      if (++sinceHeartbeat >= 50) {
        sinceHeartbeat = 0;
        await heartbeat();
      }
    } catch (err) {
      process.stderr.write(`stand-in node agent ${node}: ${String(err)}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

if (kubeconfig !== undefined && context !== undefined && nodeName !== undefined && stateDir !== undefined) {
  process.stdout.write(`stand-in node agent for ${nodeName} (state dir ${stateDir})\n`);
  main(kubeconfig, context, nodeName).catch((err: unknown) => {
    process.stderr.write(`stand-in node agent ${nodeName}: ${String(err)}\n`);
    process.exit(1);
  });
}
