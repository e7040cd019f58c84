/**
 * A real `spillway proxy` bootstrapped with only ADS (Istio's bootstrap shape) against the test ADS
 * server: it is not ready until the first CDS/EDS/LDS/RDS round arrived, then serves exactly what
 * the equivalent static bootstrap serves, identifies itself as Envoy does, and shows the dynamic
 * resources in /config_dump, /clusters and /stats with Envoy's names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { AdsServer, type AdsResources } from '../support/ads-server.js';
import { httpGet } from '../support/http-client.js';
import { jsonGet, jsonPick } from '../support/json-get.js';
import { tempDir } from '../support/proxy-fixture.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { runCommand } from '../support/run-command.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';
import {
  adsBootstrap,
  assignment,
  edsCluster,
  inlineListener,
  rdsListener,
  type Endpoint,
} from '../support/ads-proxy-resources.js';

const listenerAddress = { address: '127.83.1.2', port: 0 };

function routes(): Record<string, unknown> {
  return {
    name: 'ingress-routes',
    virtual_hosts: [
      {
        name: 'b-host',
        domains: ['b.example'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'svc-b' } }],
      },
      {
        name: 'default',
        domains: ['*'],
        routes: [
          { match: { prefix: '/b/' }, route: { cluster: 'svc-b', prefix_rewrite: '/' } },
          {
            match: { path: '/teapot' },
            direct_response: { status: 418, body: { inline_string: 'short and stout' } },
          },
          { match: { prefix: '/a' }, route: { cluster: 'svc-a' } },
        ],
      },
    ],
  };
}

function resources(a: Endpoint, b: Endpoint, version = 'v1'): AdsResources {
  return {
    version,
    clusters: [edsCluster('svc-a'), edsCluster('svc-b')],
    endpoints: [assignment('svc-a', [[a]]), assignment('svc-b', [[b]])],
    listeners: [rdsListener('ingress', listenerAddress, 'ingress-routes')],
    routes: [routes()],
  };
}

function staticBootstrap(a: Endpoint, b: Endpoint): Record<string, unknown> {
  const cluster = (name: string, e: Endpoint): Record<string, unknown> => ({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: assignment(name, [[e]]),
  });
  return {
    node: { id: 'static-twin', cluster: 'client.default' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [inlineListener('ingress', { address: '127.83.1.3', port: 0 }, routes())],
      clusters: [cluster('svc-a', a), cluster('svc-b', b)],
    },
  };
}

describe('an ADS-only proxy at startup', () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let a: TestBackend;
  let b: TestBackend;
  let ads: AdsServer;
  let proxy: ProxyProcess;
  let twin: ProxyProcess;

  before(async () => {
    dir = await tempDir();
    a = await startBackend('a', '127.83.1.10');
    b = await startBackend('b', '127.83.1.11');
    // No resources yet: the control plane has nothing to say when the proxy connects.
    ads = await AdsServer.start('127.83.1.1');
    proxy = await startProxyProcess(
      adsBootstrap(
        { address: ads.address, port: ads.port },
        { nodeId: 'sidecar~127.83.1.2~client-1.default~default.svc.cluster.local' },
      ),
      dir.path,
      'ads',
    );
    twin = await startProxyProcess(staticBootstrap(a, b), dir.path, 'static');
  });

  after(async () => {
    await proxy.stop();
    await twin.stop();
    await ads.stop();
    await Promise.all([a.close(), b.close()]);
    await dir.cleanup();
  });

  test('/ready is 503 INITIALIZING until the first CDS, EDS, LDS and RDS arrived, then LIVE', async () => {
    await waitFor('the proxy to ask for clusters', () => ads.requestsOf(XdsTypeUrl.cluster).length > 0);
    const waiting = await proxy.admin('/ready');
    assert.deepEqual([waiting.status, waiting.body], [503, 'INITIALIZING\n']);
    assert.equal(await proxy.stat('server.state'), 3);
    assert.equal(await proxy.stat('control_plane.connected_state'), 1, 'connected, though nothing arrived');
    assert.deepEqual(
      (JSON.parse((await proxy.admin('/listeners?format=json')).body) as { listener_statuses: unknown[] })
        .listener_statuses,
      [],
    );
    // Envoy asks for LDS only once the clusters are initialized.
    assert.equal(ads.requestsOf(XdsTypeUrl.listener).length, 0);

    ads.setResources(resources(a, b));
    await waitFor('LIVE', async () => (await proxy.admin('/ready')).status === 200);
    assert.equal((await proxy.admin('/ready')).body, 'LIVE\n');
    assert.equal(await proxy.stat('server.state'), 0);
  });

  test('serves the same routes as the equivalent static bootstrap', async () => {
    const adsUrl = await proxy.listenerUrl('ingress');
    const staticUrl = await twin.listenerUrl('ingress');
    const cases: Array<{ path: string; host?: string }> = [
      { path: '/a' },
      { path: '/a/deeper?q=1' },
      { path: '/b/x' },
      { path: '/teapot' },
      { path: '/nowhere' },
      { path: '/anything', host: 'b.example' },
    ];
    for (const c of cases) {
      const headers: Record<string, string> = c.host === undefined ? {} : { host: c.host };
      const viaAds = await httpGet(`${adsUrl}${c.path}`, headers);
      const viaStatic = await httpGet(`${staticUrl}${c.path}`, headers);
      assert.deepEqual(
        [viaAds.status, viaAds.body, viaAds.headers['x-backend']],
        [viaStatic.status, viaStatic.body, viaStatic.headers['x-backend']],
        `${c.host ?? '*'}${c.path}`,
      );
    }
    assert.equal((await httpGet(`${adsUrl}/nowhere`)).status, 404);
    const curl = await runCommand('curl', ['-s', '-i', '-H', 'host: b.example', `${adsUrl}/x`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(curl.stdout, /\r\nx-backend: b\r\n/);
  });

  test('the first request identifies the node as Envoy does; later requests omit it (set_node_on_first_message_only)', () => {
    const [first, ...rest] = ads.requests;
    assert.equal(first?.typeUrl, XdsTypeUrl.cluster);
    assert.deepEqual(first?.node, {
      id: 'sidecar~127.83.1.2~client-1.default~default.svc.cluster.local',
      cluster: 'client.default',
      locality: { region: 'r1', zone: 'p0' },
      metadata: { NAMESPACE: 'default', CLUSTER_ID: 'cluster-1' },
      user_agent_name: 'envoy',
      user_agent_build_version: {
        version: { major_number: 0, minor_number: 1, patch: 0 },
        metadata: { 'build.type': 'spillway' },
      },
    });
    assert.ok(rest.length >= 7);
    assert.ok(rest.every((r) => r.node === undefined));
    // Every response was ACKed, none NACKed.
    for (const type of [
      XdsTypeUrl.cluster,
      XdsTypeUrl.clusterLoadAssignment,
      XdsTypeUrl.listener,
      XdsTypeUrl.routeConfiguration,
    ]) {
      assert.equal(ads.nacks(type).length, 0, type);
      assert.ok(
        ads.acks(type).some((r) => r.versionInfo === 'v1'),
        `${type} ACKed at v1`,
      );
    }
    assert.deepEqual(ads.requestsOf(XdsTypeUrl.clusterLoadAssignment).at(-1)?.resourceNames, [
      'svc-a',
      'svc-b',
    ]);
    assert.deepEqual(ads.requestsOf(XdsTypeUrl.routeConfiguration).at(-1)?.resourceNames, ['ingress-routes']);
  });

  test("/config_dump lists static and dynamic resources in Envoy's shape, with version_info and last_updated", async () => {
    const dump = JSON.parse((await proxy.admin('/config_dump?include_eds')).body) as {
      configs: Array<Record<string, unknown>>;
    };
    assert.deepEqual(
      dump.configs.map((c) => c['@type']),
      ['Bootstrap', 'Clusters', 'Endpoints', 'Listeners', 'Routes'].map(
        (k) => `type.googleapis.com/envoy.admin.v3.${k}ConfigDump`,
      ),
    );
    const [, clusters, endpoints, listeners, routesDump] = dump.configs;
    assert.equal(jsonGet(clusters, 'version_info'), 'v1');
    assert.deepEqual(jsonPick(clusters, 'static_clusters', ['cluster.@type', 'cluster.name']), [
      [XdsTypeUrl.cluster, 'xds-grpc'],
    ]);
    assert.deepEqual(
      jsonPick(clusters, 'dynamic_active_clusters', ['version_info', 'cluster.name', 'cluster.@type']),
      [
        ['v1', 'svc-a', XdsTypeUrl.cluster],
        ['v1', 'svc-b', XdsTypeUrl.cluster],
      ],
    );
    assert.match(
      String(jsonGet(clusters, 'dynamic_active_clusters.0.last_updated')),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    assert.deepEqual(jsonGet(clusters, 'dynamic_warming_clusters'), []);
    assert.deepEqual(
      jsonPick(endpoints, 'dynamic_endpoint_configs', ['version_info', 'endpoint_config.cluster_name']),
      [
        ['v1', 'svc-a'],
        ['v1', 'svc-b'],
      ],
    );
    assert.equal(jsonGet(listeners, 'version_info'), 'v1');
    assert.deepEqual(
      jsonPick(listeners, 'dynamic_listeners', [
        'name',
        'active_state.version_info',
        'active_state.listener.@type',
        'warming_state',
      ]),
      [['ingress', 'v1', XdsTypeUrl.listener, undefined]],
    );
    assert.deepEqual(jsonPick(routesDump, 'dynamic_route_configs', ['version_info', 'route_config.name']), [
      ['v1', 'ingress-routes'],
    ]);
  });

  test("/clusters and /stats cover the dynamic clusters and the xDS subscriptions with Envoy's names", async () => {
    const clusters = (await proxy.admin('/clusters')).body;
    assert.match(clusters, /^svc-a::added_via_api::true$/m);
    assert.match(clusters, /^xds-grpc::added_via_api::false$/m);
    assert.match(clusters, /^svc-a::127\.83\.1\.10:\d+::health_flags::healthy$/m);
    const stats = (await proxy.admin('/stats')).body;
    for (const name of [
      'cluster_manager.cds.update_success',
      'listener_manager.lds.update_success',
      'http.ingress.rds.ingress-routes.update_success',
      'cluster.svc-a.update_attempt',
      'cluster.svc-a.update_success',
    ]) {
      assert.match(stats, new RegExp(`^${name.replace(/[.]/g, '\\.')}: [1-9]\\d*$`, 'm'), name);
    }
    assert.match(stats, /^cluster_manager\.cds\.update_rejected: 0$/m);
    assert.match(stats, /^cluster_manager\.cds\.version: \d+$/m);
    assert.match(stats, /^cluster_manager\.active_clusters: 3$/m);
    assert.match(stats, /^cluster_manager\.warming_clusters: 0$/m);
    assert.match(stats, /^control_plane\.connected_state: 1$/m);
    const prometheus = (await proxy.admin('/stats/prometheus')).body;
    assert.match(prometheus, /^envoy_cluster_manager_cds_update_success\{\} [1-9]/m);
  });
});
