/**
 * The Kubernetes objects the lab creates in each cluster (lab design "Kubernetes objects"), as pure
 * builders: the labelled Nodes, and in `istio-system` the control plane's Service `istiod` and the
 * ingress gateway (one single-replica Deployment per zone, pinned to it, behind one Service of type
 * LoadBalancer whose ingress IP is the network load balancer's address).
 *
 * Shapes follow what an Istio installation has (istio/istio `manifests/charts/gateways/
 * istio-ingress/templates/deployment.yaml` and `service.yaml`: labels `app: istio-ingressgateway`,
 * `istio: ingressgateway`, container `istio-proxy`, ports 8080 (http2) and 15021 (status-port),
 * readiness `/healthz/ready` on 15021; `manifests/charts/istio-control/istio-discovery/templates/
 * service.yaml`: istiod's ports) and what a kubelet registers for a Node (`kubernetes.io/hostname`,
 * `kubernetes.io/os`, topology labels, InternalIP/Hostname addresses).
 */
import type { ClusterPlan, LabPlan, NodePlan } from '../topology/address-plan.js';
import { formatHostPort, meshServing } from '../topology/address-plan.js';
import { gatewayNamespace, gatewayTargetPort } from './gateway-targets.js';

export type KubeManifest = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
};

/** Marks the Nodes the lab manages, so that nodes of an older topology can be removed. */
export const labClusterLabel = 'lab.spillway.io/cluster';
const gatewayZoneLabel = 'lab.spillway.io/gateway-zone';
export const regionLabel = 'topology.kubernetes.io/region';
export const zoneLabel = 'topology.kubernetes.io/zone';
export const networkLabel = 'topology.istio.io/network';
const proxyImage = 'spillway/proxyv2';

export function nodeObject(node: NodePlan): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        [regionLabel]: node.region,
        [zoneLabel]: node.zone,
        // Where the node agent takes its proxies' NETWORK from when not told (Istio's network label).
        [networkLabel]: node.network,
        [labClusterLabel]: node.cluster,
      },
    },
    spec: { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] },
  };
}

/**
 * The status a Node starts each lab run with: its addresses, and Ready Unknown until its node agent
 * reports (the node lifecycle controller's state for a kubelet that never posted, so that a Ready
 * left from the previous run does not count).
 */
export function initialNodeStatus(node: NodePlan, nowIso: string): Record<string, unknown> {
  return {
    addresses: [
      { type: 'InternalIP', address: node.address },
      { type: 'Hostname', address: node.name },
    ],
    conditions: [
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: nowIso,
        lastTransitionTime: nowIso,
      },
    ],
  };
}

/** istio-system, labelled with the cluster's network as Istio reads it (`topology.istio.io/network`). */
export function istioSystemNamespace(cluster: ClusterPlan): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: gatewayNamespace, labels: { [networkLabel]: cluster.network } },
  };
}

/** Service `istiod` of the mesh whose config cluster this is (for show: the lab routes by address). */
export function istiodService(plan: LabPlan, cluster: ClusterPlan): KubeManifest | undefined {
  const mesh = meshServing(plan, cluster.name);
  if (mesh === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'istiod',
      namespace: gatewayNamespace,
      labels: { app: 'istiod', istio: 'pilot', 'lab.spillway.io/mesh': mesh.name },
      annotations: {
        'lab.spillway.io/xds-address': formatHostPort(mesh.xds),
        'lab.spillway.io/admin-address': formatHostPort(mesh.admin),
      },
    },
    spec: {
      selector: { app: 'istiod', istio: 'pilot' },
      ports: [
        { name: 'grpc-xds', port: 15010, targetPort: 15010, protocol: 'TCP' },
        { name: 'http-monitoring', port: 15014, targetPort: 15014, protocol: 'TCP' },
      ],
    },
  };
}

export function gatewayDeploymentName(zone: string): string {
  return `istio-ingressgateway-${zone}`;
}

/** One single-replica gateway Deployment per zone, pinned with a nodeSelector like the seed's apps. */
export function gatewayDeployment(cluster: ClusterPlan, zone: string): KubeManifest {
  const labels = { app: 'istio-ingressgateway', istio: 'ingressgateway', [gatewayZoneLabel]: zone };
  const probe = {
    httpGet: { path: '/healthz/ready', port: 15021 },
    initialDelaySeconds: 1,
    periodSeconds: 2,
    failureThreshold: 30,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: gatewayDeploymentName(zone), namespace: gatewayNamespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        // The gateway is itself a proxy: never give it a sidecar, whatever the namespace says.
        metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
        spec: {
          nodeSelector: { [zoneLabel]: zone },
          containers: [
            {
              name: 'istio-proxy',
              image: proxyImage,
              args: ['proxy', 'router'],
              ports: [
                { containerPort: gatewayTargetPort, name: 'http2', protocol: 'TCP' },
                { containerPort: 15021, name: 'status-port', protocol: 'TCP' },
              ],
              env: [
                { name: 'ISTIO_META_CLUSTER_ID', value: cluster.name },
                { name: 'ISTIO_META_NETWORK', value: cluster.network },
              ],
              readinessProbe: probe,
            },
          ],
        },
      },
    },
  };
}

/**
 * Service istio-ingressgateway: port 80 -> targetPort 8080, as Istio's. Its port is what a Gateway's
 * `port.number` is matched against (Istio builds the gateway listener on the matching targetPort),
 * so it stays 80 whatever the NLB's own port (the topology's ingressPort, only a frontend).
 */
export function gatewayService(): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'istio-ingressgateway',
      namespace: gatewayNamespace,
      labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
    },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
      ports: [
        { name: 'http2', port: 80, targetPort: gatewayTargetPort, protocol: 'TCP' },
        { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
      ],
    },
  };
}

/** The Service status a cloud load balancer controller writes: the NLB's address as ingress IP. */
export function gatewayServiceStatus(cluster: ClusterPlan): Record<string, unknown> {
  return { loadBalancer: { ingress: [{ ip: cluster.ingress.host, ipMode: 'VIP' }] } };
}

/** Everything of istio-system, in creation order. */
export function istioSystemObjects(plan: LabPlan, cluster: ClusterPlan): KubeManifest[] {
  const istiod = istiodService(plan, cluster);
  return [
    istioSystemNamespace(cluster),
    ...(istiod !== undefined ? [istiod] : []),
    ...cluster.zones.map((zone) => gatewayDeployment(cluster, zone)),
    gatewayService(),
  ];
}
