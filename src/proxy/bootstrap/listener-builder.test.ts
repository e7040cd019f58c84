import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { HttpConnectionManagerConfig, ListenerConfig } from '../config/listener-config.js';
import { buildListener } from './listener-builder.js';

const at = { file: 'l.yaml', documentIndex: 0, path: 'listeners[0]' };
const hcmPath = 'listeners[0].filter_chains[0].filters[0].typed_config';
const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const router = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

function listenerJson(
  hcm: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': hcmType,
              stat_prefix: 'in',
              rds: { route_config_name: 'routes', config_source: { ads: {} } },
              http_filters: [router],
              ...hcm,
            },
          },
        ],
      },
    ],
    ...extra,
  };
}

function hcm(fields: Record<string, unknown>): HttpConnectionManagerConfig {
  return buildListener(listenerJson(fields), at).hcm;
}

function failure(json: unknown): { code: string; path: string; problem: string } {
  try {
    buildListener(json, at);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { code: e.code, path: e.location.path, problem: e.problem };
  }
  return assert.fail('expected the listener to be rejected');
}

test('an RDS listener keeps the route name and gets the HTTP connection manager defaults', () => {
  const listener: ListenerConfig = buildListener(listenerJson({}), at);
  assert.deepStrictEqual(listener, {
    name: 'l',
    address: { address: '0.0.0.0', port: 8080 },
    perConnectionBufferLimitBytes: 1048576,
    hcm: {
      statPrefix: 'in',
      codecType: 'AUTO',
      serverName: 'envoy',
      serverHeaderTransformation: 'OVERWRITE',
      routeConfig: undefined,
      rdsRouteConfigName: 'routes',
      rdsConfigSource: { initialFetchTimeoutMs: 15000 },
      httpFilters: [{ kind: 'router', name: 'envoy.filters.http.router' }],
      accessLogs: [],
      generateRequestId: true,
      preserveExternalRequestId: false,
      useRemoteAddress: false,
      xffNumTrustedHops: 0,
      skipXffAppend: false,
      via: '',
      requestTimeoutMs: 0,
      streamIdleTimeoutMs: 300000,
      idleTimeoutMs: 3600000,
      maxRequestHeadersKb: 60,
      http2MaxConcurrentStreams: 2147483647,
      suppressEnvoyHeaders: false,
      trafficDirection: 'UNSPECIFIED',
    },
  });
});

test('HTTP connection manager settings are read', () => {
  const config = hcm({
    codec_type: 'HTTP2',
    server_name: 'spillway',
    server_header_transformation: 'PASS_THROUGH',
    generate_request_id: false,
    preserve_external_request_id: true,
    use_remote_address: true,
    xff_num_trusted_hops: 2,
    skip_xff_append: true,
    via: 'proxy-1',
    request_timeout: '30s',
    stream_idle_timeout: '0s',
    common_http_protocol_options: { idle_timeout: '0s' },
    max_request_headers_kb: 96,
    http2_protocol_options: { max_concurrent_streams: 128 },
    http_filters: [{ ...router, typed_config: { ...router.typed_config, suppress_envoy_headers: true } }],
  });
  assert.deepStrictEqual(
    [
      config.codecType,
      config.serverName,
      config.serverHeaderTransformation,
      config.generateRequestId,
      config.preserveExternalRequestId,
      config.useRemoteAddress,
      config.xffNumTrustedHops,
      config.skipXffAppend,
      config.via,
      config.requestTimeoutMs,
      config.streamIdleTimeoutMs,
      config.idleTimeoutMs,
      config.maxRequestHeadersKb,
      config.http2MaxConcurrentStreams,
      config.suppressEnvoyHeaders,
    ],
    ['HTTP2', 'spillway', 'PASS_THROUGH', false, true, true, 2, true, 'proxy-1', 30000, 0, 0, 96, 128, true],
  );
});

test('access logs: stdout, stderr and file, with text, inline and JSON formats', () => {
  const logs = hcm({
    access_log: [
      {
        name: 'envoy.access_loggers.stdout',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
        },
      },
      {
        name: 'err',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
          log_format: { text_format_source: { inline_string: '%RESPONSE_CODE%\n' } },
        },
      },
      {
        name: 'file',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path: '/tmp/access.log',
          log_format: { json_format: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } },
        },
      },
      {
        name: 'legacy',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path: '/dev/stdout',
          format: '%PROTOCOL%\n',
        },
      },
    ],
  }).accessLogs;
  assert.deepStrictEqual(logs, [
    { name: 'envoy.access_loggers.stdout', sink: { kind: 'stdout' }, format: undefined },
    { name: 'err', sink: { kind: 'stderr' }, format: { kind: 'text', template: '%RESPONSE_CODE%\n' } },
    {
      name: 'file',
      sink: { kind: 'file', path: '/tmp/access.log' },
      format: { kind: 'json', fields: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } },
    },
    {
      name: 'legacy',
      sink: { kind: 'file', path: '/dev/stdout' },
      format: { kind: 'text', template: '%PROTOCOL%\n' },
    },
  ]);
});

test('a fault filter before the router, by typed_config or by name alone', () => {
  const filters = hcm({
    http_filters: [
      {
        name: 'my-fault',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          abort: { grpc_status: 14, percentage: { numerator: 100 } },
          max_active_faults: 10,
          downstream_nodes: ['client'],
          headers: [{ name: 'x-fault', present_match: true }],
          upstream_cluster: 'backend',
        },
      },
      { name: 'envoy.filters.http.fault' },
      { name: 'envoy.filters.http.router' },
    ],
  }).httpFilters;
  assert.deepStrictEqual(filters[0], {
    kind: 'fault',
    name: 'my-fault',
    config: {
      delay: undefined,
      abort: { httpStatus: undefined, grpcStatus: 14, percentage: { numerator: 100, denominator: 100 } },
      headers: [
        {
          name: 'x-fault',
          invert: false,
          treatMissingAsEmpty: false,
          match: { kind: 'present', present: true },
        },
      ],
      upstreamCluster: 'backend',
      downstreamNodes: ['client'],
      maxActiveFaults: 10,
    },
  });
  assert.equal(filters[1]?.kind, 'fault');
  assert.deepStrictEqual(filters[2], { kind: 'router', name: 'envoy.filters.http.router' });
});

const rejections: ReadonlyArray<{
  name: string;
  json: Record<string, unknown>;
  code: string;
  path: string;
  problem: RegExp;
}> = [
  {
    name: 'a fault filter in last position',
    json: listenerJson({ http_filters: [{ name: 'envoy.filters.http.fault' }] }),
    code: ErrorCode.configInvalid,
    path: `${hcmPath}.http_filters[0]`,
    problem:
      /^Error: non-terminal filter named envoy.filters.http.fault of type envoy.filters.http.fault is the last filter in a http filter chain\.$/,
  },
  {
    name: 'an unsupported HTTP filter',
    json: listenerJson({
      http_filters: [
        {
          name: 'envoy.filters.http.cors',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
        },
        router,
      ],
    }),
    code: ErrorCode.configUnsupported,
    path: `${hcmPath}.http_filters[0]`,
    problem:
      /HTTP filter type.googleapis.com\/envoy.extensions.filters.http.cors.v3.Cors is not yet supported by Spillway/,
  },
  {
    name: 'no HTTP filters',
    json: listenerJson({ http_filters: [] }),
    code: ErrorCode.configUnsupported,
    path: `${hcmPath}.http_filters`,
    problem: /router as the last HTTP filter/,
  },
  {
    name: 'tracing',
    json: listenerJson({ tracing: {} }),
    code: ErrorCode.configUnsupported,
    path: `${hcmPath}.tracing`,
    problem: /"tracing" is not yet supported by Spillway/,
  },
  {
    name: 'HTTP/3',
    json: listenerJson({ codec_type: 'HTTP3' }),
    code: ErrorCode.configUnsupported,
    path: `${hcmPath}.codec_type`,
    problem: /HTTP3/,
  },
  {
    name: 'a listener without a name',
    json: listenerJson({}, { name: '' }),
    code: ErrorCode.configUnsupported,
    path: 'listeners[0].name',
    problem: /without a name/,
  },
  {
    name: 'a hostname as listener address',
    json: listenerJson({}, { address: { socket_address: { address: 'localhost', port_value: 80 } } }),
    code: ErrorCode.configInvalid,
    path: 'listeners[0].address.socket_address.address',
    problem: /^malformed IP address: localhost$/,
  },
  {
    name: 'listener filters',
    json: listenerJson({}, { listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }] }),
    code: ErrorCode.configUnsupported,
    path: 'listeners[0].listener_filters',
    problem: /not yet supported/,
  },
  {
    name: 'no filter chain',
    json: { name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 1 } } },
    code: ErrorCode.configInvalid,
    path: 'listeners[0].filter_chains',
    problem: /no filter chains specified/,
  },
  {
    name: 'a TCP proxy filter',
    json: {
      name: 'l',
      address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'tcp',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                stat_prefix: 't',
                cluster: 'c',
              },
            },
          ],
        },
      ],
    },
    code: ErrorCode.configUnsupported,
    path: 'listeners[0].filter_chains[0].filters[0]',
    problem: /TcpProxy is not yet supported by Spillway/,
  },
  {
    name: 'an HCM without stat_prefix (PGV)',
    json: listenerJson({ stat_prefix: '' }),
    code: ErrorCode.configOutOfRange,
    path: `${hcmPath}.stat_prefix`,
    problem: /at least 1 runes/,
  },
  {
    name: 'an HCM with neither rds nor route_config (required oneof)',
    json: listenerJson({ rds: null }),
    code: ErrorCode.configInvalid,
    path: hcmPath,
    problem: /one of rds, route_config, scoped_routes must be set/,
  },
];

for (const c of rejections) {
  test(`rejects ${c.name}`, () => {
    const f = failure(c.json);
    assert.equal(f.code, c.code);
    assert.equal(f.path, c.path);
    assert.match(f.problem, c.problem);
  });
}

const typedStruct = 'type.googleapis.com/udpa.type.v1.TypedStruct';
const peerMetadataUrl = 'type.googleapis.com/io.istio.http.peer_metadata.Config';

function mxFilter(value: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'istio.metadata_exchange',
    typed_config: { '@type': typedStruct, type_url: peerMetadataUrl, value },
  };
}

test('Istio telemetry filters as istiod sends them: metadata exchange (TypedStruct) and istio.stats', () => {
  const built = buildListener(
    listenerJson(
      {
        http_filters: [
          mxFilter({
            downstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }],
            downstream_propagation: [{ istio_headers: {} }],
          }),
          {
            name: 'istio.stats',
            typed_config: {
              '@type': 'type.googleapis.com/stats.PluginConfig',
              disable_host_header_fallback: true,
              tcp_reporting_duration: '5s',
            },
          },
          router,
        ],
      },
      { traffic_direction: 'INBOUND' },
    ),
    at,
  );
  assert.equal(built.hcm.trafficDirection, 'INBOUND');
  assert.deepEqual(built.hcm.httpFilters.slice(0, 2), [
    {
      kind: 'peer_metadata',
      name: 'istio.metadata_exchange',
      config: {
        downstreamDiscovery: true,
        upstreamDiscovery: false,
        downstreamPropagation: true,
        upstreamPropagation: false,
      },
    },
    { kind: 'istio_stats', name: 'istio.stats', config: { disableHostHeaderFallback: true } },
  ]);
});

test('Istio filter settings Spillway cannot run are rejected with their path', () => {
  const baggage = failure(
    listenerJson({ http_filters: [mxFilter({ upstream_discovery: [{ baggage: {} }] }), router] }),
  );
  assert.equal(baggage.code, ErrorCode.configUnsupported);
  assert.match(baggage.path, /value\.upstream_discovery\[0\]/);
  const typo = failure(
    listenerJson({ http_filters: [mxFilter({ upstream_discovery: [{ istio_header: {} }] }), router] }),
  );
  assert.match(typo.problem, /unknown field "istio_header"/);
  const waypoint = failure(
    listenerJson({
      http_filters: [
        {
          name: 'istio.stats',
          typed_config: { '@type': 'type.googleapis.com/stats.PluginConfig', reporter: 'SERVER_GATEWAY' },
        },
        router,
      ],
    }),
  );
  assert.match(waypoint.problem, /SERVER_GATEWAY/);
  const overrides = failure(
    listenerJson({
      http_filters: [
        {
          name: 'istio.stats',
          typed_config: {
            '@type': 'type.googleapis.com/stats.PluginConfig',
            metrics: [{ name: 'requests_total', drop: true }],
          },
        },
        router,
      ],
    }),
  );
  assert.equal(overrides.code, ErrorCode.configUnsupported);
  const other = failure(
    listenerJson({
      http_filters: [
        {
          name: 'x',
          typed_config: { '@type': typedStruct, type_url: 'type.googleapis.com/acme.Filter', value: {} },
        },
        router,
      ],
    }),
  );
  assert.match(other.problem, /acme\.Filter.*not yet supported/);
});
