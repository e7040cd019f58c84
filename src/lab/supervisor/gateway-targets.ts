/**
 * Which pods a cluster's network load balancer sends to: the ingress gateway pods (label
 * `istio: ingressgateway` in istio-system) that are Ready, at podIP:8080 - what a cloud load
 * balancer controller registers for a Service of type LoadBalancer whose targetPort is 8080 (Istio's
 * ingressgateway Service maps port 80 to 8080), followed with list+watch.
 */
import type { Logger } from '../../core/logger.js';
import type { LabApiClient } from './lab-api-client.js';
import type { LoadBalancerTarget } from './network-load-balancer.js';

export const gatewayNamespace = 'istio-system';
export const gatewaySelector = 'istio=ingressgateway';
export const gatewayTargetPort = 8080;

/** The fields of a Pod this module reads (a plain API object). */
export interface PodView {
  metadata?: { name?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: unknown };
  status?: { podIP?: string; conditions?: Array<{ type?: string; status?: string }> };
}

function isReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Ready, not terminating gateway pods with an IP, as targets (sorted, so equal sets compare equal). */
export function readyGatewayTargets(pods: readonly PodView[]): LoadBalancerTarget[] {
  return pods
    .filter(
      (p) =>
        p.metadata?.deletionTimestamp === undefined && p.metadata?.labels?.['istio'] === 'ingressgateway',
    )
    .filter((p) => isReady(p) && (p.status?.podIP ?? '') !== '')
    .map((p) => ({ host: p.status?.podIP ?? '', port: gatewayTargetPort }))
    .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
}

const podsPath = `/api/v1/namespaces/${gatewayNamespace}/pods?labelSelector=${encodeURIComponent(gatewaySelector)}`;

/**
 * List, then watch from the list's resourceVersion, as an informer does; after the watch ends (a
 * 410 Gone, the server restarting, a timeout) it lists again after a short pause.
 */
export class GatewayTargetWatch {
  private readonly pods = new Map<string, PodView>();
  private isStopped = false;
  private handle: { stop(): void } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly client: LabApiClient,
    private readonly onTargets: (targets: LoadBalancerTarget[]) => void,
    private readonly log: Logger,
  ) {}

  /** Resolves after the first list (so targets are known); rejects if that list fails. */
  async start(): Promise<void> {
    await this.relist();
  }

  private async relist(): Promise<void> {
    const list = await this.client.get(podsPath);
    this.pods.clear();
    for (const item of Array.isArray(list['items']) ? (list['items'] as PodView[]) : []) {
      this.pods.set(item.metadata?.uid ?? item.metadata?.name ?? '', item);
    }
    this.publish();
    const rv = String((list['metadata'] as { resourceVersion?: unknown } | undefined)?.resourceVersion ?? '');
    if (this.isStopped) return;
    this.handle = this.client.watch(
      podsPath,
      rv,
      (event) => {
        const pod = event.object as PodView;
        const key = pod.metadata?.uid ?? pod.metadata?.name ?? '';
        if (event.type === 'ADDED' || event.type === 'MODIFIED') this.pods.set(key, pod);
        else if (event.type === 'DELETED') this.pods.delete(key);
        else return; // BOOKMARK
        this.publish();
      },
      (err) => this.restart(err),
    );
  }

  private restart(err: Error | undefined): void {
    if (this.isStopped) return;
    if (err !== undefined) this.log.debug({ err: err.message }, 'gateway pod watch ended; listing again');
    this.retryTimer = setTimeout(() => {
      this.relist().catch((e: unknown) => this.restart(e instanceof Error ? e : new Error(String(e))));
    }, 500);
  }

  private publish(): void {
    const targets = readyGatewayTargets([...this.pods.values()]);
    const text = JSON.stringify(targets);
    if (text === this.last) return;
    this.last = text;
    this.onTargets(targets);
  }

  stop(): void {
    this.isStopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.handle?.stop();
  }
}
