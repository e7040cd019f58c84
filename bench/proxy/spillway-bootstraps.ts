/**
 * Envoy v3 Bootstrap documents (as JSON objects, which `spillway proxy --config` reads like YAML) for
 * the Spillway processes the benchmark starts. Field names are Envoy's, as in
 * src/proxy/bootstrap/testdata/three-priorities.yaml.
 */
import type { Endpoint } from './anchor-configs.js';

type Json = Record<string, unknown>;

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const PREVIOUS_HOSTS_TYPE =
  'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

function socketAddress(endpoint: Endpoint): Json {
  return { socket_address: { address: endpoint.host, port_value: endpoint.port } };
}

function lbEndpoint(endpoint: Endpoint): Json {
  return { endpoint: { address: socketAddress(endpoint) } };
}

interface RouteSpec {
  readonly prefix: string;
  readonly cluster: string;
  readonly retryPolicy?: Json;
}

function listener(listen: Endpoint, routes: readonly RouteSpec[]): Json {
  return {
    name: 'bench',
    address: socketAddress(listen),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'bench',
              route_config: {
                name: 'bench',
                virtual_hosts: [
                  {
                    name: 'bench',
                    domains: ['*'],
                    routes: routes.map((r) => ({
                      match: { prefix: r.prefix },
                      route: {
                        cluster: r.cluster,
                        ...(r.retryPolicy === undefined ? {} : { retry_policy: r.retryPolicy }),
                      },
                    })),
                  },
                ],
              },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

/** Admin on an ephemeral loopback port; the CLI writes it to `--admin-address-path`. */
const ADMIN: Json = { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } };

/** 127.1.x.y:port for endpoint i of the 1,000-endpoint fleet: nothing listens there, no traffic goes there. */
export function fleetEndpoint(index: number, port: number): Endpoint {
  return { host: `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`, port };
}

/**
 * The throughput/latency/RSS Spillway: one listener routing everything to a one-endpoint STATIC
 * cluster, plus a `fleet` cluster of `fleetSize` endpoints in 10 zones that is loaded but never
 * routed to, so RSS is measured with 1,000 endpoints in memory.
 */
export function throughputBootstrap(listen: Endpoint, backend: Endpoint, fleetSize: number): Json {
  const zones = 10;
  const fleetLocalities = Array.from({ length: zones }, (_, zone) => ({
    locality: { region: 'bench-1', zone: `bench-1${String.fromCharCode(97 + zone)}` },
    lb_endpoints: Array.from({ length: Math.ceil(fleetSize / zones) }, (_, i) => zone + i * zones)
      .filter((index) => index < fleetSize)
      .map((index) => lbEndpoint(fleetEndpoint(index, backend.port))),
  }));
  return {
    node: { id: 'bench-proxy', cluster: 'bench' },
    admin: ADMIN,
    static_resources: {
      listeners: [listener(listen, [{ prefix: '/', cluster: 'backend' }])],
      clusters: [
        {
          name: 'backend',
          connect_timeout: '1s',
          type: 'STATIC',
          lb_policy: 'ROUND_ROBIN',
          load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [lbEndpoint(backend)] }] },
        },
        {
          name: 'fleet',
          connect_timeout: '1s',
          type: 'STATIC',
          lb_policy: 'ROUND_ROBIN',
          outlier_detection: { consecutive_5xx: 5 },
          load_assignment: { cluster_name: 'fleet', endpoints: fleetLocalities },
        },
      ],
    },
  };
}

export interface FailoverBootstrapSpec {
  readonly listen: Endpoint;
  /** Priority 0 endpoints (the first one is the one that fails) and priority 1 endpoints. */
  readonly priority0: readonly Endpoint[];
  readonly priority1: readonly Endpoint[];
  readonly consecutive5xx: number;
  /** `retry_on: connect-failure` + previous_hosts, or no retry policy at all. */
  readonly hasRetries: boolean;
  readonly eventLogPath: string;
  /** Where nothing listens: the `warm-up-refused` cluster behind `/warm-up-refused` (see below). */
  readonly refusingEndpoint: Endpoint;
}

/** The route prefix of the warm-up cluster whose one endpoint refuses connections. */
export const WARM_UP_REFUSED_PATH = '/warm-up-refused';

/**
 * Two priorities of two endpoints; every consecutive-error ejection is enforced
 * (max_ejection_percent 100) and panic mode is off (healthy_panic_threshold 0), so once the failed
 * host is ejected no request is ever sent to it again during the run (base_ejection_time 30 s).
 *
 * A second route, `/warm-up-refused`, leads to a cluster whose one endpoint refuses connections,
 * with the same retry policy and an outlier detector that never ejects: the warm-up sends a few
 * requests there so that the failure path (refused connect, outlier report, retry, local reply) has
 * run before the fault, as in a proxy that has been serving for a while. Otherwise the first failure
 * of the process pays V8's lazy compilation and first, interpreted runs of that code - 2-3 ms of
 * blocked event loop on this VM (Node's own connect-error path ~1 ms of it) in which more requests are
 * routed to A than Envoy, compiled ahead of time, would let through.
 */
export function failoverBootstrap(spec: FailoverBootstrapSpec): Json {
  const retryPolicy = spec.hasRetries
    ? {
        // num_retries left at Envoy's default of 1: one retry, to another host, must be enough.
        retry_on: 'connect-failure',
        retry_host_predicate: [
          {
            name: 'envoy.retry_host_predicates.previous_hosts',
            typed_config: { '@type': PREVIOUS_HOSTS_TYPE },
          },
        ],
        host_selection_retry_max_attempts: 5,
      }
    : undefined;
  return {
    node: { id: 'bench-failover', cluster: 'bench', locality: { region: 'bench-1', zone: 'bench-1a' } },
    admin: ADMIN,
    cluster_manager: { outlier_detection: { event_log_path: spec.eventLogPath } },
    static_resources: {
      listeners: [
        listener(spec.listen, [
          {
            prefix: WARM_UP_REFUSED_PATH,
            cluster: 'warm-up-refused',
            ...(retryPolicy === undefined ? {} : { retryPolicy }),
          },
          { prefix: '/', cluster: 'failover', ...(retryPolicy === undefined ? {} : { retryPolicy }) },
        ]),
      ],
      clusters: [
        {
          name: 'warm-up-refused',
          connect_timeout: '0.25s',
          type: 'STATIC',
          lb_policy: 'ROUND_ROBIN',
          outlier_detection: { consecutive_5xx: 1000000, max_ejection_percent: 100 },
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
          load_assignment: {
            cluster_name: 'warm-up-refused',
            endpoints: [{ lb_endpoints: [lbEndpoint(spec.refusingEndpoint)] }],
          },
        },
        {
          name: 'failover',
          connect_timeout: '0.25s',
          type: 'STATIC',
          lb_policy: 'ROUND_ROBIN',
          outlier_detection: {
            consecutive_5xx: spec.consecutive5xx,
            max_ejection_percent: 100,
            base_ejection_time: '30s',
          },
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
          // Istio's circuit breakers for every outbound cluster (spec §3.5): without them Envoy's
          // default max_retries of 3 overflows (UO) when a burst of requests is retried at once.
          circuit_breakers: {
            thresholds: [
              {
                max_connections: 4294967295,
                max_pending_requests: 4294967295,
                max_requests: 4294967295,
                max_retries: 4294967295,
                track_remaining: true,
              },
            ],
          },
          load_assignment: {
            cluster_name: 'failover',
            endpoints: [
              {
                priority: 0,
                locality: { region: 'bench-1', zone: 'bench-1a' },
                lb_endpoints: spec.priority0.map(lbEndpoint),
              },
              {
                priority: 1,
                locality: { region: 'bench-1', zone: 'bench-1b' },
                lb_endpoints: spec.priority1.map(lbEndpoint),
              },
            ],
          },
        },
      ],
    },
  };
}
