/**
 * Envoy's initialization order and warming, on a proxy in this process driven through an in-memory
 * ADS transport and a fake clock (timeouts without waiting): CDS, then the EDS of its clusters, then
 * LDS, then RDS, and only then LIVE; clusters and listeners activate once their EDS/RDS arrived or
 * their initial_fetch_timeout passed, the previous version serving meanwhile.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { FakeClock } from '../../src/core/clock.js';
import { SeededRandom } from '../../src/core/random.js';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { renderConfigDump } from '../../src/proxy/admin/config-dump.js';
import { buildBootstrap } from '../../src/proxy/bootstrap/bootstrap-builder.js';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { FakeAdsTransport, type FakeAdsStream } from '../../src/proxy/xds-client/ads-transport-fake.js';
import { jsonPick } from '../support/json-get.js';
import {
  adsBootstrap,
  assignment,
  edsCluster,
  rdsListener,
  routeConfiguration,
} from '../support/ads-proxy-resources.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;
const LDS = XdsTypeUrl.listener;
const RDS = XdsTypeUrl.routeConfiguration;

const withTimeout = (timeout: string): Record<string, unknown> => ({
  ads: {},
  initial_fetch_timeout: timeout,
  resource_api_version: 'V3',
});

function cluster(name: string, timeout = '0s', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return edsCluster(name, {
    eds_cluster_config: { service_name: name, eds_config: withTimeout(timeout) },
    ...extra,
  });
}

function listener(name: string, routeName: string, timeout = '0s'): Record<string, unknown> {
  const json = rdsListener(name, { address: '127.83.4.2', port: 0 }, routeName);
  const hcm = (
    json['filter_chains'] as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>
  )[0]?.filters[0]?.typed_config as Record<string, unknown>;
  hcm['rds'] = { route_config_name: routeName, config_source: withTimeout(timeout) };
  return json;
}

const endpoint = (last: number): { address: string; port: number } => ({
  address: `127.83.4.${last}`,
  port: 8080,
});

interface Harness {
  readonly server: ProxyServer;
  readonly clock: FakeClock;
  readonly transport: FakeAdsTransport;
  readonly stream: FakeAdsStream;
  settle(): Promise<void>;
  types(): string[];
  stat(name: string): number | undefined;
  warmingClusters(): unknown[][];
}

const running: ProxyServer[] = [];

async function start(dynamic: Record<string, unknown> = {}): Promise<Harness> {
  const json = adsBootstrap({ address: '127.83.4.1', port: 15010 });
  const merged: Record<string, unknown> = {
    ...(json['dynamic_resources'] as Record<string, unknown>),
    ...dynamic,
  };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  json['dynamic_resources'] = merged;
  const clock = new FakeClock();
  const transport = new FakeAdsTransport();
  const server = new ProxyServer(buildBootstrap(json, {}), {
    clock,
    random: new SeededRandom(1),
    adsTransport: transport,
  });
  running.push(server);
  await server.start();
  const settle = async (): Promise<void> => {
    // Responses run one at a time; the init chain continues in microtasks after each.
    for (let i = 0; i < 5; i++) {
      await server.xdsClient?.mux.runExclusive(() => {});
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return {
    server,
    clock,
    transport,
    stream: transport.current,
    settle,
    types: () => transport.current.sent.map((r) => r.typeUrl),
    stat: (name) => {
      const found = server.stats.find(name);
      return found !== undefined && 'value' in found ? found.value : undefined;
    },
    warmingClusters: () =>
      jsonPick(renderConfigDump(server), 'configs.1.dynamic_warming_clusters', [
        'cluster.name',
        'version_info',
      ]),
  };
}

describe('initialization and warming over ADS', () => {
  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
  });

  test('CDS, then EDS for its clusters, then LDS, then RDS; LIVE and bound only after the whole round', async () => {
    const h = await start();
    assert.deepEqual(h.types(), [CDS]);
    assert.equal(h.server.state, 'INITIALIZING');
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc')]);
    await h.settle();
    assert.deepEqual(h.types(), [CDS, EDS, CDS], 'the EDS request goes out before the CDS ACK');
    assert.deepEqual(h.warmingClusters(), [['svc', 'c1']]);
    assert.equal(h.stat('cluster_manager.warming_clusters'), 1);
    assert.equal(h.server.clusterManager.get('svc'), undefined, 'a warming cluster is not active');

    h.stream.respond(EDS, 'e1', 'n2', [assignment('svc', [[endpoint(10)]])]);
    await h.settle();
    assert.deepEqual(h.types(), [CDS, EDS, CDS, EDS, LDS], 'LDS only once the clusters warmed');
    assert.equal(h.server.clusterManager.get('svc')?.prioritySet.allHosts().length, 1);

    h.stream.respond(LDS, 'l1', 'n3', [listener('ingress', 'routes')]);
    await h.settle();
    assert.deepEqual(h.types().slice(5), [RDS, LDS]);
    assert.equal(h.server.state, 'INITIALIZING', 'the listener warms until its routes arrive');
    assert.equal(h.server.listenerAddresses().size, 0);

    h.stream.respond(RDS, 'r1', 'n4', [routeConfiguration('routes', [{ prefix: '/', cluster: 'svc' }])]);
    await h.settle();
    await h.server.whenLive();
    assert.equal(h.server.state, 'LIVE');
    assert.deepEqual([...h.server.listenerAddresses().keys()], ['ingress']);
    assert.equal(h.stat('server.state'), 0);
  });

  test("a new cluster's initial_fetch_timeout activates it without endpoints; LDS follows", async () => {
    const h = await start();
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc', '5s')]);
    await h.settle();
    h.clock.advance(4999);
    await h.settle();
    assert.deepEqual(h.warmingClusters(), [['svc', 'c1']]);
    h.clock.advance(1);
    await h.settle();
    assert.deepEqual(h.warmingClusters(), []);
    assert.equal(h.server.clusterManager.get('svc')?.prioritySet.allHosts().length, 0);
    assert.equal(h.stat('cluster.svc.init_fetch_timeout'), 1);
    assert.equal(h.types().at(-1), LDS);
  });

  test('a changed cluster warms while the previous version serves; an unchanged EDS answer completes it', async () => {
    const h = await start({ lds_config: undefined });
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc')]);
    h.stream.respond(EDS, 'e1', 'n2', [assignment('svc', [[endpoint(10), endpoint(11)]])]);
    await h.settle();
    await h.server.whenLive();
    const live = h.server.clusterManager.get('svc');
    assert.equal(live?.config.connectTimeoutMs, 1000);

    h.stream.respond(CDS, 'c2', 'n3', [cluster('svc', '0s', { connect_timeout: '2s' })]);
    await h.settle();
    assert.deepEqual(h.warmingClusters(), [['svc', 'c2']]);
    assert.equal(h.server.clusterManager.get('svc')?.config.connectTimeoutMs, 1000, 'the old version serves');
    // Envoy re-requests EDS for the re-created cluster even though the names are the same.
    assert.deepEqual(
      h.stream.requestsOf(EDS).map((r) => [r.versionInfo, r.responseNonce]),
      [
        ['', ''],
        ['e1', 'n2'],
        ['e1', 'n2'],
      ],
    );

    h.stream.respond(EDS, 'e1', 'n4', [assignment('svc', [[endpoint(10), endpoint(11)]])]);
    await h.settle();
    assert.deepEqual(h.warmingClusters(), []);
    assert.equal(h.server.clusterManager.get('svc'), live, 'updated in place, not rebuilt');
    assert.equal(live?.config.connectTimeoutMs, 2000);
    assert.equal(live?.prioritySet.allHosts().length, 2);
  });

  test('a changed cluster whose EDS does not come back uses the cached assignment at its timeout', async () => {
    const h = await start({ lds_config: undefined });
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc')]);
    h.stream.respond(EDS, 'e1', 'n2', [assignment('svc', [[endpoint(10)]])]);
    await h.settle();
    h.stream.respond(CDS, 'c2', 'n3', [cluster('svc', '3s', { connect_timeout: '2s' })]);
    await h.settle();
    h.clock.advance(3000);
    await h.settle();
    assert.deepEqual(h.warmingClusters(), []);
    assert.equal(h.server.clusterManager.get('svc')?.config.connectTimeoutMs, 2000);
    assert.deepEqual(
      h.server.clusterManager
        .get('svc')
        ?.prioritySet.allHosts()
        .map((host) => host.addressKey),
      ['127.83.4.10:8080'],
    );
    assert.equal(h.stat('cluster.svc.assignment_use_cached'), 1);
  });

  test('a rejected EDS response ends warming (Envoy lets startup continue) and is NACKed', async () => {
    const h = await start();
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc')]);
    await h.settle();
    h.stream.respond(EDS, 'e1', 'n2', [assignment('svc', [[{ address: 'not-an-ip', port: 80 }]])]);
    await h.settle();
    const nack = h.stream.requestsOf(EDS).at(-1);
    assert.equal(nack?.errorDetail?.code, 13);
    assert.match(
      nack?.errorDetail?.message ?? '',
      /^Error adding\/updating cluster load assignment svc: endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.address: malformed IP address: not-an-ip$/,
    );
    assert.deepEqual(h.warmingClusters(), []);
    assert.equal(h.stat('cluster.svc.update_rejected'), 1);
    assert.equal(h.types().at(-1), LDS, 'initialization went on');
  });

  test('CDS that never answers: the initial fetch timeout (15 s by default) lets initialization continue', async () => {
    const h = await start({ cds_config: { ads: {} }, lds_config: { ads: {} } });
    h.clock.advance(14_999);
    await h.settle();
    assert.deepEqual(h.types(), [CDS]);
    h.clock.advance(1);
    await h.settle();
    assert.deepEqual(h.types(), [CDS, LDS]);
    assert.equal(h.stat('cluster_manager.cds.init_fetch_timeout'), 1);
    h.clock.advance(15_000);
    await h.settle();
    await h.server.whenLive();
    assert.equal(h.server.state, 'LIVE');
    assert.equal(h.stat('listener_manager.lds.init_fetch_timeout'), 1);
  });

  test('a listener whose routes are unknown warms; one whose routes are known starts at once', async () => {
    const h = await start();
    h.stream.respond(CDS, 'c1', 'n1', []);
    await h.settle();
    h.stream.respond(LDS, 'l1', 'n2', [listener('one', 'r1')]);
    h.stream.respond(RDS, 'r1', 'n3', [routeConfiguration('r1', [{ prefix: '/', cluster: 'svc' }])]);
    await h.settle();
    await h.server.whenLive();
    assert.deepEqual([...h.server.listenerAddresses().keys()], ['one']);

    h.stream.respond(LDS, 'l2', 'n4', [
      listener('one', 'r1'),
      listener('two', 'r1'),
      listener('three', 'r3', '2s'),
    ]);
    await h.settle();
    assert.deepEqual([...h.server.listenerAddresses().keys()].sort(), ['one', 'two'], 'three warms');
    assert.equal(h.stat('listener_manager.total_listeners_warming'), 1);
    assert.deepEqual(h.stream.requestsOf(RDS).at(-1)?.resourceNames, ['r1', 'r3']);
    h.clock.advance(2000);
    await h.settle();
    assert.deepEqual([...h.server.listenerAddresses().keys()].sort(), ['one', 'three', 'two']);
    assert.equal(h.stat('http.three.rds.r3.init_fetch_timeout'), 1);
    assert.equal(h.stat('listener_manager.total_listeners_warming'), 0);

    h.stream.respond(LDS, 'l3', 'n5', [listener('two', 'r1')]);
    await h.settle();
    assert.deepEqual([...h.server.listenerAddresses().keys()], ['two'], 'missing listeners are removed');
    assert.deepEqual(h.stream.requestsOf(RDS).at(-1)?.resourceNames, ['r1']);
    assert.equal(h.stat('listener_manager.listener_removed'), 2);
  });

  test('a rejected CDS response during initialization lets it continue with what there is', async () => {
    const h = await start();
    h.stream.respond(CDS, 'c1', 'n1', [cluster('svc', '0s', { lb_policy: 'MAGLEV' })]);
    await h.settle();
    assert.match(
      h.stream.requestsOf(CDS).at(-1)?.errorDetail?.message ?? '',
      /^Error adding\/updating cluster\(s\) svc: lb_policy: lb_policy MAGLEV is not yet supported by Spillway$/,
    );
    assert.equal(h.types().at(-1), LDS);
    assert.equal(h.stat('cluster_manager.cds.update_rejected'), 1);
  });
});
