/**
 * Every proxy of a running lab (sidecars and gateways) with where to reach it, from the node agents'
 * control APIs (`GET /v1/pods`, ADR 0013): each node agent's `control.json` in its state directory
 * says where its API listens, `control-token` holds the bearer token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord } from '../../core/json-shape.js';
import type { NodeState } from '../supervisor/lab-state.js';

/** Istio's Prometheus listener of every proxy (`pkg/bootstrap`: ENVOY_PROMETHEUS_PORT 15090). */
export const proxyPrometheusPort = 15090;

export type ProxyKind = 'sidecar' | 'gateway';

export interface LabProxy {
  readonly pod: string;
  readonly namespace: string;
  readonly cluster: string;
  readonly region: string;
  readonly zone: string;
  readonly node: string;
  readonly kind: ProxyKind;
  /** The pod IP; the proxy's :15090 `/stats/prometheus` listener is on it. */
  readonly ip: string;
  /** `<ip>:<port>` of the proxy's admin interface (the pod's private localhost :15000). */
  readonly admin: string | null;
  /** `<ip>:15090`: what Prometheus scrapes. */
  readonly prometheus: string;
  readonly ready: boolean;
}

export interface LabNode extends NodeState {
  readonly cluster: string;
  readonly region: string;
}

/** A node whose agent could not be asked, and why. */
export interface NodeFailure {
  readonly node: string;
  readonly error: string;
}

interface ControlFile {
  readonly url: string;
  readonly tokenFile: string;
}

async function controlFile(stateDir: string): Promise<ControlFile> {
  const value = JSON.parse(await readFile(join(stateDir, 'control.json'), 'utf8')) as unknown;
  if (!isRecord(value) || typeof value['url'] !== 'string' || typeof value['tokenFile'] !== 'string') {
    throw new Error(`${join(stateDir, 'control.json')}: no url and tokenFile`);
  }
  return { url: value['url'], tokenFile: value['tokenFile'] };
}

/** The proxies one node agent runs (pods that have a proxy container and an address). */
export function proxiesOfPods(node: LabNode, body: unknown): LabProxy[] {
  const pods = isRecord(body) && Array.isArray(body['pods']) ? (body['pods'] as unknown[]) : [];
  const out: LabProxy[] = [];
  for (const pod of pods) {
    if (!isRecord(pod) || !isRecord(pod['proxy'])) continue;
    const { namespace, name, ip, phase } = pod;
    if (typeof namespace !== 'string' || typeof name !== 'string' || typeof ip !== 'string') continue;
    // A finished pod's proxy is gone (Kubernetes SD drops such pods too).
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const admin = pod['proxy']['admin'];
    out.push({
      pod: name,
      namespace,
      cluster: node.cluster,
      region: node.region,
      zone: node.zone,
      node: node.name,
      // The node agent's "router" is a gateway (istio-proxy as the pod's only container).
      kind: pod['proxy']['role'] === 'router' ? 'gateway' : 'sidecar',
      ip,
      admin: typeof admin === 'string' ? admin : null,
      prometheus: `${ip}:${proxyPrometheusPort}`,
      ready: pod['ready'] === true,
    });
  }
  return out;
}

/** Asks one node agent for its pods. */
export async function nodeProxies(node: LabNode, timeoutMs: number): Promise<LabProxy[]> {
  const control = await controlFile(node.stateDir);
  const token = (await readFile(control.tokenFile, 'utf8')).trim();
  const res = await fetch(new URL('/v1/pods', control.url), {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`GET ${control.url}/v1/pods: HTTP ${res.status}`);
  return proxiesOfPods(node, (await res.json()) as unknown);
}

/**
 * Every proxy of the given nodes, asked in parallel. A node agent that does not answer keeps the
 * proxies `previous` had for it (its pods still exist in the API; Prometheus then shows them down,
 * as Kubernetes SD would), and is reported in `failures`.
 */
export async function collectLabProxies(
  nodes: readonly LabNode[],
  options: { readonly timeoutMs: number; readonly previous?: ReadonlyMap<string, readonly LabProxy[]> },
): Promise<{ byNode: Map<string, readonly LabProxy[]>; failures: NodeFailure[] }> {
  const byNode = new Map<string, readonly LabProxy[]>();
  const failures: NodeFailure[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      try {
        byNode.set(node.name, await nodeProxies(node, options.timeoutMs));
      } catch (err) {
        failures.push({ node: node.name, error: err instanceof Error ? err.message : String(err) });
        const kept = options.previous?.get(node.name);
        if (kept !== undefined) byNode.set(node.name, kept);
      }
    }),
  );
  return { byNode, failures };
}

/** Sorted by cluster, namespace, pod (stable output for status and discovery). */
export function sortProxies(proxies: Iterable<LabProxy>): LabProxy[] {
  return [...proxies].sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      a.namespace.localeCompare(b.namespace) ||
      a.pod.localeCompare(b.pod),
  );
}
