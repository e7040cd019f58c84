/**
 * xDS resources and ADS bootstraps for tests, shaped like the ones Istio sends (EDS clusters over
 * ADS with `initial_fetch_timeout: 0s`, listeners whose connection manager uses RDS) and the
 * equivalent static bootstrap, so both can be compared.
 */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const router = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};
const ads = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };

export function edsCluster(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { service_name: name, eds_config: ads },
    connect_timeout: '1s',
    ...extra,
  };
}

/** A ClusterLoadAssignment with one locality (zone p<N>) per priority. */
export function assignment(
  name: string,
  priorities: ReadonlyArray<readonly Endpoint[]>,
): Record<string, unknown> {
  return {
    cluster_name: name,
    endpoints: priorities.map((endpoints, priority) => ({
      priority,
      locality: { region: 'r1', zone: `p${priority}` },
      lb_endpoints: endpoints.map((e) => ({
        endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
      })),
    })),
  };
}

export interface RouteSpec {
  readonly prefix: string;
  readonly cluster: string;
  readonly timeout?: string;
}

export function routeConfiguration(name: string, routes: readonly RouteSpec[]): Record<string, unknown> {
  return {
    name,
    virtual_hosts: [
      {
        name: 'all',
        domains: ['*'],
        routes: routes.map((r) => ({
          match: { prefix: r.prefix },
          route: { cluster: r.cluster, ...(r.timeout !== undefined ? { timeout: r.timeout } : {}) },
        })),
      },
    ],
  };
}

function listenerWith(
  name: string,
  address: Endpoint,
  hcmRoutes: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name,
    address: { socket_address: { address: address.address, port_value: address.port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: { '@type': hcmType, stat_prefix: name, ...hcmRoutes, http_filters: [router] },
          },
        ],
      },
    ],
  };
}

/** A listener whose connection manager takes its routes from RDS. */
export function rdsListener(name: string, address: Endpoint, routeName: string): Record<string, unknown> {
  return listenerWith(name, address, { rds: { route_config_name: routeName, config_source: ads } });
}

/** The same listener with the routes inline (for the equivalent static bootstrap). */
export function inlineListener(
  name: string,
  address: Endpoint,
  routeConfig: Record<string, unknown>,
): Record<string, unknown> {
  return listenerWith(name, address, { route_config: routeConfig });
}

/** The static cluster pointing at the ADS server (Istio names it `xds-grpc`). */
export function xdsGrpcCluster(server: Endpoint): Record<string, unknown> {
  return {
    name: 'xds-grpc',
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: 'xds-grpc',
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: { address: { socket_address: { address: server.address, port_value: server.port } } },
            },
          ],
        },
      ],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}

/** An ADS-only bootstrap in Istio's shape (tools/packaging/common/envoy_bootstrap.json). */
export function adsBootstrap(
  server: Endpoint,
  options: { nodeId?: string; admin?: Endpoint; staticClusters?: readonly Record<string, unknown>[] } = {},
): Record<string, unknown> {
  return {
    node: {
      id: options.nodeId ?? 'sidecar~127.83.0.1~client.default~default.svc.cluster.local',
      cluster: 'client.default',
      locality: { region: 'r1', zone: 'p0' },
      metadata: { NAMESPACE: 'default', CLUSTER_ID: 'cluster-1' },
    },
    admin: {
      address: {
        socket_address: {
          address: options.admin?.address ?? '127.0.0.1',
          port_value: options.admin?.port ?? 0,
        },
      },
    },
    dynamic_resources: {
      lds_config: ads,
      cds_config: ads,
      ads_config: {
        api_type: 'GRPC',
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
      },
    },
    static_resources: { clusters: [xdsGrpcCluster(server), ...(options.staticClusters ?? [])] },
  };
}
