/**
 * Breaking and healing resolved pods through their node agents (docs/adr/0013-lab-node-agent.md).
 *
 * Breaking checks first, on every agent concerned, that it answers, runs the pod, and that the
 * pod's app container supports the kind (the agent's own rule, `supportedFaultKinds`); if any pod
 * fails that check nothing is applied, so a wide target is never half broken because of one pod
 * the fault cannot reach. Then it applies to every pod at once; a failure there (the agent went
 * away, the container stopped in between) is reported for that pod, the others stay broken.
 */
import { isRecord, stringAt, type JsonRecord } from '../../core/json-shape.js';
import { supportedFaultKinds, type FaultSpec } from '../node-agent/app-fault.js';
import type { ClusterState, LabState } from '../supervisor/lab-state.js';
import { AgentCallError, NodeAgentClient } from './node-agent-client.js';
import type { LabPod } from './target-pods.js';

export type FaultOutcome =
  | {
      readonly pod: LabPod;
      readonly result: 'broken';
      readonly container: string;
      /** ISO time the fault heals by itself; undefined: until healed (or `kill`: once). */
      readonly until: string | undefined;
    }
  /** Refused by the check or by the agent. */
  | { readonly pod: LabPod; readonly result: 'failed'; readonly error: string }
  /** Fine on its own, not applied because another pod failed the check. */
  | { readonly pod: LabPod; readonly result: 'not-applied'; readonly error: string };

export type HealOutcome =
  | { readonly pod: LabPod; readonly result: 'healed' | 'no-fault' }
  | { readonly pod: LabPod; readonly result: 'failed'; readonly error: string };

export interface NodeHealOutcome {
  readonly cluster: string;
  readonly node: string;
  readonly zone: string;
  /** `ns/name` of the pods that had a fault. */
  readonly healed: readonly string[];
  readonly error?: string;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One client per node agent concerned (pods on nodes that are not the lab's get none). */
function clientsFor(pods: readonly LabPod[]): Map<string, NodeAgentClient> {
  const clients = new Map<string, NodeAgentClient>();
  for (const pod of pods) {
    if (pod.nodeStateDir !== undefined && !clients.has(pod.node))
      clients.set(pod.node, new NodeAgentClient(pod.node, pod.nodeStateDir));
  }
  return clients;
}

function notALabNode(pod: LabPod): string {
  return `pod ${pod.name} is bound to node ${pod.node}, which is not a node of this lab (no node agent)`;
}

function containersOf(info: JsonRecord): JsonRecord[] {
  const containers = info['containers'];
  return Array.isArray(containers) ? containers.filter(isRecord) : [];
}

/** Why `spec` cannot apply to the pod the agent describes as `info`, or undefined when it can. */
function whyNot(pod: LabPod, info: JsonRecord, spec: FaultSpec): string | undefined {
  // The app container as the agent picks it (pod-spec.ts defaultAppContainer): the
  // default-container annotation unless it names the proxy, else the first non-proxy container.
  const apps = containersOf(info).filter((c) => c['runtime'] !== 'proxy');
  const app = apps.find((c) => c['name'] === pod.defaultContainer) ?? apps[0];
  if (app === undefined)
    return `pod ${pod.name} runs only a proxy (istio-proxy): faults break apps, not their proxies`;
  const name = stringAt(app, 'name') ?? '';
  const runtime = app['runtime'];
  if (runtime !== 'sample-app' && runtime !== 'command')
    return `container ${name} of pod ${pod.name} runs nothing (its image cannot run in the lab)`;
  const supported = supportedFaultKinds(runtime);
  if (!supported.includes(spec.kind))
    return `container ${name} of pod ${pod.name} runs a command, not the built-in sample app: it supports ${supported.join(', ')} only`;
  if (spec.kind === 'kill' && app['state'] !== 'running')
    return `container ${name} of pod ${pod.name} is not running (${String(app['state'])}): nothing to kill`;
  return undefined;
}

/** Each node agent's pods by `ns/name`, or the error that agent gave. */
async function agentPods(
  clients: Map<string, NodeAgentClient>,
): Promise<Map<string, Map<string, JsonRecord> | string>> {
  const result = new Map<string, Map<string, JsonRecord> | string>();
  await Promise.all(
    [...clients].map(async ([node, client]) => {
      try {
        const pods = await client.pods();
        result.set(
          node,
          new Map(pods.map((p) => [`${stringAt(p, 'namespace') ?? ''}/${stringAt(p, 'name') ?? ''}`, p])),
        );
      } catch (err) {
        result.set(node, messageOf(err));
      }
    }),
  );
  return result;
}

/** Applies `spec` to every pod, or to none when one of them fails the check. */
export async function breakPods(pods: readonly LabPod[], spec: FaultSpec): Promise<FaultOutcome[]> {
  const clients = clientsFor(pods);
  const known = await agentPods(clients);
  const problems = pods.map((pod): string | undefined => {
    const onNode = known.get(pod.node);
    if (onNode === undefined) return notALabNode(pod);
    if (typeof onNode === 'string') return onNode;
    const info = onNode.get(`${pod.namespace}/${pod.name}`);
    if (info === undefined) return `the node agent of ${pod.node} does not run pod ${pod.name} (yet)`;
    return whyNot(pod, info, spec);
  });
  if (problems.some((p) => p !== undefined)) {
    return pods.map((pod, i): FaultOutcome => {
      const problem = problems[i];
      return problem !== undefined
        ? { pod, result: 'failed', error: problem }
        : { pod, result: 'not-applied', error: 'not applied: another pod of the target failed the check' };
    });
  }
  return await Promise.all(
    pods.map(async (pod): Promise<FaultOutcome> => {
      const client = clients.get(pod.node) as NodeAgentClient;
      try {
        const info = await client.applyFault(pod.namespace, pod.name, spec);
        const fault = info['fault'];
        const container = isRecord(fault) ? stringAt(fault, 'container') : undefined;
        return {
          pod,
          result: 'broken',
          container: container ?? pod.defaultContainer ?? '',
          until: isRecord(fault) ? stringAt(fault, 'until') : undefined,
        };
      } catch (err) {
        return { pod, result: 'failed', error: messageOf(err) };
      }
    }),
  );
}

/** Heals every pod (each one whatever happens to the others). */
export async function healPods(pods: readonly LabPod[]): Promise<HealOutcome[]> {
  const clients = clientsFor(pods);
  return await Promise.all(
    pods.map(async (pod): Promise<HealOutcome> => {
      const client = clients.get(pod.node);
      if (client === undefined) return { pod, result: 'failed', error: notALabNode(pod) };
      try {
        return { pod, result: (await client.heal(pod.namespace, pod.name)) ? 'healed' : 'no-fault' };
      } catch (err) {
        if (err instanceof AgentCallError && err.status === 404)
          return {
            pod,
            result: 'failed',
            error: `the node agent of ${pod.node} does not run pod ${pod.name}`,
          };
        return { pod, result: 'failed', error: messageOf(err) };
      }
    }),
  );
}

/** Heals every pod on every node of `clusters` (all of the lab's by default). */
export async function healEverything(
  lab: LabState,
  clusters?: readonly ClusterState[],
): Promise<NodeHealOutcome[]> {
  const nodes = (clusters ?? lab.clusters).flatMap((c) => c.nodes.map((n) => ({ cluster: c.name, node: n })));
  return await Promise.all(
    nodes.map(async ({ cluster, node }): Promise<NodeHealOutcome> => {
      const base = { cluster, node: node.name, zone: node.zone };
      try {
        return { ...base, healed: await new NodeAgentClient(node.name, node.stateDir).healAll() };
      } catch (err) {
        return { ...base, healed: [], error: messageOf(err) };
      }
    }),
  );
}
