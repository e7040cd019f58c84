import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../core/errors.js';
import { typeNameFromUrl, validateProtoJson, validateResource } from './proto-json-validator.js';

const cluster = 'envoy.config.cluster.v3.Cluster';
const at = { file: 'test.yaml', documentIndex: 0, path: 'clusters[0]' };

function rejects(typeName: string, json: unknown): ConfigError {
  try {
    validateProtoJson(typeName, json, at);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(json)} to be rejected`);
}

test('normalizes lowerCamelCase names, wrappers, durations and enums to the proto JSON form', () => {
  const normalized = validateProtoJson(
    cluster,
    {
      name: 'c',
      connectTimeout: { seconds: 1, nanos: 500000000 },
      lbPolicy: 'least_request',
      perConnectionBufferLimitBytes: { value: 32768 },
      outlierDetection: { consecutive5xx: 3, maxEjectionPercent: '100', baseEjectionTime: '30.000s' },
      dnsLookupFamily: 1,
    },
    at,
  );
  assert.deepEqual(normalized, {
    name: 'c',
    connect_timeout: '1.5s',
    lb_policy: 'LEAST_REQUEST',
    per_connection_buffer_limit_bytes: 32768,
    outlier_detection: { consecutive_5xx: 3, max_ejection_percent: 100, base_ejection_time: '30s' },
    dns_lookup_family: 'V4_ONLY',
  });
});

test('drops implicit-presence defaults and nulls but keeps oneof members and wrappers set to zero', () => {
  const normalized = validateProtoJson(
    cluster,
    {
      name: 'c',
      type: 'STATIC',
      lb_policy: 'ROUND_ROBIN',
      respect_dns_ttl: false,
      health_checks: [],
      transport_socket: null,
      common_lb_config: { healthy_panic_threshold: { value: 0 } },
      max_requests_per_connection: 0,
    },
    at,
  );
  assert.deepEqual(normalized, {
    name: 'c',
    type: 'STATIC',
    common_lb_config: { healthy_panic_threshold: {} },
    max_requests_per_connection: 0,
  });
});

test('keeps Struct contents verbatim and resolves Any by its @type', () => {
  const normalized = validateProtoJson(
    cluster,
    {
      name: 'c',
      metadata: { filter_metadata: { istio: { 'some-key': [1, 'two', { three: null }] } } },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicitHttpConfig: { http2ProtocolOptions: { maxConcurrentStreams: 100 } },
        },
      },
    },
    at,
  );
  assert.deepEqual(normalized['metadata'], {
    filter_metadata: { istio: { 'some-key': [1, 'two', { three: null }] } },
  });
  assert.deepEqual(normalized['typed_extension_protocol_options'], {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
    },
  });
});

test('loads the proto of a real Envoy type that is not preloaded when an Any names it', () => {
  const normalized = validateProtoJson(
    cluster,
    {
      name: 'c',
      transport_socket: {
        name: 'tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'a.example',
        },
      },
    },
    at,
  );
  assert.deepEqual(normalized['transport_socket'], {
    name: 'tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'a.example',
    },
  });
});

test('an Any holding a well-known type carries it under "value"', () => {
  const normalized = validateProtoJson(
    'envoy.config.core.v3.TypedExtensionConfig',
    { name: 'x', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '2s' } },
    at,
  );
  assert.deepEqual(normalized['typed_config'], {
    '@type': 'type.googleapis.com/google.protobuf.Duration',
    value: '2s',
  });
});

const invalidCases: ReadonlyArray<{
  name: string;
  json: unknown;
  path: string;
  code: string;
  problem: RegExp;
}> = [
  {
    name: 'unknown field, with a suggestion',
    json: { name: 'c', conect_timeout: '1s' },
    path: 'clusters[0].conect_timeout',
    code: ErrorCode.configUnknownField,
    problem:
      /unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster \(did you mean "connect_timeout"\?\)/,
  },
  {
    name: 'a field given both as proto and json name',
    json: { name: 'c', connect_timeout: '1s', connectTimeout: '2s' },
    path: 'clusters[0].connect_timeout',
    code: ErrorCode.configInvalid,
    problem: /set twice/,
  },
  {
    name: 'message given a scalar',
    json: { name: 'c', circuit_breakers: 5 },
    path: 'clusters[0].circuit_breakers',
    code: ErrorCode.configWrongType,
    problem: /expected an object/,
  },
  {
    name: 'list given an object',
    json: { name: 'c', health_checks: {} },
    path: 'clusters[0].health_checks',
    code: ErrorCode.configWrongType,
    problem: /expected a list/,
  },
  {
    name: 'string given a number',
    json: { name: 7 },
    path: 'clusters[0].name',
    code: ErrorCode.configWrongType,
    problem: /expected a string, got the number 7/,
  },
  {
    name: 'bool given a string',
    json: { name: 'c', respect_dns_ttl: 'yes' },
    path: 'clusters[0].respect_dns_ttl',
    code: ErrorCode.configWrongType,
    problem: /expected a boolean/,
  },
  {
    name: 'integer given a fraction',
    json: { name: 'c', per_connection_buffer_limit_bytes: 1.5 },
    path: 'clusters[0].per_connection_buffer_limit_bytes',
    code: ErrorCode.configWrongType,
    problem: /expected an integer \(uint32\)/,
  },
  {
    name: 'uint32 out of range',
    json: { name: 'c', per_connection_buffer_limit_bytes: 4294967296 },
    path: 'clusters[0].per_connection_buffer_limit_bytes',
    code: ErrorCode.configOutOfRange,
    problem: /out of range for uint32/,
  },
  {
    name: 'negative uint32',
    json: { name: 'c', outlier_detection: { consecutive_5xx: -1 } },
    path: 'clusters[0].outlier_detection.consecutive_5xx',
    code: ErrorCode.configOutOfRange,
    problem: /out of range/,
  },
  {
    name: 'unknown enum name',
    json: { name: 'c', lb_policy: 'ROUND_ROBBIN' },
    path: 'clusters[0].lb_policy',
    code: ErrorCode.configInvalid,
    problem: /unknown enum value "ROUND_ROBBIN" for envoy.config.cluster.v3.Cluster.LbPolicy/,
  },
  {
    name: 'undefined enum number',
    json: { name: 'c', lb_policy: 4 },
    path: 'clusters[0].lb_policy',
    code: ErrorCode.configInvalid,
    problem: /unknown enum value 4/,
  },
  {
    name: 'Go-style duration',
    json: { name: 'c', connect_timeout: '5m' },
    path: 'clusters[0].connect_timeout',
    code: ErrorCode.configWrongType,
    problem: /expected a duration such as "1.5s"/,
  },
  {
    name: 'duration with 10 fractional digits',
    json: { name: 'c', connect_timeout: '0.0000000001s' },
    path: 'clusters[0].connect_timeout',
    code: ErrorCode.configWrongType,
    problem: /expected a duration/,
  },
  {
    name: 'duration nanos with the wrong sign',
    json: { name: 'c', connect_timeout: { seconds: 1, nanos: -1 } },
    path: 'clusters[0].connect_timeout',
    code: ErrorCode.configOutOfRange,
    problem: /sign of seconds/,
  },
  {
    name: 'Struct given a list',
    json: { name: 'c', metadata: { filter_metadata: { a: [1] } } },
    path: 'clusters[0].metadata.filter_metadata["a"]',
    code: ErrorCode.configWrongType,
    problem: /google.protobuf.Struct/,
  },
  {
    name: 'Any without @type',
    json: { name: 'c', transport_socket: { name: 't', typed_config: { sni: 'x' } } },
    path: 'clusters[0].transport_socket.typed_config',
    code: ErrorCode.configInvalid,
    problem: /must name its type in "@type"/,
  },
  {
    name: 'Any naming no Envoy type',
    json: {
      name: 'c',
      transport_socket: { name: 't', typed_config: { '@type': 'type.googleapis.com/foo.Bar' } },
    },
    path: 'clusters[0].transport_socket.typed_config.@type',
    code: ErrorCode.configInvalid,
    problem: /unknown type "type.googleapis.com\/foo.Bar"/,
  },
  {
    name: 'Any contents checked against the named type',
    json: {
      name: 'c',
      transport_socket: {
        name: 't',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          snii: 'x',
        },
      },
    },
    path: 'clusters[0].transport_socket.typed_config.snii',
    code: ErrorCode.configUnknownField,
    problem: /UpstreamTlsContext/,
  },
  {
    name: 'two members of a oneof',
    json: { name: 'c', type: 'STATIC', cluster_type: { name: 'x' } },
    path: 'clusters[0].cluster_type',
    code: ErrorCode.configInvalid,
    problem: /only one of type, cluster_type may be set \(oneof cluster_discovery_type\)/,
  },
  {
    name: 'PGV uint32.lte on a wrapper',
    json: { name: 'c', outlier_detection: { max_ejection_percent: 101 } },
    path: 'clusters[0].outlier_detection.max_ejection_percent',
    code: ErrorCode.configOutOfRange,
    problem: /value must be less than or equal to 100 \(got 101\)/,
  },
  {
    name: 'PGV uint32.gte',
    json: { name: 'c', least_request_lb_config: { choice_count: 1 } },
    path: 'clusters[0].least_request_lb_config.choice_count',
    code: ErrorCode.configOutOfRange,
    problem: /greater than or equal to 2/,
  },
  {
    name: 'PGV duration.gt on zero',
    json: { name: 'c', connect_timeout: '0s' },
    path: 'clusters[0].connect_timeout',
    code: ErrorCode.configOutOfRange,
    problem: /value must be greater than 0s \(got 0s\)/,
  },
  {
    name: 'PGV duration.gt on a negative duration',
    json: { name: 'c', outlier_detection: { interval: '-1s' } },
    path: 'clusters[0].outlier_detection.interval',
    code: ErrorCode.configOutOfRange,
    problem: /greater than 0s \(got -1s\)/,
  },
  {
    name: 'PGV duration.gt with a nanos bound',
    json: { name: 'c', dns_refresh_rate: '0.001s' },
    path: 'clusters[0].dns_refresh_rate',
    code: ErrorCode.configOutOfRange,
    problem: /greater than 0.001s/,
  },
  {
    name: 'PGV string.min_len on a missing field',
    json: { connect_timeout: '1s' },
    path: 'clusters[0].name',
    code: ErrorCode.configOutOfRange,
    problem: /at least 1 runes/,
  },
  {
    name: 'PGV double range on Percent',
    json: { name: 'c', common_lb_config: { healthy_panic_threshold: { value: 100.5 } } },
    path: 'clusters[0].common_lb_config.healthy_panic_threshold.value',
    code: ErrorCode.configOutOfRange,
    problem: /inside range \[0, 100\]/,
  },
  {
    name: 'PGV required oneof (Address)',
    json: {
      name: 'c',
      load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: {} } }] }] },
    },
    path: 'clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address',
    code: ErrorCode.configInvalid,
    problem: /one of socket_address, pipe, envoy_internal_address must be set/,
  },
];

for (const c of invalidCases) {
  test(`rejects ${c.name}`, () => {
    const error = rejects(cluster, c.json);
    assert.equal(error.code, c.code);
    assert.equal(error.location.path, c.path);
    assert.equal(error.location.file, 'test.yaml');
    assert.match(error.message, /^test\.yaml: document 0: /);
    assert.match(error.problem, c.problem);
  });
}

test('rejects PGV rules inside other messages: repeated min_items, items well_known_regex and message.required', () => {
  const vhost = 'envoy.config.route.v3.VirtualHost';
  assert.match(rejects(vhost, { name: 'v' }).problem, /at least 1 item/);
  const header = rejects(vhost, { name: 'v', domains: ['ok', 'bad\nvalue'] });
  assert.equal(header.location.path, 'clusters[0].domains[1]');
  assert.match(header.problem, /HTTP_HEADER_VALUE/);
  const route = rejects('envoy.config.route.v3.Route', { route: { cluster: 'x' } });
  assert.equal(route.location.path, 'clusters[0].match');
  assert.match(route.problem, /value is required/);
});

test('validateResource accepts a type URL and a matching embedded @type, and rejects a different one', () => {
  const url = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
  assert.deepEqual(validateResource(url, { '@type': url, name: 'c' }, at), { name: 'c' });
  assert.deepEqual(validateResource('envoy.config.cluster.v3.Cluster', { name: 'c' }, at), { name: 'c' });
  assert.throws(
    () =>
      validateResource(
        url,
        { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: 'c' },
        at,
      ),
    (e: unknown) =>
      e instanceof ConfigError && /expected a envoy.config.cluster.v3.Cluster resource/.test(e.problem),
  );
  assert.equal(typeNameFromUrl(url), 'envoy.config.cluster.v3.Cluster');
});

test('keeps a Struct key named __proto__ as data, not as a prototype', () => {
  const metadata: unknown = JSON.parse('{"filter_metadata": {"app": {"__proto__": {"polluted": true}}}}');
  const normalized = validateProtoJson(cluster, { name: 'c', metadata }, at);
  const app = (normalized['metadata'] as { filter_metadata: { app: Record<string, unknown> } })
    .filter_metadata.app;
  assert.deepEqual(Object.keys(app), ['__proto__']);
  assert.equal(Object.getPrototypeOf(app), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
