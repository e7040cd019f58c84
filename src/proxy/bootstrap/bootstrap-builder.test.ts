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
              rds: { route_config_name: 'r', config_source: { ads: {} } },
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
