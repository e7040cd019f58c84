/**
 * The lab topology: what `spillway lab up` runs (docs/lab.md). Regions hold zones; each Kubernetes
 * cluster sits in one region with nodes in some of its zones; each mesh instance is one control
 * plane in a region, configured from one cluster (its "config cluster") and discovering services in
 * the clusters it watches. Values here are validated (see parse-topology.ts) and defaults filled in.
 */

export const topologyApiVersion = 'spillway.io/v1alpha1';
export const topologyKind = 'LabTopology';

export interface RegionTopology {
  readonly name: string;
  readonly zones: readonly string[];
}

export interface ClusterTopology {
  /** Also the cluster id (Istio `CLUSTER_ID`) and the kubeconfig context name. */
  readonly name: string;
  readonly region: string;
  /** Istio network (`topology.istio.io/network`); clusters on one network reach each other's pods. */
  readonly network: string;
  /** Zones of the region that have nodes, in topology order. */
  readonly zones: readonly string[];
  /** Kubernetes nodes in each zone (same order as `zones`). */
  readonly nodesPerZone: readonly number[];
  /** Port of the ingress network load balancer. */
  readonly ingressPort: number;
}

export interface MeshTopology {
  readonly name: string;
  readonly region: string;
  /** The cluster the control plane reads Istio config from and whose proxies it serves. */
  readonly configCluster: string;
  /** Every cluster it discovers services in (the config cluster included), in topology order. */
  readonly clusters: readonly string[];
  /**
   * istiod's `ENABLE_INBOUND_RETRY_POLICY` (Istio >= 1.24 default true; passed to the control plane as
   * `--inbound-retry-policy`). The seed's Istio predates it, so the seed topology turns it off and
   * the drill's first failed request reads exactly as in the article.
   */
  readonly inboundRetryPolicy: boolean;
}

export interface LabTopology {
  readonly name: string;
  /** Second octet of cluster N's addresses is `addressBase + N` (docs/lab.md "Addresses"). */
  readonly addressBase: number;
  readonly regions: readonly RegionTopology[];
  readonly clusters: readonly ClusterTopology[];
  readonly meshes: readonly MeshTopology[];
}

export const defaultAddressBase = 100;
export const defaultIngressPort = 80;
export const defaultNetwork = 'network-1';
/** Node k of a cluster owns 127.x.k.0/24, so a cluster has at most 254 nodes. */
export const maxNodesPerCluster = 254;
