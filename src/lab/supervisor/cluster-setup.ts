/**
 * What the supervisor does through one cluster's API (client-node, the lab kubeconfig's context for
 * that cluster): checks the server answers, applies the lab's objects with server-side apply (field
 * manager `spillway-lab`, so that re-running `lab up` updates them in place), resets each Node's
 * status for the new run, removes Nodes of an older topology, writes the gateway Service's load
 * balancer status, and reads which Nodes are Ready.
 */
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  type KubernetesObject,
  type V1Node,
} from '@kubernetes/client-node';
import type { ClusterPlan, LabPlan } from '../topology/address-plan.js';
import {
  gatewayService,
  gatewayServiceStatus,
  initialNodeStatus,
  istioSystemObjects,
  labClusterLabel,
  nodeObject,
} from './cluster-objects.js';

const fieldManager = 'spillway-lab';

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404;
}

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown }).code === 409;
}

/** A short text for an error of client-node (whose messages carry the whole response). */
export function apiErrorText(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof e.code === 'number') {
    let message: string;
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: unknown }) : e.body;
      message = String((body as { message?: unknown } | undefined)?.message ?? '');
    } catch {
      message = String(e.body);
    }
    return `HTTP ${e.code}${message !== '' ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A KubeConfig for one context of the lab kubeconfig. */
export function kubeConfigFor(kubeconfigPath: string, context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

export class ClusterSetup {
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;
  private readonly version: VersionApi;

  constructor(
    readonly kubeconfig: KubeConfig,
    private readonly plan: LabPlan,
    private readonly cluster: ClusterPlan,
  ) {
    this.core = kubeconfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kubeconfig);
    this.version = kubeconfig.makeApiClient(VersionApi);
  }

  /** Resolves once the server answers an authenticated request. */
  async ping(): Promise<void> {
    await this.version.getCode();
  }

  private async apply(manifest: KubernetesObject): Promise<void> {
    await this.objects.patch(
      manifest,
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  /** Status writes retry on a 409 (a node agent may be writing the same object). */
  private async writeStatus<T extends { metadata?: { resourceVersion?: string } }>(
    read: () => Promise<T>,
    write: (current: T) => Promise<unknown>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await read();
      try {
        await write(current);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  /** The cluster's Nodes as the topology says, with Ready reset; nodes no longer planned removed. */
  async applyNodes(nowIso: string): Promise<void> {
    for (const node of this.cluster.nodes) {
      await this.apply(nodeObject(node));
      await this.writeStatus(
        () => this.core.readNode({ name: node.name }),
        (current: V1Node) =>
          this.core.replaceNodeStatus({
            name: node.name,
            body: { ...current, status: { ...current.status, ...initialNodeStatus(node, nowIso) } } as V1Node,
          }),
      );
    }
    for (const node of this.cluster.nodes) await this.markPodsNotReady(node.name, nowIso);
    const planned = new Set(this.cluster.nodes.map((n) => n.name));
    const managed = await this.core.listNode({ labelSelector: `${labClusterLabel}=${this.cluster.name}` });
    for (const node of managed.items) {
      const name = node.metadata?.name ?? '';
      if (planned.has(name)) continue;
      try {
        await this.core.deleteNode({ name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /**
   * Pods left on a node from the previous run are not Ready until its agent runs them again, as the
   * node lifecycle controller marks them when a node stops reporting (kubernetes
   * `pkg/controller/util/node/controller_utils.go` MarkPodsNotReady: Ready -> False). Otherwise a
   * gateway pod Ready from the last run would count as a load balancer target at once.
   */
  private async markPodsNotReady(node: string, nowIso: string): Promise<void> {
    const pods = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    for (const pod of pods.items) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready === undefined || ready.status === 'False') continue;
      const conditions = (pod.status?.conditions ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: new Date(nowIso) } : c,
      );
      try {
        await this.core.replaceNamespacedPodStatus({
          name: pod.metadata?.name ?? '',
          namespace: pod.metadata?.namespace ?? '',
          body: { ...pod, status: { ...pod.status, conditions } },
        });
      } catch (err) {
        // Gone or changed meanwhile: either way its node agent decides from here on.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** istio-system: namespace, istiod Service, gateway Deployments and Service with its LB status. */
  async applyIstioSystem(): Promise<void> {
    for (const manifest of istioSystemObjects(this.plan, this.cluster)) await this.apply(manifest);
    const service = gatewayService(this.cluster);
    const namespace = service.metadata.namespace ?? '';
    await this.writeStatus(
      () => this.core.readNamespacedService({ name: service.metadata.name, namespace }),
      (current) =>
        this.core.replaceNamespacedServiceStatus({
          name: service.metadata.name,
          namespace,
          body: { ...current, status: gatewayServiceStatus(this.cluster) },
        }),
    );
  }

  /** Names of this cluster's planned Nodes whose Ready condition is True. */
  async readyNodes(): Promise<Set<string>> {
    const planned = new Set(this.cluster.nodes.map((n) => n.name));
    const nodes = await this.core.listNode({ labelSelector: `${labClusterLabel}=${this.cluster.name}` });
    const ready = new Set<string>();
    for (const node of nodes.items) {
      const name = node.metadata?.name ?? '';
      const isReady =
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (planned.has(name) && isReady) ready.add(name);
    }
    return ready;
  }
}
