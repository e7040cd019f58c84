import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  decodeAnyJson,
  decodeProtoJson,
  encodeAnyJson,
  encodeProtoJson,
  encodeProtoObject,
} from './proto-json-codec.js';
import { validateResource } from './proto-json-validator.js';
import { XdsTypeUrl } from './xds-resource.js';

const at = { path: '' };

function roundTrip(typeUrl: string, json: Record<string, unknown>): Record<string, unknown> {
  const normalized = validateResource(typeUrl, json, at);
  const any = encodeAnyJson({ '@type': typeUrl, ...normalized });
  assert.equal(any.type_url, typeUrl);
  const decoded = decodeAnyJson(any);
  assert.deepEqual(decoded, { '@type': typeUrl, ...normalized });
  return decoded;
}

test('a cluster with wrappers, durations, enums and typed extensions survives bytes unchanged', () => {
  const decoded = roundTrip(XdsTypeUrl.cluster, {
    name: 'outbound|8000||mockb.default.svc.cluster.local',
    type: 'EDS',
    eds_cluster_config: {
      eds_config: { ads: {}, resource_api_version: 'V3' },
      service_name: 'outbound|8000||mockb.default.svc.cluster.local',
    },
    connect_timeout: '10s',
    lb_policy: 'LEAST_REQUEST',
    common_lb_config: { healthy_panic_threshold: { value: 0 } },
    outlier_detection: {
      consecutive_5xx: 1,
      enforcing_consecutive_5xx: 100,
      interval: '30s',
      base_ejection_time: '300s',
      max_ejection_percent: 100,
      enforcing_success_rate: 0,
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 1,
    },
    circuit_breakers: {
      thresholds: [{ max_connections: 4294967295, max_retries: 4294967295, track_remaining: true }],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    metadata: {
      filter_metadata: { istio: { services: [{ host: 'mockb.default.svc.cluster.local', name: 'mockb' }] } },
    },
  });
  // A present message whose only field is zero stays present (panic threshold 0 %, not unset).
  assert.deepEqual((decoded['common_lb_config'] as Record<string, unknown>)['healthy_panic_threshold'], {});
  assert.equal((decoded['outlier_detection'] as Record<string, unknown>)['enforcing_success_rate'], 0);
});

test('a listener whose connection manager is an Any, with a nested route configuration', () => {
  roundTrip(XdsTypeUrl.listener, {
    name: 'virtualOutbound',
    address: { socket_address: { address: '127.10.0.5', port_value: 15001 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'outbound_0.0.0.0_15001',
              rds: { route_config_name: '15001', config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  });
});

test('an assignment with priorities, weights and health status', () => {
  roundTrip(XdsTypeUrl.clusterLoadAssignment, {
    cluster_name: 'outbound|8000||mockb.default.svc.cluster.local',
    endpoints: [
      {
        locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
        load_balancing_weight: 1,
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '127.20.0.3', port_value: 8000 } } },
            health_status: 'HEALTHY',
            load_balancing_weight: 1,
          },
        ],
      },
      {
        locality: { region: 'cn-hangzhou', zone: 'cn-hangzhou-h' },
        priority: 2,
        load_balancing_weight: 1,
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '127.10.0.3', port_value: 8000 } } } },
        ],
      },
    ],
    policy: { overprovisioning_factor: 140 },
  });
});

test('every resource of the three-priorities bootstrap round-trips', () => {
  const bootstrap = parse(
    readFileSync(
      new URL('../../../src/proxy/bootstrap/testdata/three-priorities.yaml', import.meta.url),
      'utf8',
    ),
  ) as {
    static_resources: { clusters: Array<Record<string, unknown>>; listeners: Array<Record<string, unknown>> };
  };
  for (const cluster of bootstrap.static_resources.clusters) roundTrip(XdsTypeUrl.cluster, cluster);
  for (const listener of bootstrap.static_resources.listeners) roundTrip(XdsTypeUrl.listener, listener);
});

test('a DiscoveryRequest with a node, struct metadata and an error detail decodes to proto3 JSON', () => {
  const request = {
    version_info: '3',
    node: {
      id: 'sidecar~127.20.0.3~mocka-1a-abc.default~default.svc.cluster.local',
      locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
      metadata: {
        CLUSTER_ID: 'cluster-2',
        LABELS: { app: 'mocka' },
        INSTANCE_IPS: '127.20.0.3',
        ratio: 0.5,
        list: [1, 'a', null, true],
      },
      client_features: ['envoy.lb.does_not_support_overprovisioning'],
    },
    resource_names: ['a', 'b'],
    type_url: XdsTypeUrl.cluster,
    response_nonce: '7',
    error_detail: { code: 3, message: 'bad cluster' },
  };
  const bytes = encodeProtoJson('envoy.service.discovery.v3.DiscoveryRequest', request);
  assert.deepEqual(decodeProtoJson('envoy.service.discovery.v3.DiscoveryRequest', bytes), request);
});

test('unknown fields and unknown Any types are refused rather than dropped', () => {
  assert.throws(
    () => encodeAnyJson({ '@type': XdsTypeUrl.cluster, name: 'c', no_such_field: 1 }),
    /no field "no_such_field"/,
  );
  assert.throws(
    () => encodeAnyJson({ '@type': 'type.googleapis.com/no.such.Type' }),
    /unknown protobuf message type/,
  );
});

test('an Any of an unknown type inside a peer message: strict decoding throws, opaqueUnknownAny keeps its bytes', () => {
  const bytes = encodeProtoObject('google.rpc.Status', {
    code: 3,
    message: 'bad',
    details: [{ type_url: 'type.googleapis.com/nowhere.Found', value: new Uint8Array([8, 1]) }],
  });
  assert.throws(
    () => decodeProtoJson('google.rpc.Status', bytes),
    /unknown protobuf message type nowhere.Found/,
  );
  assert.deepEqual(decodeProtoJson('google.rpc.Status', bytes, { opaqueUnknownAny: true }), {
    code: 3,
    message: 'bad',
    details: [{ '@type': 'type.googleapis.com/nowhere.Found', value: 'CAE=' }],
  });
});

test('a truncated message is an error even when it arrives in a Node Buffer (protobufjs would clamp it)', () => {
  // Field 1 (name) says 255 bytes follow, but only 1 does; the bytes sit inside a larger Buffer.
  const pool = Buffer.alloc(64, 0x61);
  pool.set([0x0a, 0xff, 0x01, 0x61], 10);
  const value = pool.subarray(10, 14);
  assert.throws(() => decodeAnyJson({ type_url: XdsTypeUrl.cluster, value }), /index out of range/);
  assert.throws(() => decodeProtoJson('envoy.config.cluster.v3.Cluster', value), /index out of range/);
});
