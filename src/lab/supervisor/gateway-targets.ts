/**
 * Which pods a cluster's network load balancer sends to: the ingress gateway pods (label
 * `istio: ingressgateway` in istio-system) that are Ready, at podIP:8080 - what a cloud load
 * balancer controller registers for a Service of type LoadBalancer whose targetPort is 8080 (Istio's
 * ingressgateway Service maps port 80 to 8080). Followed with a client-node informer, which relists
 * after a watch error or an API server restart.
 */
import {
  CoreV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from '../../core/logger.js';
import type { LoadBalancerTarget } from './network-load-balancer.js';

export const gatewayNamespace = 'istio-system';
export const gatewaySelector = 'istio=ingressgateway';
export const gatewayTargetPort = 8080;

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Ready, not terminating gateway pods with an IP, as targets (sorted, so equal sets compare equal). */
export function readyGatewayTargets(pods: readonly V1Pod[]): LoadBalancerTarget[] {
  return pods
    .filter(
      (p) =>
        p.metadata?.deletionTimestamp === undefined && p.metadata?.labels?.['istio'] === 'ingressgateway',
    )
    .filter((p) => isReady(p) && (p.status?.podIP ?? '') !== '')
    .map((p) => ({ host: p.status?.podIP ?? '', port: gatewayTargetPort }))
    .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
}

export class GatewayTargetWatch {
  private readonly informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  private isStopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    kubeconfig: KubeConfig,
    private readonly onTargets: (targets: LoadBalancerTarget[]) => void,
    private readonly log: Logger,
  ) {
    const core = kubeconfig.makeApiClient(CoreV1Api);
    this.informer = makeInformer(
      kubeconfig,
      `/api/v1/namespaces/${gatewayNamespace}/pods`,
      () => core.listNamespacedPod({ namespace: gatewayNamespace, labelSelector: gatewaySelector }),
      gatewaySelector,
    );
    const changed = (): void => this.publish();
    this.informer.on('add', changed);
    this.informer.on('update', changed);
    this.informer.on('delete', changed);
    this.informer.on('error', (err: unknown) => {
      // client-node stops an informer on errors other than 410 Gone; start it again after a pause.
      if (this.isStopped) return;
      this.log.debug({ err: String(err) }, 'gateway pod watch failed; restarting');
      this.restartTimer = setTimeout(() => void this.informer.start().catch(() => {}), 500);
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.publish();
  }

  private publish(): void {
    const targets = readyGatewayTargets(this.informer.list());
    const text = JSON.stringify(targets);
    if (text === this.last) return;
    this.last = text;
    this.onTargets(targets);
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    await this.informer.stop();
  }
}
