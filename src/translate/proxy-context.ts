/**
 * Who a connected proxy is, as translation needs it (Istio's `model.Proxy` after
 * `SetWorkloadLabels`/`setTopologyLabels`): derived from its xDS `Node` (id
 * `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local` or `router~...`, metadata
 * `CLUSTER_ID`, `NAMESPACE`, `LABELS`, `WORKLOAD_NAME`, ...) and the registry's view of its pod.
 */
import type { Locality } from '../core/locality.js';

export type ProxyType = 'sidecar' | 'router';

export interface ProxyContext {
  /** The xDS node id as sent. */
  readonly id: string;
  readonly type: ProxyType;
  /** The proxy's addresses (node id IP first, then metadata `INSTANCE_IPS`). Listeners bind the first. */
  readonly ipAddresses: readonly string[];
  readonly podName: string;
  readonly namespace: string;
  /** `<namespace>.svc.cluster.local`, from the node id. */
  readonly dnsDomain: string;
  /** Metadata `CLUSTER_ID`, else the control plane's own cluster. */
  readonly clusterId: string;
  /** Metadata `NETWORK`, else the cluster's network. */
  readonly network: string;
  /** The pod's labels (registry first, metadata `LABELS` as fallback), augmented with topology labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** From the pod's Node labels (or its `istio-locality` label), falling back to `node.locality`. */
  readonly locality: Locality;
  /** Metadata `WORKLOAD_NAME` (the Deployment name). */
  readonly workloadName: string;
  /**
   * Where the workload's own "localhost" is: the inbound clusters' endpoint address and the address of
   * the outbound capture listener. Istio uses 127.0.0.1 inside the pod's network namespace; lab pods
   * share the host's loopback, so each gets a private address (metadata `SPILLWAY_LOCALHOST`).
   */
  readonly localhostAddress: string;
  /** The raw node metadata (proto3 JSON `Struct`). */
  readonly metadata: Readonly<Record<string, unknown>>;
}
