/**
 * Pods as workloads, for identifying the proxy that connects (Istio resolves a proxy's pod by its IP
 * or name and takes labels and locality from it: `pilot/pkg/serviceregistry/kube/controller/pod.go`,
 * `pilot/pkg/xds/ads.go` initializeProxy/setTopologyLabels).
 */
import type { EndpointContext } from './endpoint-builder.js';
import { augmentLabels, endpointLocality, endpointNetwork, spiffeIdentity } from './endpoint-topology.js';
import type { NodeRecord, PodRecord } from './kube-records.js';
import type { WorkloadInstance } from './mesh-model.js';

/**
 * A pod with an IP that has not finished: Istio's pod informer leaves out Succeeded and Failed pods
 * (their IPs may already belong to another pod). Labels are augmented like an endpoint's.
 */
export function toWorkload(
  pod: PodRecord,
  node: NodeRecord | undefined,
  ctx: EndpointContext,
): WorkloadInstance | undefined {
  if (pod.podIP === undefined || pod.phase === 'Succeeded' || pod.phase === 'Failed') return undefined;
  const locality = endpointLocality({ pod, ...(node !== undefined ? { node } : {}) });
  const network = endpointNetwork(pod.labels, ctx.systemNamespaceNetwork, ctx.clusterNetwork);
  return Object.freeze({
    clusterId: ctx.clusterId,
    namespace: pod.namespace,
    name: pod.name,
    address: pod.podIP,
    labels: Object.freeze(augmentLabels(pod.labels, ctx.clusterId, locality, pod.nodeName, network)),
    locality: Object.freeze(locality),
    network,
    ...(pod.nodeName !== undefined ? { nodeName: pod.nodeName } : {}),
    serviceAccount: spiffeIdentity(ctx.trustDomain, pod.namespace, pod.serviceAccountName),
  });
}
