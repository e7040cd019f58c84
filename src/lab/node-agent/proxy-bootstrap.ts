/**
 * The Envoy bootstrap the node agent gives each in-process proxy (lab design "The sidecar's
 * bootstrap"), in the shape Istio's pilot-agent writes (istio/istio
 * `tools/packaging/common/envoy_bootstrap.json`, `pkg/bootstrap/config.go`):
 *
 * - `node.id` `sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local` (`router~...` for a gateway),
 *   `node.cluster` `<app label or workload>.<ns>`, `node.locality` from the Node's topology labels,
 *   metadata `CLUSTER_ID`, `NAMESPACE`, `LABELS`, `WORKLOAD_NAME`, `INSTANCE_IPS`, `NETWORK`,
 *   `SPILLWAY_LOCALHOST` and every `ISTIO_META_<NAME>` variable of the proxy container as `<NAME>`
 *   (pilot-agent's `ISTIO_META_` convention, which the injector's template uses);
 * - `admin` on the pod's localhost :15000; the outlier event log in the pod's directory;
 * - `stats_config` only when the pod asks for a stats matcher (`proxy-stats-matcher.ts`);
 * - ADS (SotW gRPC, `set_node_on_first_message_only`) to the static cluster `xds-grpc` = the region's
 *   control plane, CDS and LDS over it with `initial_fetch_timeout: 0s` (Istio's);
 * - Istio's two static listeners on the pod IP: :15021 `/healthz/ready` (the readiness port the
 *   injected probe and the gateway Service use) and :15090 `/stats/prometheus`. Istio routes the first
 *   to pilot-agent (cluster `agent`, 127.0.0.1:15020), which answers ready once Envoy is LIVE and has
 *   its first configuration; the lab has no pilot-agent, so `agent` is the proxy's own admin and the
 *   path is rewritten to `/ready` - the same answer (the proxy is LIVE only after its first xDS round;
 *   static listeners are bound only then). `prometheus_stats` is the admin too, as in Istio.
 *
 * Pure: everything comes in through `ProxyIdentity`.
 */
import type { PodNetwork } from './container-env.js';
import { proxyContainerOf, type PodSpecModel } from './pod-spec.js';
import { statsConfigFromAnnotations } from './proxy-stats-matcher.js';

type Json = Record<string, unknown>;

export interface ProxyLocality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** Everything a proxy's bootstrap depends on. */
export interface ProxyIdentity {
  readonly role: 'sidecar' | 'router';
  readonly podName: string;
  readonly namespace: string;
  readonly podIP: string;
  readonly localhost: string;
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: ProxyLocality;
  readonly clusterId: string;
  readonly network: string;
  readonly workloadName: string;
  /** Node metadata from the container's `ISTIO_META_*` variables (already without the prefix). */
  readonly extraMetadata: Readonly<Record<string, string>>;
  /** The pod's directory (outlier event log, access log of the static bootstrap). */
  readonly podDir: string;
  /** The container ports of the pod's app containers (inbound listeners of a static sidecar). */
  readonly appPorts: readonly number[];
  /** The pod's annotations (stats matcher options); none when absent. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export const proxyAdminPort = 15000;
export const proxyStatusPort = 15021;
export const proxyPrometheusPort = 15090;
export const xdsClusterName = 'xds-grpc';
const dnsSuffix = 'svc.cluster.local';

const hcmTypeUrl =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerFilter = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

/**
 * The workload name as Istio derives it (`pkg/kube/util.go` GetDeployMetaFromPod): a pod of a
 * ReplicaSet named `<deployment>-<pod-template-hash>` belongs to the Deployment, else to its
 * controller, else to itself.
 */
export function workloadNameOf(pod: PodSpecModel): string {
  const owner = pod.controller;
  if (owner === undefined) return pod.name;
  const hash = pod.labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash !== undefined && owner.name.endsWith(`-${hash}`))
    return owner.name.slice(0, -(hash.length + 1));
  return owner.name;
}

/** `ISTIO_META_FOO=bar` -> `{FOO: 'bar'}`. */
export function istioMetaFromEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('ISTIO_META_') && name.length > 'ISTIO_META_'.length)
      out[name.slice('ISTIO_META_'.length)] = value;
  return out;
}

/** The identity of `pod`'s proxy, from the pod, its network, the proxy container's env and the node. */
export function proxyIdentityOf(
  pod: PodSpecModel,
  net: PodNetwork,
  env: Readonly<Record<string, string>>,
  node: {
    readonly nodeName: string;
    readonly locality: ProxyLocality;
    readonly clusterId: string;
    readonly network: string;
    readonly podDir: string;
  },
): ProxyIdentity {
  return {
    role: proxyContainerOf(pod)?.proxyRole ?? 'sidecar',
    podName: pod.name,
    namespace: pod.namespace,
    podIP: net.podIP,
    localhost: net.localhost,
    nodeName: node.nodeName,
    labels: pod.labels,
    locality: node.locality,
    clusterId: node.clusterId,
    network: node.network,
    workloadName: workloadNameOf(pod),
    extraMetadata: istioMetaFromEnv(env),
    podDir: node.podDir,
    appPorts: pod.containers
      .filter((c) => c.runtime !== 'proxy')
      .flatMap((c) => c.ports.map((p) => p.containerPort)),
    annotations: pod.annotations,
  };
}

export function proxyNodeId(identity: ProxyIdentity): string {
  const ns = identity.namespace;
  return `${identity.role}~${identity.podIP}~${identity.podName}.${ns}~${ns}.${dnsSuffix}`;
}

/**
 * The pod labels with the canonical service labels Istio's injector adds to every injected pod
 * (istio/istio `manifests/charts/istio-control/istio-discovery/files/injection-template.yaml`:
 * canonical-name = the label, else `app.kubernetes.io/name`, else `app`, else the workload name;
 * canonical-revision = the label, else `app.kubernetes.io/version`, else `version`, else `latest`).
 * The istio.stats filter reads them from the node metadata `LABELS`.
 */
export function injectedLabels(identity: ProxyIdentity): Record<string, string> {
  const labels = identity.labels;
  return {
    ...labels,
    'service.istio.io/canonical-name':
      labels['service.istio.io/canonical-name'] ??
      labels['app.kubernetes.io/name'] ??
      labels['app'] ??
      identity.workloadName,
    'service.istio.io/canonical-revision':
      labels['service.istio.io/canonical-revision'] ??
      labels['app.kubernetes.io/version'] ??
      labels['version'] ??
      'latest',
  };
}

function nodeSection(identity: ProxyIdentity): Json {
  const app = identity.labels['app'] ?? identity.labels['app.kubernetes.io/name'] ?? identity.workloadName;
  const metadata: Json = {
    ...identity.extraMetadata,
    CLUSTER_ID: identity.extraMetadata['CLUSTER_ID'] ?? identity.clusterId,
    NAMESPACE: identity.namespace,
    // pilot-agent's NAME is the pod name (the istio.stats / metadata exchange instance name).
    NAME: identity.podName,
    LABELS: injectedLabels(identity),
    WORKLOAD_NAME: identity.extraMetadata['WORKLOAD_NAME'] ?? identity.workloadName,
    INSTANCE_IPS: identity.podIP,
    POD_NAME: identity.podName,
    NODE_NAME: identity.nodeName,
    SPILLWAY_LOCALHOST: identity.localhost,
  };
  const network = identity.extraMetadata['NETWORK'] ?? identity.network;
  if (network !== '') metadata['NETWORK'] = network;
  else delete metadata['NETWORK'];
  const locality: Json = {};
  if (identity.locality.region !== '') locality['region'] = identity.locality.region;
  if (identity.locality.zone !== '') locality['zone'] = identity.locality.zone;
  if (identity.locality.subZone !== '') locality['sub_zone'] = identity.locality.subZone;
  return { id: proxyNodeId(identity), cluster: `${app}.${identity.namespace}`, locality, metadata };
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

/** A STATIC cluster with one endpoint. */
export function staticCluster(name: string, address: string, port: number, http2 = false): Json {
  const cluster: Json = {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address, port) } }] }],
    },
  };
  if (http2) {
    cluster['typed_extension_protocol_options'] = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    };
  }
  return cluster;
}

/** A listener with one HTTP connection manager and an inline route configuration. */
export function httpListener(
  address: string,
  port: number,
  statPrefix: string,
  routeConfig: Json,
  extra: Json = {},
): Json {
  return {
    name: `${address}_${port}`,
    address: socketAddress(address, port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': hcmTypeUrl,
              stat_prefix: statPrefix,
              route_config: routeConfig,
              http_filters: [routerFilter],
              ...extra,
            },
          },
        ],
      },
    ],
  };
}

/** Istio's status (:15021) and Prometheus (:15090) listeners, with their admin-backed clusters. */
export function statusResources(identity: ProxyIdentity): { listeners: Json[]; clusters: Json[] } {
  const readiness = httpListener(identity.podIP, proxyStatusPort, 'agent', {
    name: 'agent',
    virtual_hosts: [
      {
        name: 'backend',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/healthz/ready' },
            route: { cluster: 'agent', prefix_rewrite: '/ready' },
          },
        ],
      },
    ],
  });
  const prometheus = httpListener(identity.podIP, proxyPrometheusPort, 'stats', {
    name: 'prometheus_stats',
    virtual_hosts: [
      {
        name: 'backend',
        domains: ['*'],
        routes: [{ match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } }],
      },
    ],
  });
  return {
    listeners: [readiness, prometheus],
    clusters: [
      staticCluster('agent', identity.localhost, proxyAdminPort),
      staticCluster('prometheus_stats', identity.localhost, proxyAdminPort),
    ],
  };
}

/** Where the proxy's outlier ejection events go (one JSON line each). */
export function outlierEventLogPath(identity: ProxyIdentity): string {
  return `${identity.podDir}/istio-proxy.outlier-events.log`;
}

/** The parts every lab proxy bootstrap has: node, admin, status listeners, outlier event log. */
export function bootstrapBase(identity: ProxyIdentity): Json {
  const base: Json = {
    node: nodeSection(identity),
    admin: { address: socketAddress(identity.localhost, proxyAdminPort) },
    cluster_manager: { outlier_detection: { event_log_path: outlierEventLogPath(identity) } },
  };
  const statsConfig = statsConfigFromAnnotations(identity.annotations ?? {});
  if (statsConfig !== undefined) base['stats_config'] = statsConfig;
  return base;
}

/** The ADS bootstrap: everything but the status listeners comes from the control plane at `xds`. */
export function adsProxyBootstrap(identity: ProxyIdentity, xds: { host: string; port: number }): Json {
  const status = statusResources(identity);
  const ads = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
  return {
    ...bootstrapBase(identity),
    dynamic_resources: {
      lds_config: ads,
      cds_config: ads,
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: xdsClusterName } }],
      },
    },
    static_resources: {
      listeners: status.listeners,
      clusters: [staticCluster(xdsClusterName, xds.host, xds.port, true), ...status.clusters],
    },
  };
}
