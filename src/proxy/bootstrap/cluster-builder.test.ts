import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { buildCluster } from './cluster-builder.js';
import { buildClusterLoadAssignment } from './load-assignment-builder.js';

const at = { file: 'c.yaml', documentIndex: 0, path: 'static_resources.clusters[0]' };

function cluster(extra: Record<string, unknown>): ClusterConfig {
  return buildCluster({ name: 'backend', ...extra }, at);
}

function failure(extra: Record<string, unknown>): { code: string; path: string; problem: string } {
  try {
    cluster(extra);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { code: e.code, path: e.location.path, problem: e.problem };
  }
  return assert.fail('expected the cluster to be rejected');
}

const socket = (address: string, port: number): unknown => ({
  address: { socket_address: { address, port_value: port } },
});
const assignment = (...endpoints: unknown[]): unknown => ({
  cluster_name: 'backend',
  endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: e })) }],
});

test('an empty cluster gets every Envoy default', () => {
  const c = cluster({});
  assert.equal(c.type, 'STATIC');
  assert.equal(c.statName, 'backend');
  assert.equal(c.connectTimeoutMs, 5000);
  assert.equal(c.lbPolicy, 'ROUND_ROBIN');
  assert.equal(c.healthyPanicThresholdPct, 50);
  assert.equal(c.outlierDetection, undefined);
  assert.deepStrictEqual(c.loadAssignment, {
    clusterName: 'backend',
    localities: [],
    overprovisioningFactor: 140,
    weightedPriorityHealth: false,
  });
  assert.deepStrictEqual(c.circuitBreakers.high, {
    maxConnections: 1024,
    maxPendingRequests: 1024,
    maxRequests: 1024,
    maxRetries: 3,
    trackRemaining: false,
  });
  assert.equal(c.protocol, 'http1');
  assert.equal(c.dnsRefreshRateMs, 5000);
  assert.equal(c.perConnectionBufferLimitBytes, 1048576);
});

const resolvedFields: ReadonlyArray<{
  name: string;
  extra: Record<string, unknown>;
  check: (c: ClusterConfig) => unknown;
  expected: unknown;
}> = [
  {
    name: 'alt_stat_name drops one trailing ";"',
    extra: { alt_stat_name: 'outbound|80||svc;' },
    check: (c) => c.statName,
    expected: 'outbound|80||svc',
  },
  {
    name: 'LEAST_REQUEST choice_count',
    extra: { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: 3 } },
    check: (c) => [c.lbPolicy, c.leastRequestChoiceCount],
    expected: ['LEAST_REQUEST', 3],
  },
  {
    name: 'panic threshold truncates like convertPercent',
    extra: { common_lb_config: { healthy_panic_threshold: { value: 33.9 } } },
    check: (c) => c.healthyPanicThresholdPct,
    expected: 33,
  },
  {
    name: 'locality weighted LB',
    extra: { common_lb_config: { locality_weighted_lb_config: {} } },
    check: (c) => c.localityWeightedLb,
    expected: true,
  },
  {
    name: 'HIGH circuit breakers, first entry per priority wins',
    extra: {
      circuit_breakers: {
        thresholds: [
          { priority: 'HIGH', max_retries: 10, track_remaining: true },
          { priority: 'HIGH', max_retries: 99 },
        ],
      },
    },
    check: (c) => [
      c.circuitBreakers.high.maxRetries,
      c.circuitBreakers.high.trackRemaining,
      c.circuitBreakers.default.maxRetries,
    ],
    expected: [10, true, 3],
  },
  {
    name: 'typed HttpProtocolOptions with HTTP/2',
    extra: {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { idle_timeout: '0s', max_requests_per_connection: 7 },
          explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
        },
      },
    },
    check: (c) => [
      c.protocol,
      c.upstreamIdleTimeoutMs,
      c.maxRequestsPerConnection,
      c.http2MaxConcurrentStreams,
    ],
    expected: ['http2', 0, 7, 100],
  },
  {
    name: 'deprecated cluster-level HTTP/2 options',
    extra: {
      http2_protocol_options: {},
      common_http_protocol_options: { idle_timeout: '30s' },
      max_requests_per_connection: 5,
    },
    check: (c) => [c.protocol, c.upstreamIdleTimeoutMs, c.maxRequestsPerConnection],
    expected: ['http2', 30000, 5],
  },
  {
    name: 'EDS with service_name',
    extra: { type: 'EDS', eds_cluster_config: { service_name: 'svc', eds_config: { ads: {} } } },
    check: (c) => [c.type, c.edsServiceName, c.loadAssignment.clusterName],
    expected: ['EDS', 'svc', 'svc'],
  },
  {
    name: 'EDS without service_name uses the cluster name',
    extra: { type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, initial_fetch_timeout: '0s' } } },
    check: (c) => [c.edsServiceName, c.edsConfig],
    expected: ['backend', { initialFetchTimeoutMs: 0 }],
  },
  {
    name: 'STRICT_DNS accepts hostnames',
    extra: {
      type: 'STRICT_DNS',
      load_assignment: assignment(socket('backend.svc', 80)),
      dns_lookup_family: 'V4_ONLY',
    },
    check: (c) => [c.loadAssignment.localities[0]?.endpoints[0]?.address, c.dnsLookupFamily],
    expected: [{ address: 'backend.svc', port: 80 }, 'V4_ONLY'],
  },
  {
    name: 'metadata filter_metadata',
    extra: { metadata: { filter_metadata: { istio: { services: [{ name: 'a' }] } } } },
    check: (c) => c.metadata,
    expected: { istio: { services: [{ name: 'a' }] } },
  },
];

for (const c of resolvedFields) {
  test(`resolves ${c.name}`, () => {
    assert.deepStrictEqual(c.check(cluster(c.extra)), c.expected);
  });
}

const rejected: ReadonlyArray<{
  name: string;
  extra: Record<string, unknown>;
  code: string;
  path: string;
  problem: RegExp;
}> = [
  {
    name: 'RING_HASH',
    extra: { lb_policy: 'RING_HASH' },
    code: ErrorCode.configUnsupported,
    path: 'lb_policy',
    problem: /lb_policy RING_HASH is not yet supported by Spillway/,
  },
  {
    name: 'ORIGINAL_DST',
    extra: { type: 'ORIGINAL_DST' },
    code: ErrorCode.configUnsupported,
    path: 'type',
    problem: /not yet supported by Spillway/,
  },
  {
    name: 'health checks',
    extra: {
      health_checks: [
        { timeout: '1s', interval: '1s', unhealthy_threshold: 2, healthy_threshold: 1, tcp_health_check: {} },
      ],
    },
    code: ErrorCode.configUnsupported,
    path: 'health_checks',
    problem: /"health_checks" is not yet supported by Spillway/,
  },
  {
    name: 'slow start',
    extra: { round_robin_lb_config: { slow_start_config: {} } },
    code: ErrorCode.configUnsupported,
    path: 'round_robin_lb_config.slow_start_config',
    problem: /not yet supported/,
  },
  {
    name: 'zone aware LB',
    extra: { common_lb_config: { zone_aware_lb_config: {} } },
    code: ErrorCode.configUnsupported,
    path: 'common_lb_config.zone_aware_lb_config',
    problem: /not yet supported/,
  },
  {
    name: 'EDS without eds_cluster_config',
    extra: { type: 'EDS' },
    code: ErrorCode.configInvalid,
    path: 'eds_cluster_config',
    problem: /needs eds_cluster_config/,
  },
  {
    name: 'EDS without eds_config',
    extra: { type: 'EDS', eds_cluster_config: { service_name: 'svc' } },
    code: ErrorCode.configInvalid,
    path: 'eds_cluster_config.eds_config',
    problem: /^Missing config source specifier in envoy::config::core::v3::ConfigSource$/,
  },
  {
    name: 'EDS from its own gRPC stream (not ADS)',
    extra: {
      type: 'EDS',
      eds_cluster_config: {
        eds_config: { api_config_source: { api_type: 'GRPC', transport_api_version: 'V3' } },
      },
    },
    code: ErrorCode.configUnsupported,
    path: 'eds_cluster_config.eds_config.api_config_source',
    problem: /config source "api_config_source" is not yet supported by Spillway \(only ads: \{\}/,
  },
  {
    name: 'EDS from a file',
    extra: { type: 'EDS', eds_cluster_config: { eds_config: { path_config_source: { path: '/eds.yaml' } } } },
    code: ErrorCode.configUnsupported,
    path: 'eds_cluster_config.eds_config.path_config_source',
    problem: /config source "path_config_source" is not yet supported/,
  },
  {
    name: 'EDS through ADS with the v2 resource API',
    extra: { type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V2' } } },
    code: ErrorCode.configInvalid,
    path: 'eds_cluster_config.eds_config.resource_api_version',
    problem: /the v2 xDS major version has been removed/,
  },
  {
    name: 'eds_cluster_config on a STATIC cluster',
    extra: { eds_cluster_config: {} },
    code: ErrorCode.configInvalid,
    path: 'eds_cluster_config',
    problem: /^eds_cluster_config set in a non-EDS cluster$/,
  },
  {
    name: 'a hostname in a STATIC cluster',
    extra: { load_assignment: assignment(socket('backend.svc', 80)) },
    code: ErrorCode.configInvalid,
    path: 'load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address',
    problem: /^malformed IP address: backend.svc$/,
  },
  {
    name: 'endpoint port 0',
    extra: { load_assignment: assignment(socket('127.0.0.1', 0)) },
    code: ErrorCode.configInvalid,
    path: 'load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value',
    problem: /port 0/,
  },
  {
    name: 'LOGICAL_DNS with two endpoints',
    extra: { type: 'LOGICAL_DNS', load_assignment: assignment(socket('a', 80), socket('b', 80)) },
    code: ErrorCode.configInvalid,
    path: 'load_assignment',
    problem: /^LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint$/,
  },
  {
    name: 'both deprecated HTTP/1 and HTTP/2 options',
    extra: { http_protocol_options: {}, http2_protocol_options: {} },
    code: ErrorCode.configInvalid,
    path: 'http2_protocol_options',
    problem: /Both HTTP1 and HTTP2 options/,
  },
  {
    name: 'max_requests_per_connection both on the cluster and in HttpProtocolOptions',
    extra: {
      max_requests_per_connection: 1,
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { max_requests_per_connection: 2 },
          explicit_http_config: { http_protocol_options: {} },
        },
      },
    },
    code: ErrorCode.configInvalid,
    path: 'max_requests_per_connection',
    problem: /^Only one of max_requests_per_connection from Cluster or HttpProtocolOptions can be specified$/,
  },
  {
    name: 'auto_config protocol selection',
    extra: {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          auto_config: {},
        },
      },
    },
    code: ErrorCode.configUnsupported,
    path: 'typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].auto_config',
    problem: /not yet supported/,
  },
  {
    name: 'outlier detection monitors',
    extra: {
      outlier_detection: {
        monitors: [
          {
            name: 'm',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.outlier_detection_monitors.consecutive_errors.v3.ConsecutiveErrors',
            },
          },
        ],
      },
    },
    code: ErrorCode.configUnsupported,
    path: 'outlier_detection.monitors',
    problem: /not yet supported/,
  },
];

for (const c of rejected) {
  test(`rejects ${c.name}`, () => {
    const f = failure(c.extra);
    assert.equal(f.code, c.code);
    assert.equal(f.path, `static_resources.clusters[0].${c.path}`);
    assert.match(f.problem, c.problem);
  });
}

test('max_ejection_time defaults to max(300 s, base_ejection_time)', () => {
  assert.equal(
    cluster({ outlier_detection: { base_ejection_time: '10s' } }).outlierDetection?.maxEjectionTimeMs,
    300000,
  );
  assert.equal(
    cluster({ outlier_detection: { base_ejection_time: '600s' } }).outlierDetection?.maxEjectionTimeMs,
    600000,
  );
  assert.equal(
    cluster({ outlier_detection: { base_ejection_time: '60s', max_ejection_time: '60s' } }).outlierDetection
      ?.maxEjectionTimeMs,
    60000,
  );
});

test('an EDS assignment keeps locality weights, priorities with gaps, health and metadata', () => {
  const built = buildClusterLoadAssignment(
    {
      cluster_name: 'svc',
      policy: { overprovisioning_factor: 200, weighted_priority_health: true },
      endpoints: [
        {
          locality: { region: 'r', zone: 'z', sub_zone: 's' },
          load_balancing_weight: 3,
          priority: 2,
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: '10.0.0.1', port_value: 80 } },
                hostname: 'pod-a',
              },
              health_status: 'DEGRADED',
              load_balancing_weight: 5,
              metadata: { filter_metadata: { envoy: { canary: true } } },
            },
          ],
        },
      ],
    },
    { documentIndex: 0, path: 'eds' },
  );
  assert.deepStrictEqual(built, {
    clusterName: 'svc',
    overprovisioningFactor: 200,
    weightedPriorityHealth: true,
    localities: [
      {
        locality: { region: 'r', zone: 'z', subZone: 's' },
        weight: 3,
        priority: 2,
        endpoints: [
          {
            address: { address: '10.0.0.1', port: 80 },
            hostname: 'pod-a',
            healthStatus: 'DEGRADED',
            weight: 5,
            metadata: { envoy: { canary: true } },
          },
        ],
      },
    ],
  });
  assert.throws(
    () =>
      buildClusterLoadAssignment(
        { cluster_name: 'svc', policy: { overprovisioning_factor: 0 } },
        { path: 'eds' },
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.location.path === 'eds.policy.overprovisioning_factor' &&
      /greater than 0/.test(e.problem),
  );
});
