/** Reading pods, events and the node agent's control API in node agent tests. */
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  type V1ContainerStatus,
  type V1Pod,
} from '@kubernetes/client-node';
import type { NodeAgent } from '../../../src/lab/node-agent/node-agent.js';
import { waitFor } from '../../support/wait-for.js';

export class PodReader {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async pod(name: string, namespace = 'default'): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ name, namespace });
    } catch {
      return undefined;
    }
  }

  async waitPod(
    name: string,
    what: string,
    predicate: (pod: V1Pod) => boolean,
    timeoutMs = 20_000,
  ): Promise<V1Pod> {
    return waitFor(
      `pod ${name}: ${what}`,
      async () => {
        const p = await this.pod(name);
        return p !== undefined && predicate(p) ? p : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async events(name: string, namespace = 'default'): Promise<CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items;
  }

  /** `<reason>: <message>` of every event about the pod, oldest first. */
  async eventLines(name: string): Promise<string[]> {
    return (await this.events(name)).map((e) => `${e.type ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`);
  }
}

export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === name);
}

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function condition(
  pod: V1Pod,
  type: string,
): { status?: string; reason?: string; message?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** A call to the agent's control API. */
export async function control(
  agent: NodeAgent,
  method: string,
  path: string,
  body?: unknown,
  token = agent.token,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${agent.controlUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The kernel's state letter of a process (R, S, T ...). */
export function processState(pid: number): string | undefined {
  try {
    return /\) (\w) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** A bare Pod pinned to a zone. */
export function podManifest(name: string, zone: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeSelector: { 'topology.kubernetes.io/zone': zone }, ...spec },
  });
}
