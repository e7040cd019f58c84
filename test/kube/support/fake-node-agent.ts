/**
 * Plays the part of "whoever runs pods" (the node agents of a later issue) for kubectl tests: every
 * Pod bound to a Node gets status Running, a 127.0.x.y pod IP, a Ready condition and ready
 * containerStatuses, written through the real API (client-node, the `status` subresource).
 */
import { CoreV1Api, KubeConfig, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';

export interface FakeNodeAgent {
  /** `namespace/name` of each Pod the agent marked ready -> the pod IP it gave it */
  readonly marked: ReadonlyMap<string, string>;
  /** Stops marking this pod ready (a test takes over its status, e.g. to make it unready). */
  leaveAlone(namespace: string, name: string): void;
  /** The last error of a status write or list, for timeout messages (a 409 is retried). */
  lastError(): string | undefined;
  stop(): Promise<void>;
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The status a kubelet would report for a pod whose containers all started and pass readiness. */
function runningStatus(pod: V1Pod, ip: string, now: Date): V1PodStatus {
  return {
    ...pod.status,
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '127.0.0.1',
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
  };
}

/**
 * Polls the cluster's pods every `intervalMs` and marks each bound, not yet ready pod as running and
 * ready. Pod IPs are 127.0.`ipOctet`.1, .2, ... (or `ipPrefix`.1, .2, ...) in the order the agent
 * sees the pods.
 */
export function startFakeNodeAgent(
  kubeconfigPath: string,
  options: { ipOctet?: number; ipPrefix?: string; intervalMs?: number } = {},
): FakeNodeAgent {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const marked = new Map<string, string>();
  const ipPrefix = options.ipPrefix ?? `127.0.${options.ipOctet ?? 1}`;
  const leftAlone = new Set<string>();
  const intervalMs = options.intervalMs ?? 25;
  let nextHost = 1;
  let stopped = false;
  let lastError: string | undefined;
  let wake: (() => void) | undefined;

  const tick = async (): Promise<void> => {
    const pods = await core.listPodForAllNamespaces();
    for (const pod of pods.items) {
      const name = pod.metadata?.name;
      const namespace = pod.metadata?.namespace;
      if (name === undefined || namespace === undefined) continue;
      if (pod.spec?.nodeName === undefined || pod.metadata?.deletionTimestamp !== undefined) continue;
      if (isReady(pod) || leftAlone.has(`${namespace}/${name}`)) continue;
      const ip = marked.get(`${namespace}/${name}`) ?? `${ipPrefix}.${nextHost++}`;
      try {
        await core.replaceNamespacedPodStatus({
          name,
          namespace,
          body: { ...pod, status: runningStatus(pod, ip, new Date()) },
        });
        marked.set(`${namespace}/${name}`, ip);
      } catch (err) {
        lastError = `${namespace}/${name}: ${String(err)}`; // e.g. a 409: the next round retries
      }
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch (err) {
        lastError = String(err);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
  })();

  return {
    marked,
    leaveAlone: (namespace, name) => void leftAlone.add(`${namespace}/${name}`),
    lastError: () => lastError,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
