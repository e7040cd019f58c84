/**
 * Builds Envoy bootstraps for tests and runs the proxy in-process on loopback.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.js';
import type { Random } from '../../src/core/random.js';
import { buildBootstrap } from '../../src/proxy/bootstrap/bootstrap-builder.js';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { waitFor } from './wait-for.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface ClusterSpec {
  readonly name?: string;
  /** Endpoints per priority, priority 0 first; each priority is its own locality (zone p<N>). */
  readonly priorities: ReadonlyArray<readonly Endpoint[]>;
  readonly outlierDetection?: Record<string, unknown>;
  readonly healthyPanicThreshold?: number;
  readonly lbPolicy?: string;
  readonly http2?: boolean;
  readonly connectTimeout?: string;
}

export interface BootstrapSpec {
  readonly cluster: ClusterSpec;
  readonly retryPolicy?: Record<string, unknown>;
  readonly routeTimeout?: string;
  readonly accessLogPath?: string;
  readonly faultFilter?: Record<string, unknown>;
  readonly listenerAddress?: string;
  readonly codecType?: string;
}

/** The JSON access-log format the tests read back. */
export const testAccessLogFormat = {
  code: '%RESPONSE_CODE%',
  flags: '%RESPONSE_FLAGS%',
  details: '%RESPONSE_CODE_DETAILS%',
  upstream: '%UPSTREAM_HOST%',
  attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
  path: '%REQ(:PATH)%',
};

export function makeBootstrap(spec: BootstrapSpec): Record<string, unknown> {
  const clusterName = spec.cluster.name ?? 'backend';
  const route: Record<string, unknown> = { cluster: clusterName };
  if (spec.retryPolicy !== undefined) route['retry_policy'] = spec.retryPolicy;
  if (spec.routeTimeout !== undefined) route['timeout'] = spec.routeTimeout;
  const httpFilters: Record<string, unknown>[] = [];
  if (spec.faultFilter !== undefined) {
    httpFilters.push({
      name: 'envoy.filters.http.fault',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
        ...spec.faultFilter,
      },
    });
  }
  httpFilters.push({
    name: 'envoy.filters.http.router',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
  });
  const hcm: Record<string, unknown> = {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'ingress_http',
    codec_type: spec.codecType ?? 'AUTO',
    route_config: {
      name: 'local_route',
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route }] }],
    },
    http_filters: httpFilters,
  };
  if (spec.accessLogPath !== undefined) {
    hcm['access_log'] = [
      {
        name: 'envoy.access_loggers.file',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path: spec.accessLogPath,
          log_format: { json_format: testAccessLogFormat },
        },
      },
    ];
  }
  const cluster: Record<string, unknown> = {
    name: clusterName,
    type: 'STATIC',
    connect_timeout: spec.cluster.connectTimeout ?? '1s',
    lb_policy: spec.cluster.lbPolicy ?? 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: clusterName,
      endpoints: spec.cluster.priorities.map((endpoints, priority) => ({
        priority,
        locality: { region: 'r1', zone: `p${priority}` },
        lb_endpoints: endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
        })),
      })),
    },
  };
  if (spec.cluster.outlierDetection !== undefined)
    cluster['outlier_detection'] = spec.cluster.outlierDetection;
  if (spec.cluster.healthyPanicThreshold !== undefined) {
    cluster['common_lb_config'] = { healthy_panic_threshold: { value: spec.cluster.healthyPanicThreshold } };
  }
  if (spec.cluster.http2 === true) {
    cluster['typed_extension_protocol_options'] = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    };
  }
  return {
    node: { id: 'test-proxy', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'ingress',
          address: { socket_address: { address: spec.listenerAddress ?? '127.0.0.1', port_value: 0 } },
          filter_chains: [
            { filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] },
          ],
        },
      ],
      clusters: [cluster],
    },
  };
}

export interface RunningProxy {
  readonly server: ProxyServer;
  /** `http://ip:port` of the listener. */
  readonly url: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

export async function startProxy(
  bootstrap: Record<string, unknown>,
  deps: { clock?: Clock; random?: Random } = {},
): Promise<RunningProxy> {
  const server = new ProxyServer(buildBootstrap(bootstrap, { file: 'test-bootstrap.yaml' }), deps);
  await server.start();
  const listener = server.listenerAddresses().get('ingress');
  const admin = server.adminAddress();
  if (listener === undefined || admin === undefined) throw new Error('proxy did not bind');
  return {
    server,
    url: `http://${listener.address}:${listener.port}`,
    adminUrl: `http://${admin.address}:${admin.port}`,
    close: () => server.close(0),
  };
}

/** A temporary directory removed by `cleanup()`. */
export async function tempDir(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'spillway-test-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface AccessLogEntry {
  code: number;
  flags: string;
  details: string;
  upstream: string | null;
  attempts: number | null;
  path: string;
}

/** Waits until the JSON access log holds at least `count` lines and returns them. */
export async function readAccessLog(path: string, count: number): Promise<AccessLogEntry[]> {
  return await waitFor(`${count} access log lines in ${path}`, async () => {
    const text = await readFile(path, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => l !== '');
    return lines.length >= count ? lines.map((l) => JSON.parse(l) as AccessLogEntry) : undefined;
  });
}
