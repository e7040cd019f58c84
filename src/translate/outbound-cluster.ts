/**
 * Outbound clusters `outbound|<port>|<subset>|<fqdn>` as istio/istio builds them for sidecars and
 * gateways (`pilot/pkg/networking/core/cluster_builder.go` buildCluster, applyDestinationRule,
 * buildSubsetCluster; `cluster_traffic_policy.go` applyTrafficPolicy), restricted to what the
 * Spillway proxy implements (docs/proxy.md; the gaps are listed in ADR 0008).
 */
import type { MeshConfig } from '../istio/istio-config.js';
import type { MeshService, ServicePort } from '../registry/mesh-model.js';
import { delimitedStatPrefix, outboundClusterName } from './cluster-names.js';
import type { ConfigRef, ConsolidatedDestinationRule } from './config-index.js';
import type { ConnectionPoolView, LoadBalancerView, TrafficPolicyView } from './istio-api.js';
import {
  decideLocalityLb,
  supportsUnhealthyEndpoints,
  type LocalityLbDecision,
} from './locality-lb-setting.js';
import { outlierDetectionResource, panicThresholdResource, protoDuration } from './outlier-detection.js';
import { isHttp2Protocol, servicePortProtocol } from './service-protocol.js';
import { effectiveTrafficPolicy } from './traffic-policy.js';

type Json = Record<string, unknown>;

export const clusterTypeUrl = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const httpOptionsKey = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const maxUint32 = 4294967295;

/** Everything the assignment of one outbound cluster needs, computed once per cluster. */
export interface OutboundClusterPlan {
  readonly name: string;
  readonly service: MeshService;
  readonly port: ServicePort;
  readonly subset: string;
  readonly subsetLabels: Readonly<Record<string, string>> | undefined;
  readonly decision: LocalityLbDecision;
  readonly includeUnhealthy: boolean;
  readonly mtls: boolean;
  readonly resource: Json;
  readonly explanation: ClusterExplanation;
}

/** What produced a cluster, for `spillway explain`. */
export interface ClusterExplanation {
  readonly destinationRule: ConfigRef | undefined;
  /** Every DestinationRule merged into the one that applies (same host, same namespace). */
  readonly mergedFrom: readonly ConfigRef[];
  readonly subset: string | undefined;
  /** Where the effective outlier detection came from; undefined when the policy has none. */
  readonly outlierDetectionFrom: string | undefined;
  /** False for proxyless gRPC clusters: Istio's grpcgen never sets outlier_detection (spec §5.1). */
  readonly outlierDetectionApplied: boolean;
  readonly localityLb: LocalityLbDecision['source'];
  readonly failoverEnabled: boolean;
}

/** `getDefaultCircuitBreakerThresholds`: every limit 2^32-1, remaining resources tracked. */
function defaultThresholds(): Json {
  return {
    max_connections: maxUint32,
    max_pending_requests: maxUint32,
    max_requests: maxUint32,
    max_retries: maxUint32,
    track_remaining: true,
  };
}

export type ClusterFlavor = 'sidecar' | 'router' | 'grpc';

export interface HttpOptions {
  explicit?: Json;
  common?: Json;
}

/** `applyConnectionPool` (the parts the proxy implements). */
export function applyConnectionPool(
  cluster: Json,
  options: HttpOptions,
  pool: ConnectionPoolView | undefined,
): void {
  const thresholds = defaultThresholds();
  const http = pool?.http;
  const tcp = pool?.tcp;
  if ((http?.http2MaxRequests ?? 0) > 0) thresholds['max_requests'] = http?.http2MaxRequests;
  if ((http?.http1MaxPendingRequests ?? 0) > 0)
    thresholds['max_pending_requests'] = http?.http1MaxPendingRequests;
  if ((http?.maxRetries ?? 0) > 0) thresholds['max_retries'] = http?.maxRetries;
  if (tcp?.connectTimeout !== undefined) cluster['connect_timeout'] = protoDuration(tcp.connectTimeout);
  if ((tcp?.maxConnections ?? 0) > 0) thresholds['max_connections'] = tcp?.maxConnections;
  cluster['circuit_breakers'] = { thresholds: [thresholds] };
  const idleTimeout = http?.idleTimeout ?? tcp?.idleTimeout;
  const maxRequestsPerConnection = http?.maxRequestsPerConnection ?? 0;
  const maxConcurrentStreams = http?.maxConcurrentStreams ?? 0;
  // maxConnectionDuration, tcpKeepalive and useClientProtocol need proxy features Spillway lacks.
  if (idleTimeout !== undefined || maxRequestsPerConnection > 0 || maxConcurrentStreams > 0) {
    const common: Json = { ...(options.common ?? {}) };
    if (idleTimeout !== undefined) common['idle_timeout'] = protoDuration(idleTimeout);
    if (maxRequestsPerConnection > 0) common['max_requests_per_connection'] = maxRequestsPerConnection;
    options.common = common;
    const http2 = options.explicit?.['http2_protocol_options'] as Json | undefined;
    if (http2 !== undefined && maxConcurrentStreams > 0)
      options.explicit = {
        http2_protocol_options: { ...http2, max_concurrent_streams: maxConcurrentStreams },
      };
  }
}

/** `applyLoadBalancer`'s algorithm choice; ring hash, maglev and passthrough are not in the proxy. */
function lbPolicy(lb: LoadBalancerView | undefined): string {
  switch (lb?.simple) {
    case 'RANDOM':
      return 'RANDOM';
    case 'ROUND_ROBIN':
      return 'ROUND_ROBIN';
    default:
      // LEAST_CONN, LEAST_REQUEST, unset: Istio's default is LEAST_REQUEST (defaultLBAlgorithm).
      return 'LEAST_REQUEST';
  }
}

/** clusterWrapper.build: the typed HttpProtocolOptions, HTTP/1 when no protocol was chosen. */
export function applyHttpOptions(cluster: Json, options: HttpOptions): void {
  if (options.explicit === undefined && options.common === undefined) return;
  const typed: Json = { '@type': `type.googleapis.com/${httpOptionsKey}` };
  if (options.common !== undefined) typed['common_http_protocol_options'] = options.common;
  typed['explicit_http_config'] = options.explicit ?? { http_protocol_options: {} };
  cluster['typed_extension_protocol_options'] = { [httpOptionsKey]: typed };
}

export function serviceMetadata(service: MeshService): Json {
  return { host: service.hostname, name: service.name, namespace: service.namespace };
}

function edsConfig(flavor: ClusterFlavor): Json {
  // grpcgen leaves out the fetch timeout and API version (grpcgen/cds.go edsCluster).
  return flavor === 'grpc'
    ? { ads: {} }
    : { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

function buildOne(
  name: string,
  service: MeshService,
  port: ServicePort,
  policy: TrafficPolicyView | undefined,
  rule: ConsolidatedDestinationRule | undefined,
  subset: string | undefined,
  mesh: MeshConfig,
  flavor: ClusterFlavor,
): { resource: Json; decision: LocalityLbDecision } {
  const decision = decideLocalityLb(mesh, service, policy);
  const cluster: Json = {
    '@type': clusterTypeUrl,
    name,
    type: 'EDS',
    eds_cluster_config: { service_name: name, eds_config: edsConfig(flavor) },
    alt_stat_name: delimitedStatPrefix(name),
  };
  if (flavor === 'grpc') {
    // grpcgen/cds.go applies only TLS and the LB policy (ROUND_ROBIN, the default, or ring hash);
    // outlier detection, connection pools and locality settings are ignored (spec §5.1).
    const hash = policy?.loadBalancer?.consistentHash;
    if (hash !== undefined) {
      cluster['lb_policy'] = 'RING_HASH';
      const size = hash.ringHash?.minimumRingSize ?? (hash.minimumRingSize || 1024);
      cluster['ring_hash_lb_config'] = { minimum_ring_size: size };
    }
    return { resource: cluster, decision };
  }
  const protocol = servicePortProtocol(port);
  const options: HttpOptions = {};
  // setUpstreamProtocol: HTTP/2 for http2/grpc ports; applyH2Upgrade: DR h2UpgradePolicy UPGRADE.
  const pool = policy?.connectionPool;
  // shouldH2Upgrade: an explicit UPGRADE wins unless useClientProtocol; otherwise only the mesh
  // h2UpgradePolicy would upgrade HTTP ports, and Istio's default is DO_NOT_UPGRADE.
  const upgrade = pool?.http?.useClientProtocol !== true && pool?.http?.h2UpgradePolicy === 'UPGRADE';
  if (isHttp2Protocol(protocol) || upgrade) options.explicit = { http2_protocol_options: {} };
  cluster['connect_timeout'] = protoDuration(mesh.connectTimeout);
  applyConnectionPool(cluster, options, pool);
  const common: Json = {};
  if (policy?.outlierDetection !== undefined) {
    cluster['outlier_detection'] = outlierDetectionResource(policy.outlierDetection);
    common['healthy_panic_threshold'] = panicThresholdResource(
      policy.outlierDetection,
      supportsUnhealthyEndpoints(service),
    );
  }
  if (supportsUnhealthyEndpoints(service)) common['healthy_panic_threshold'] = {};
  if (decision.localityWeighted) common['locality_weighted_lb_config'] = {};
  cluster['common_lb_config'] = common;
  const lb = lbPolicy(policy?.loadBalancer);
  // ROUND_ROBIN is the enum's zero value, which the normalized form leaves out.
  if (lb !== 'ROUND_ROBIN') cluster['lb_policy'] = lb;
  applyHttpOptions(cluster, options);
  const istio: Json = { services: [serviceMetadata(service)] };
  if (rule !== undefined) istio['config'] = rule.ref.path;
  if (subset !== undefined) istio['subset'] = subset;
  cluster['metadata'] = { filter_metadata: { istio } };
  return { resource: cluster, decision };
}

/** The default cluster and one per DestinationRule subset, for one service port. */
export function buildOutboundClusters(
  service: MeshService,
  port: ServicePort,
  rule: ConsolidatedDestinationRule | undefined,
  mesh: MeshConfig,
  flavor: ClusterFlavor,
): OutboundClusterPlan[] {
  const includeUnhealthy = supportsUnhealthyEndpoints(service);
  const variants: {
    subset: string | undefined;
    labels: Readonly<Record<string, string>> | undefined;
    policy: TrafficPolicyView | undefined;
  }[] = [
    { subset: undefined, labels: undefined, policy: rule?.trafficPolicy },
    ...(rule?.subsets ?? []).map((s) => ({ subset: s.name, labels: s.labels, policy: s.trafficPolicy })),
  ];
  return variants.map((variant) => {
    const effective = effectiveTrafficPolicy(
      rule?.trafficPolicy,
      variant.subset === undefined ? undefined : variant.policy,
      port.port,
    );
    const name = outboundClusterName(service.hostname, port.port, variant.subset ?? '');
    const { resource, decision } = buildOne(
      name,
      service,
      port,
      effective.policy,
      rule,
      variant.subset,
      mesh,
      flavor,
    );
    const tlsMode = effective.policy?.tls?.mode;
    return {
      name,
      service,
      port,
      subset: variant.subset ?? '',
      subsetLabels:
        variant.labels !== undefined && Object.keys(variant.labels).length > 0 ? variant.labels : undefined,
      decision,
      includeUnhealthy,
      mtls: tlsMode === undefined || tlsMode === 'ISTIO_MUTUAL',
      resource,
      explanation: {
        destinationRule: rule?.ref,
        mergedFrom: rule?.from ?? [],
        subset: variant.subset,
        outlierDetectionFrom: effective.outlierDetectionFrom,
        outlierDetectionApplied: flavor !== 'grpc' && effective.outlierDetectionFrom !== undefined,
        localityLb: decision.source,
        // EDS priorities follow the DestinationRule for gRPC clients too (the endpoint builder is shared).
        failoverEnabled: decision.enableFailover,
      },
    };
  });
}
