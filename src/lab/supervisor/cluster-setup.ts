/**
 * What the supervisor does through one cluster's API (lab-api-client.ts, with that cluster's
 * context of a kubeconfig): checks the server answers, applies the lab's objects with server-side
 * apply (field manager `spillway-lab`, so that re-running `lab up` updates them in place), resets
 * each Node's status for the new run, removes Nodes of an older topology, writes the gateway
 * Service's load balancer status, and reads which Nodes are Ready.
 */
import { readFileSync } from 'node:fs';
import type { ClusterPlan, LabPlan } from '../topology/address-plan.js';
import {
  gatewayService,
  gatewayServiceStatus,
  initialNodeStatus,
  istioSystemObjects,
  labClusterLabel,
  nodeObject,
} from './cluster-objects.js';
import { LabApiClient, LabApiError, endpointFromKubeconfig, objectPath } from './lab-api-client.js';

const fieldManager = 'spillway-lab';

type Json = Record<string, unknown>;

interface ObjectView {
  metadata?: { name?: string; namespace?: string };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
  [field: string]: unknown;
}

const errorCode = (err: unknown): number | undefined => (err instanceof LabApiError ? err.code : undefined);

/** A client for one context of a kubeconfig file. */
export function clientFor(kubeconfigPath: string, context: string): LabApiClient {
  return new LabApiClient(
    endpointFromKubeconfig(readFileSync(kubeconfigPath, 'utf8'), context, kubeconfigPath),
  );
}

function items(list: Json): ObjectView[] {
  return Array.isArray(list['items']) ? (list['items'] as ObjectView[]) : [];
}

export function isNodeReady(node: ObjectView): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export class ClusterSetup {
  constructor(
    readonly client: LabApiClient,
    private readonly plan: LabPlan,
    private readonly cluster: ClusterPlan,
  ) {}

  /** Resolves once the server answers an authenticated request. */
  async ping(): Promise<void> {
    await this.client.get('/version');
  }

  /** Read-modify-write of a status subresource, retried on 409 (a node agent may write it too). */
  private async writeStatus(path: string, change: (status: Json) => Json): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.client.get(path);
      const status = (current['status'] ?? {}) as Json;
      try {
        await this.client.replaceStatus(path, { ...current, status: change(status) });
        return;
      } catch (err) {
        if (errorCode(err) !== 409 || attempt >= 5) throw err;
      }
    }
  }

  /** The cluster's Nodes as the topology says, with Ready reset; nodes no longer planned removed. */
  async applyNodes(nowIso: string): Promise<void> {
    for (const node of this.cluster.nodes) {
      await this.client.apply(nodeObject(node), fieldManager);
      await this.writeStatus(objectPath('v1', 'Node', node.name), (status) => ({
        ...status,
        ...initialNodeStatus(node, nowIso),
      }));
      await this.markPodsNotReady(node.name, nowIso);
    }
    const planned = new Set(this.cluster.nodes.map((n) => n.name));
    for (const node of items(await this.client.get(this.managedNodesPath()))) {
      const name = node.metadata?.name ?? '';
      if (planned.has(name)) continue;
      try {
        await this.client.delete(objectPath('v1', 'Node', name));
      } catch (err) {
        if (errorCode(err) !== 404) throw err;
      }
    }
  }

  private managedNodesPath(): string {
    return `/api/v1/nodes?labelSelector=${encodeURIComponent(`${labClusterLabel}=${this.cluster.name}`)}`;
  }

  /**
   * Pods left on a node from the previous run are not Ready until its agent runs them again, as the
   * node lifecycle controller marks them when a node stops reporting (kubernetes
   * `pkg/controller/util/node/controller_utils.go` MarkPodsNotReady: Ready -> False). Otherwise a
   * gateway pod Ready from the last run would count as a load balancer target at once.
   */
  private async markPodsNotReady(node: string, nowIso: string): Promise<void> {
    const pods = await this.client.get(
      `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
    );
    for (const pod of items(pods)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready === undefined || ready.status === 'False') continue;
      const path = objectPath('v1', 'Pod', pod.metadata?.name ?? '', pod.metadata?.namespace ?? '');
      try {
        await this.writeStatus(path, (status) => ({
          ...status,
          conditions: ((status['conditions'] ?? []) as Json[]).map((c) =>
            c['type'] === 'Ready' ? { ...c, status: 'False', lastTransitionTime: nowIso } : c,
          ),
        }));
      } catch (err) {
        // Gone meanwhile: either way its node agent decides from here on.
        if (errorCode(err) !== 404) throw err;
      }
    }
  }

  /** istio-system: namespace, istiod Service, gateway Deployments and Service with its LB status. */
  async applyIstioSystem(): Promise<void> {
    for (const manifest of istioSystemObjects(this.plan, this.cluster))
      await this.client.apply(manifest, fieldManager);
    const service = gatewayService();
    const path = objectPath('v1', 'Service', service.metadata.name, service.metadata.namespace);
    await this.writeStatus(path, () => gatewayServiceStatus(this.cluster));
  }

  /** Names of this cluster's planned Nodes whose Ready condition is True. */
  async readyNodes(): Promise<Set<string>> {
    const planned = new Set(this.cluster.nodes.map((n) => n.name));
    const ready = new Set<string>();
    for (const node of items(await this.client.get(this.managedNodesPath()))) {
      const name = node.metadata?.name ?? '';
      if (planned.has(name) && isNodeReady(node)) ready.add(name);
    }
    return ready;
  }
}
