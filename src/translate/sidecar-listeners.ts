/**
 * A sidecar's listeners and inbound clusters in the lab (ADR 0008): pods have no iptables, so
 * outbound traffic is captured by an HTTP-proxy listener (Istio's Sidecar egress `HTTP_PROXY` port,
 * istio/istio `pilot/pkg/networking/core/listener.go` buildHTTPProxy) on the workload's private
 * localhost, and each port the pod serves gets an inbound listener on the pod IP that forwards to
 * `inbound|<port>||` (`listener_inbound.go`, `cluster_builder.go` buildInboundCluster,
 * `httproute.go` buildSidecarInboundHTTPRouteConfig).
 */
import type { MeshConfig } from '../istio/istio-config.js';
import { delimitedStatPrefix, inboundClusterName } from './cluster-names.js';
import type { ConfigIndex } from './config-index.js';
import {
  httpConnectionManagerResource,
  istioServerName,
  listenerName,
  listenerResource,
} from './http-connection-manager.js';
import {
  applyConnectionPool,
  applyHttpOptions,
  clusterTypeUrl,
  serviceMetadata,
  type HttpOptions,
} from './outbound-cluster.js';
import { protoDuration } from './outlier-detection.js';
import type { ProxyContext } from './proxy-context.js';
import type { ServiceTarget } from './proxy-service-targets.js';
import { inboundRetryPolicy } from './retry-policy.js';
import { isGrpcProtocol, isHttp2Protocol, isHttpOrSniffed, servicePortProtocol } from './service-protocol.js';
import { httpProxyRouteName } from './sidecar-routes.js';
import { portLevelPolicy } from './traffic-policy.js';

type Json = Record<string, unknown>;

/** The outbound capture port (Istio's virtualOutbound port, used here as the HTTP-proxy port). */
export const httpProxyPort = 15001;

/** `<localhost>_15001`, HCM with RDS `http_proxy`, as Istio's HTTP_PROXY listener. */
export function httpProxyListener(proxy: ProxyContext): Json {
  const name = listenerName(proxy.localhostAddress, httpProxyPort);
  // Sidecar outbound: server_name left to Envoy's "envoy" (util/proxy_headers.go), and the
  // `http_protocol_options.allow_absolute_url` Istio sets is the Spillway codec's default.
  const hcm = httpConnectionManagerResource({
    statPrefix: delimitedStatPrefix(`outbound_${name}`),
    rds: httpProxyRouteName,
    useRemoteAddress: false,
    telemetry: 'sidecar-outbound',
  });
  return listenerResource(name, proxy.localhostAddress, httpProxyPort, 'OUTBOUND', hcm);
}

/** One inbound port: the first (oldest) service wins, as in getFilterChainsByServicePort. */
function byTargetPort(targets: readonly ServiceTarget[]): Map<number, ServiceTarget[]> {
  const out = new Map<number, ServiceTarget[]>();
  for (const t of targets) {
    if (!isHttpOrSniffed(servicePortProtocol(t.port))) continue;
    out.set(t.targetPort, [...(out.get(t.targetPort) ?? []), t]);
  }
  return out;
}

export interface InboundResources {
  readonly listeners: Json[];
  readonly clusters: Json[];
}

/** Inbound listeners bound at the pod IP and their STATIC `inbound|<port>||` clusters. */
export function inboundResources(
  proxy: ProxyContext,
  targets: readonly ServiceTarget[],
  index: ConfigIndex,
  mesh: MeshConfig,
): InboundResources {
  const listeners: Json[] = [];
  const clusters: Json[] = [];
  const ip = proxy.ipAddresses[0];
  if (ip === undefined) return { listeners, clusters };
  for (const [targetPort, instances] of [...byTargetPort(targets)].sort(([a], [b]) => a - b)) {
    const primary = instances[0] as ServiceTarget;
    const protocol = servicePortProtocol(primary.port);
    const clusterName = inboundClusterName(targetPort);
    const cluster: Json = {
      '@type': clusterTypeUrl,
      name: clusterName,
      type: 'STATIC',
      alt_stat_name: delimitedStatPrefix(clusterName),
      connect_timeout: protoDuration(mesh.connectTimeout),
      common_lb_config: {},
      load_assignment: {
        cluster_name: clusterName,
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: proxy.localhostAddress, port_value: targetPort } },
                },
              },
            ],
          },
        ],
      },
    };
    const options: HttpOptions = isHttp2Protocol(protocol)
      ? { explicit: { http2_protocol_options: {} } }
      : {};
    // Connection-pool settings of the service's DestinationRule apply on the server side too.
    const rule = index.destinationRuleFor(proxy.namespace, primary.service);
    const policy = portLevelPolicy(rule?.trafficPolicy, primary.port.port).policy;
    applyConnectionPool(cluster, options, policy?.connectionPool);
    applyHttpOptions(cluster, options);
    const seen = new Set<string>();
    const services = instances
      .filter(
        (t) =>
          t.port.port === primary.port.port && !seen.has(t.service.hostname) && seen.add(t.service.hostname),
      )
      .map((t) => serviceMetadata(t.service));
    const istio: Json = { services };
    if (rule?.trafficPolicy !== undefined) istio['config'] = rule.ref.path;
    cluster['metadata'] = { filter_metadata: { istio } };
    clusters.push(cluster);

    const action: Json = { cluster: clusterName, timeout: '0s' };
    // Istio route.go BuildDefaultHTTPInboundRoute: only with features.EnableInboundRetryPolicy.
    if (!isGrpcProtocol(protocol) && mesh.enableInboundRetryPolicy)
      action['retry_policy'] = inboundRetryPolicy();
    const routeConfig: Json = {
      name: clusterName,
      virtual_hosts: [
        {
          name: `inbound|http|${primary.port.port}`,
          domains: ['*'],
          routes: [
            {
              name: 'default',
              match: { prefix: '/' },
              decorator: { operation: `${primary.service.hostname}:${primary.port.port}/*` },
              route: action,
            },
          ],
        },
      ],
      validate_clusters: false,
    };
    const hcm = httpConnectionManagerResource({
      statPrefix: delimitedStatPrefix(`inbound_0.0.0.0_${targetPort}`),
      routeConfig,
      serverName: istioServerName,
      useRemoteAddress: false,
      http2: isHttp2Protocol(protocol),
      telemetry: 'sidecar-inbound',
    });
    listeners.push(listenerResource(listenerName(ip, targetPort), ip, targetPort, 'INBOUND', hcm));
  }
  return { listeners, clusters };
}
