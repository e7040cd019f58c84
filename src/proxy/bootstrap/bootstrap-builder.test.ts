import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { buildBootstrap } from './bootstrap-builder.js';

test('accepts an empty static layered_runtime and rejects runtime keys', () => {
  const empty = buildBootstrap(
    { layered_runtime: { layers: [{ name: 'static', static_layer: {} }] } },
    { file: 'b.yaml' },
  );
  assert.equal(empty.listeners.length, 0);
  assert.throws(
    () =>
      buildBootstrap(
        {
          layered_runtime: {
            layers: [{ name: 'static', static_layer: { 're2.max_program_size.error_level': 200 } }],
          },
        },
        { file: 'b.yaml' },
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.code === ErrorCode.configUnsupported &&
      e.location.path === 'layered_runtime.layers[0].static_layer' &&
      e.location.file === 'b.yaml' &&
      e.location.documentIndex === 0,
  );
  assert.throws(
    () => buildBootstrap({ layered_runtime: { layers: [{ name: 'admin', admin_layer: {} }] } }, {}),
    (e: unknown) => e instanceof ConfigError && e.location.path === 'layered_runtime.layers[0].admin_layer',
  );
});

test('builds admin, node, outlier event log and a file admin log from the deprecated access_log_path', () => {
  const config = buildBootstrap(
    {
      node: { id: 'n', user_agent_name: 'envoy' },
      admin: {
        access_log_path: '/dev/null',
        profile_path: '/tmp/prof',
        address: { socket_address: { address: '::1', port_value: 9901 } },
      },
      cluster_manager: { outlier_detection: { event_log_path: '/tmp/outlier.log' } },
    },
    {},
  );
  assert.deepStrictEqual(config.admin, {
    address: { address: '::1', port: 9901 },
    accessLogs: [
      { name: 'envoy.access_loggers.file', sink: { kind: 'file', path: '/dev/null' }, format: undefined },
    ],
  });
  assert.deepStrictEqual(config.node, {
    id: 'n',
    cluster: '',
    locality: { region: '', zone: '', subZone: '' },
    metadata: {},
    wire: { id: 'n', user_agent_name: 'envoy' },
  });
  assert.equal(config.outlierEventLogPath, '/tmp/outlier.log');
  assert.equal(buildBootstrap({ admin: { profile_path: '/tmp/p' } }, {}).admin, undefined);
});

test('rejects duplicate listener names and addresses, but not two listeners on port 0', () => {
  const listener = (name: string, port: number): unknown => ({
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'p',
              route_config: { name: 'r' },
              http_filters: [{ name: 'envoy.filters.http.router' }],
            },
          },
        ],
      },
    ],
  });
  const problem = (listeners: unknown[]): string => {
    try {
      buildBootstrap({ static_resources: { listeners } }, { file: 'l.yaml' });
      return 'accepted';
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return `${e.location.path}: ${e.problem}`;
    }
  };
  assert.equal(problem([listener('a', 0), listener('b', 0)]), 'accepted');
  assert.equal(
    problem([listener('a', 80), listener('a', 81)]),
    "static_resources.listeners[1].name: duplicate listener name 'a'",
  );
  assert.equal(
    problem([listener('a', 80), listener('b', 80)]),
    "static_resources.listeners[1].address: error adding listener: 'b' has duplicate address '127.0.0.1:80' as existing listener 'a'",
  );
});

const xdsCluster = {
  name: 'xds-grpc',
  type: 'STATIC',
  load_assignment: {
    cluster_name: 'xds-grpc',
    endpoints: [
      {
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 15010 } } } },
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

/** Istio's bootstrap shape (tools/packaging/common/envoy_bootstrap.json). */
function istioLikeDynamicResources(ads: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    lds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
    cds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
    ads_config: {
      api_type: 'GRPC',
      set_node_on_first_message_only: true,
      transport_api_version: 'V3',
      grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
      ...ads,
    },
  };
}

function dynamicProblem(dynamic: Record<string, unknown>, clusters: unknown[] = [xdsCluster]): string {
  try {
    buildBootstrap({ dynamic_resources: dynamic, static_resources: { clusters } }, { file: 'd.yaml' });
    return 'accepted';
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.location.file, 'd.yaml');
    return `${e.code} ${e.location.path}: ${e.problem}`;
  }
}

test("accepts Istio's ADS bootstrap: SotW gRPC to a static cluster, CDS and LDS over ADS", () => {
  const config = buildBootstrap(
    {
      node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local', client_features: ['f1'] },
      dynamic_resources: istioLikeDynamicResources({
        grpc_services: [
          { envoy_grpc: { cluster_name: 'xds-grpc' }, initial_metadata: [{ key: 'k', value: 'v' }] },
        ],
      }),
      static_resources: { clusters: [xdsCluster] },
    },
    {},
  );
  assert.deepStrictEqual(config.dynamicResources, {
    ads: {
      clusterName: 'xds-grpc',
      authority: 'xds-grpc',
      initialMetadata: [{ key: 'k', value: 'v' }],
      setNodeOnFirstMessageOnly: true,
    },
    cds: { initialFetchTimeoutMs: 0 },
    lds: { initialFetchTimeoutMs: 0 },
  });
  assert.deepStrictEqual(config.node.wire['client_features'], ['f1']);
  const defaults = buildBootstrap(
    {
      dynamic_resources: { ...istioLikeDynamicResources(), lds_config: { ads: {} } },
      static_resources: { clusters: [xdsCluster] },
    },
    {},
  );
  assert.deepStrictEqual(defaults.dynamicResources?.lds, { initialFetchTimeoutMs: 15000 });
});

test('rejects the ADS variants and config sources Spillway does not implement, with their paths', () => {
  const U = ErrorCode.configUnsupported;
  const I = ErrorCode.configInvalid;
  assert.equal(
    dynamicProblem(istioLikeDynamicResources({ api_type: 'REST' })),
    `${U} dynamic_resources.ads_config.api_type: api_type REST is not supported for ads_config by Spillway (only GRPC)`,
  );
  assert.equal(
    dynamicProblem(istioLikeDynamicResources({ api_type: 'DELTA_GRPC' })),
    `${U} dynamic_resources.ads_config.api_type: api_type DELTA_GRPC (incremental xDS) is not yet supported by Spillway (only GRPC)`,
  );
  assert.match(
    dynamicProblem(istioLikeDynamicResources({ transport_api_version: 'V2' })),
    /^SPILLWAY_ERR_CONFIG_INVALID dynamic_resources\.ads_config\.transport_api_version: V2 \(and AUTO\)/,
  );
  assert.equal(
    dynamicProblem(istioLikeDynamicResources({ grpc_services: [] })),
    `${I} dynamic_resources.ads_config.grpc_services: envoy::config::core::v3::ApiConfigSource::GRPC must have a single gRPC service specified`,
  );
  assert.equal(
    dynamicProblem(
      istioLikeDynamicResources({ grpc_services: [{ google_grpc: { target_uri: 'x', stat_prefix: 'x' } }] }),
    ),
    `${U} dynamic_resources.ads_config.grpc_services[0].google_grpc: "google_grpc" is not yet supported by Spillway`,
  );
  assert.equal(
    dynamicProblem(istioLikeDynamicResources({ rate_limit_settings: {} })),
    `${U} dynamic_resources.ads_config.rate_limit_settings: "rate_limit_settings" is not yet supported by Spillway`,
  );
  assert.equal(
    dynamicProblem(istioLikeDynamicResources({ grpc_services: [{ envoy_grpc: { cluster_name: 'nope' } }] })),
    `${I} dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: envoy::config::core::v3::ApiConfigSource must have a statically defined non-EDS cluster: 'nope' does not exist, was added via api, or is an EDS cluster`,
  );
  assert.equal(
    dynamicProblem({
      ...istioLikeDynamicResources(),
      cds_config: { path_config_source: { path: '/cds.yaml' } },
    }),
    `${U} dynamic_resources.cds_config.path_config_source: config source "path_config_source" is not yet supported by Spillway (only ads: {}, with dynamic_resources.ads_config)`,
  );
  assert.equal(
    dynamicProblem({ ...istioLikeDynamicResources(), lds_config: { self: {} } }),
    `${U} dynamic_resources.lds_config.self: config source "self" is not yet supported by Spillway (only ads: {}, with dynamic_resources.ads_config)`,
  );
  assert.equal(
    dynamicProblem({
      ...istioLikeDynamicResources(),
      cds_resources_locator: 'xdstp://a/envoy.config.cluster.v3.Cluster/*',
    }),
    `${U} dynamic_resources.cds_resources_locator: "cds_resources_locator" is not yet supported by Spillway`,
  );
});

test('static EDS clusters and RDS listeners subscribe over ADS, so they need an ads_config', () => {
  const edsCluster = { name: 'e', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } };
  assert.equal(dynamicProblem(istioLikeDynamicResources(), [xdsCluster, edsCluster]), 'accepted');
  assert.equal(
    dynamicProblem({}, [xdsCluster, edsCluster]),
    `${ErrorCode.configInvalid} static_resources.clusters[1].eds_cluster_config.eds_config.ads: ADS must be configured to support an ADS config source`,
  );
  assert.match(
    dynamicProblem(istioLikeDynamicResources({ grpc_services: [{ envoy_grpc: { cluster_name: 'e' } }] }), [
      xdsCluster,
      edsCluster,
    ]),
    /'e' does not exist, was added via api, or is an EDS cluster$/,
  );
});

test('stats_config.stats_matcher: inclusion and exclusion lists of string matchers, reject_all', async () => {
  const { compileStatsMatcher } = await import('../stats/stats-matcher.js');
  const matcher = (statsMatcher: Record<string, unknown>) =>
    compileStatsMatcher(buildBootstrap({ stats_config: { stats_matcher: statsMatcher } }, {}).statsMatcher);
  const inclusion = matcher({
    inclusion_list: {
      patterns: [
        { prefix: 'cluster_manager' },
        { suffix: 'downstream_cx_active' },
        { safe_regex: { regex: '.*outlier_detection.*' } },
      ],
    },
  });
  assert.equal(inclusion('cluster_manager.active_clusters'), true);
  assert.equal(inclusion('cluster.c1.outlier_detection.ejections_active'), true);
  assert.equal(inclusion('listener.1.2.3.4_80.downstream_cx_active'), true);
  assert.equal(inclusion('cluster.c1.upstream_rq_total'), false);
  const exclusion = matcher({ exclusion_list: { patterns: [{ exact: 'server.uptime' }] } });
  assert.equal(exclusion('server.uptime'), false);
  assert.equal(exclusion('server.live'), true);
  assert.equal(matcher({ reject_all: true })('server.live'), false);
  assert.equal(compileStatsMatcher(buildBootstrap({}, {}).statsMatcher)('anything'), true);
  assert.throws(
    () => buildBootstrap({ stats_config: { use_all_default_tags: false } }, {}),
    (e: unknown) => e instanceof ConfigError && e.code === ErrorCode.configUnsupported,
  );
});
