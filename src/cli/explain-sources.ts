/**
 * Where `spillway explain` gets its facts: the pod from the Kubernetes API (client-node, so every
 * kubeconfig auth method works), its sidecar's admin address from the lab's node agent
 * (`GET /v1/pods/<ns>/<name>`, token from the node's state directory, ADR 0013), the proxy's own
 * pages (`/server_info`, `/config_dump`, `/spillway/clusters`) and the control plane's
 * `/debug/explainz`. Every failure becomes a SpillwayError saying what could not be reached and what
 * to do instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { isRecord } from '../core/json-shape.js';
import { loadKubeConfig } from '../kube/informers/load-kubeconfig.js';
import { readLabState } from '../lab/supervisor/lab-state.js';

const requestTimeoutMs = 5000;

export class HttpAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    url: string,
  ) {
    super(`${url}: HTTP ${status}: ${body.trim().slice(0, 200)}`);
  }
}

/** GET `url` and parse JSON; network failures reject with the cause, non-2xx with HttpAnswerError. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(requestTimeoutMs) });
  const body = await res.text();
  if (!res.ok) throw new HttpAnswerError(res.status, body, url);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SpillwayError(
      ErrorCode.explainPeerAnswerInvalid,
      `${url}: the answer is not JSON: ${body.slice(0, 80)}`,
    );
  }
}

/** The reason a request failed, without the stack: `connect ECONNREFUSED 127.0.0.1:15000`. */
export function networkReason(err: unknown): string {
  if (err instanceof HttpAnswerError) return err.message;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    if (err.name === 'TimeoutError') return `no answer within ${requestTimeoutMs / 1000}s`;
    return err.message;
  }
  return String(err);
}

export interface FoundPod {
  readonly name: string;
  readonly namespace: string;
  readonly context: string;
  readonly nodeName: string | undefined;
  readonly ip: string | undefined;
}

/** Istio's sidecar container name, or a Spillway/Istio proxy image (an ingress gateway is its own proxy). */
function hasProxy(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some(
    (c) => c.name === 'istio-proxy' || /(^|\/)(spillway|istio)\/proxyv2(:|$)/.test(c.image ?? ''),
  );
}

/** Reads the pod; throws POD_NOT_FOUND (with near names) or NO_SIDECAR. */
export async function findPod(
  kubeconfig: string | undefined,
  context: string | undefined,
  namespace: string,
  name: string,
): Promise<FoundPod> {
  const kc = loadKubeConfig(kubeconfig, context);
  const core = kc.makeApiClient(CoreV1Api);
  const where = `in namespace ${namespace} of context ${kc.getCurrentContext()}`;
  let pod: V1Pod;
  try {
    pod = await core.readNamespacedPod({ name, namespace });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 404) {
      throw new SpillwayError(
        ErrorCode.explainPodNotFound,
        `cannot read pod ${name} ${where}: ${networkReason(err)}`,
        { cause: err },
      );
    }
    const near = await core
      .listNamespacedPod({ namespace })
      .then((list) =>
        list.items
          .map((p) => p.metadata?.name ?? '')
          .filter((n) => n.startsWith(name.slice(0, Math.max(3, name.length - 6))) || n.startsWith(name)),
      )
      .catch(() => [] as string[]);
    throw new SpillwayError(
      ErrorCode.explainPodNotFound,
      `pod ${name} not found ${where}` +
        (near.length > 0 ? ` (pods with a similar name: ${near.join(', ')})` : ''),
    );
  }
  if (!hasProxy(pod)) {
    throw new SpillwayError(
      ErrorCode.explainNoSidecar,
      `pod ${namespace}/${name} has no sidecar (no istio-proxy container): its traffic does not go through a ` +
        'proxy, so there is nothing to explain (is sidecar injection on for its namespace?)',
    );
  }
  return {
    name,
    namespace,
    context: kc.getCurrentContext(),
    nodeName: pod.spec?.nodeName,
    ip: pod.status?.podIP,
  };
}

/** The sidecar admin address of a lab pod, from the node agent of its node. */
export async function labSidecarAdmin(stateDir: string, pod: FoundPod): Promise<string> {
  const lab = readLabState(stateDir);
  const hint = 'pass --admin <ip:port> to name the proxy admin address yourself';
  if (lab === undefined) {
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `no running lab in ${stateDir} to find pod ${pod.name}'s sidecar through; ${hint}`,
    );
  }
  const node = lab.clusters.flatMap((c) => c.nodes).find((n) => n.name === pod.nodeName);
  if (node === undefined) {
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `pod ${pod.name} runs on node ${pod.nodeName ?? '(none yet)'}, which is not a node of the lab in ${stateDir}; ${hint}`,
    );
  }
  let url: string;
  let token: string;
  try {
    const control = JSON.parse(readFileSync(join(node.stateDir, 'control.json'), 'utf8')) as unknown;
    url = isRecord(control) && typeof control['url'] === 'string' ? control['url'] : '';
    token = readFileSync(join(node.stateDir, 'control-token'), 'utf8').trim();
  } catch (err) {
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `cannot read node ${node.name}'s agent files in ${node.stateDir}: ${networkReason(err)}; ${hint}`,
    );
  }
  let info: unknown;
  try {
    info = await getJson(
      `${url}/v1/pods/${encodeURIComponent(pod.namespace)}/${encodeURIComponent(pod.name)}`,
      {
        authorization: `Bearer ${token}`,
      },
    );
  } catch (err) {
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `the node agent of ${node.name} (${url}) did not say where pod ${pod.name}'s sidecar is: ${networkReason(err)}; ${hint}`,
    );
  }
  const proxy = isRecord(info) ? info['proxy'] : undefined;
  const admin = isRecord(proxy) ? proxy['admin'] : undefined;
  if (typeof admin !== 'string' || admin === '') {
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `pod ${pod.namespace}/${pod.name}'s sidecar is not running on ${node.name} (yet); ${hint}`,
    );
  }
  return admin;
}

/** The first `load_assignment.endpoints[].lb_endpoints[].endpoint.address.socket_address` of a cluster. */
function socketAddressOf(cluster: unknown): { host: string; port: number } | undefined {
  const la = isRecord(cluster) ? cluster['load_assignment'] : undefined;
  const groups = isRecord(la) && Array.isArray(la['endpoints']) ? la['endpoints'] : [];
  for (const g of groups) {
    const lbs = isRecord(g) && Array.isArray(g['lb_endpoints']) ? g['lb_endpoints'] : [];
    for (const lb of lbs) {
      const ep = isRecord(lb) ? lb['endpoint'] : undefined;
      const addr = isRecord(ep) ? ep['address'] : undefined;
      const sa = isRecord(addr) ? addr['socket_address'] : undefined;
      if (isRecord(sa) && typeof sa['address'] === 'string')
        return { host: sa['address'], port: Number(sa['port_value'] ?? 0) };
    }
  }
  return undefined;
}

/** The control plane's admin address as the proxy's bootstrap names its xDS server (istiod: 15010 -> 15014). */
export function controlPlaneAdminFromBootstrap(configDump: unknown): string | undefined {
  const configs = isRecord(configDump) && Array.isArray(configDump['configs']) ? configDump['configs'] : [];
  for (const c of configs) {
    if (!isRecord(c) || !isRecord(c['bootstrap'])) continue;
    const statics = c['bootstrap']['static_resources'];
    const clusters = isRecord(statics) && Array.isArray(statics['clusters']) ? statics['clusters'] : [];
    const xds = clusters.find((x) => isRecord(x) && x['name'] === 'xds-grpc');
    const address = socketAddressOf(xds);
    if (address !== undefined) return `${address.host}:15014`;
  }
  return undefined;
}
