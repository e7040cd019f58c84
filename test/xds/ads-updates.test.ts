/**
 * Updates pushed over ADS to a running `spillway proxy` take effect for new requests without
 * failing the ones in flight (a new endpoint, a changed route, a removed cluster); an invalid
 * resource is NACKed with a precise reason while traffic stays on the last good config; EDS updates
 * keep the outlier ejections of endpoints that persist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { AdsServer, type AdsResources } from '../support/ads-server.js';
import { httpGet, type TestResponse } from '../support/http-client.js';
import { jsonGet, jsonPick } from '../support/json-get.js';
import { tempDir } from '../support/proxy-fixture.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { startSlowBackend, type SlowBackend } from '../support/slow-backend.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';
import {
  adsBootstrap,
  assignment,
  edsCluster,
  rdsListener,
  routeConfiguration,
  type Endpoint,
  type RouteSpec,
} from '../support/ads-proxy-resources.js';

const outlier = {
  consecutive_5xx: 1,
  interval: '300s',
  base_ejection_time: '300s',
  max_ejection_percent: 100,
};

interface Config {
  readonly version: string;
  readonly svc: readonly Endpoint[];
  readonly svcC?: readonly Endpoint[];
  readonly slow?: boolean;
  readonly od: readonly Endpoint[];
  readonly root?: string;
  readonly svcExtra?: Record<string, unknown>;
  readonly routeExtra?: Record<string, unknown>;
}

describe('updates over ADS', () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let a: TestBackend;
  let b: TestBackend;
  let c: TestBackend;
  let d: TestBackend;
  let e: TestBackend;
  let f: TestBackend;
  let slow: SlowBackend;
  let ads: AdsServer;
  let proxy: ProxyProcess;
  let url: string;

  function resources(config: Config): AdsResources {
    const clusters = [
      edsCluster('svc', config.svcExtra ?? {}),
      edsCluster('svc-od', {
        outlier_detection: outlier,
        common_lb_config: { healthy_panic_threshold: { value: 0 } },
      }),
    ];
    const endpoints = [assignment('svc', [config.svc]), assignment('svc-od', [config.od])];
    if (config.slow !== false) {
      clusters.push(edsCluster('slow-svc'));
      endpoints.push(assignment('slow-svc', [[slow]]));
    }
    if (config.svcC !== undefined) {
      clusters.push(edsCluster('svc-c'));
      endpoints.push(assignment('svc-c', [config.svcC]));
    }
    const routes: RouteSpec[] = [
      { prefix: '/slow', cluster: 'slow-svc', timeout: '0s' },
      { prefix: '/od', cluster: 'svc-od' },
      { prefix: '/', cluster: config.root ?? 'svc' },
    ];
    const route = { ...routeConfiguration('routes', routes), ...(config.routeExtra ?? {}) };
    return {
      version: config.version,
      clusters,
      endpoints,
      listeners: [rdsListener('ingress', { address: '127.83.2.2', port: 0 }, 'routes')],
      routes: [route],
    };
  }

  async function push(config: Config): Promise<void> {
    ads.setResources(resources(config));
    for (const type of [XdsTypeUrl.cluster, XdsTypeUrl.listener, XdsTypeUrl.routeConfiguration]) {
      await waitFor(`${type} ACK of ${config.version}`, () =>
        ads.acks(type).some((r) => r.versionInfo === config.version),
      );
    }
  }

  /** Backends that answered `count` requests to `path`. */
  async function backendsSeen(path: string, count = 12): Promise<string[]> {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add(describeResponse(await httpGet(`${url}${path}`)));
    return [...seen].sort();
  }

  before(async () => {
    dir = await tempDir();
    a = await startBackend('a', '127.83.2.10');
    b = await startBackend('b', '127.83.2.11');
    c = await startBackend('c', '127.83.2.12');
    d = await startBackend('d', '127.83.2.13');
    e = await startBackend('e', '127.83.2.14');
    f = await startBackend('f', '127.83.2.15');
    slow = await startSlowBackend('127.83.2.20');
    ads = await AdsServer.start('127.83.2.1', resources({ version: 'v1', svc: [a], od: [d, e] }));
    proxy = await startProxyProcess(adsBootstrap({ address: ads.address, port: ads.port }), dir.path, 'ads');
    url = await proxy.listenerUrl('ingress');
  });

  after(async () => {
    await proxy.stop();
    await ads.stop();
    await Promise.all([a, b, c, d, e, f].map((x) => x.close()));
    await slow.close();
    await dir.cleanup();
  });

  test('a new endpoint takes effect while a slow request stays in flight and completes', async () => {
    assert.deepEqual(await backendsSeen('/'), ['200 a']);
    const inFlight = httpGet(`${url}/slow`);
    await slow.waitForHeld();
    await push({ version: 'v2', svc: [a, b], od: [d, e] });
    await waitFor('EDS ACK of v2', () =>
      ads.acks(XdsTypeUrl.clusterLoadAssignment).some((r) => r.versionInfo === 'v2'),
    );
    assert.deepEqual(await backendsSeen('/'), ['200 a', '200 b']);
    slow.releaseAll();
    assert.equal(describeResponse(await inFlight), '200 slow done');
  });

  test('a changed route sends new requests to a new cluster (added first, make before break); the request in flight finishes', async () => {
    const inFlight = httpGet(`${url}/slow`);
    await slow.waitForHeld();
    await push({ version: 'v3', svc: [a, b], svcC: [c], od: [d, e] });
    await waitFor('svc-c to warm', async () => (await proxy.stat('cluster.svc-c.update_success')) === 1);
    assert.deepEqual(await backendsSeen('/'), ['200 a', '200 b'], 'the route has not changed yet');
    await push({ version: 'v4', svc: [a, b], svcC: [c], od: [d, e], root: 'svc-c' });
    assert.deepEqual(await backendsSeen('/'), ['200 c']);
    assert.equal(await proxy.stat('http.ingress.rds.routes.config_reload'), 2, 'the initial routes and v4');
    slow.releaseAll();
    assert.equal(describeResponse(await inFlight), '200 slow done');
  });

  test('a removed cluster answers 503 NC to new requests while the request in flight to it completes', async () => {
    const inFlight = httpGet(`${url}/slow`);
    await slow.waitForHeld();
    await push({ version: 'v5', svc: [a, b], svcC: [c], od: [d, e], root: 'svc-c', slow: false });
    const noCluster = (await proxy.stat('http.ingress.no_cluster')) ?? 0;
    const fresh = await httpGet(`${url}/slow`);
    assert.equal(fresh.status, 503);
    assert.equal(await proxy.stat('http.ingress.no_cluster'), noCluster + 1);
    const clusters = (await proxy.admin('/clusters')).body;
    assert.doesNotMatch(clusters, /^slow-svc::/m);
    slow.releaseAll();
    assert.equal(describeResponse(await inFlight), '200 slow done');
    assert.deepEqual(ads.requestsOf(XdsTypeUrl.clusterLoadAssignment).at(-1)?.resourceNames, [
      'svc',
      'svc-c',
      'svc-od',
    ]);
  });

  test('an invalid cluster is NACKed naming the resource and field; traffic stays on the last good config', async () => {
    const before = await proxy.stat('cluster_manager.cds.update_rejected');
    ads.setResources(
      resources({
        version: 'v6',
        svc: [f],
        svcC: [c],
        od: [d, e],
        root: 'svc',
        slow: false,
        svcExtra: { outlier_detection: { max_ejection_percent: 150 } },
      }),
    );
    const nack = await waitFor('the CDS NACK of v6', () => ads.nacks(XdsTypeUrl.cluster).at(-1));
    assert.equal(nack.versionInfo, 'v5', 'the NACK carries the last accepted version');
    assert.equal(nack.errorDetail?.code, 13);
    assert.match(
      nack.errorDetail?.message ?? '',
      /^Error adding\/updating cluster\(s\) svc: outlier_detection\.max_ejection_percent: .*100/,
    );
    assert.equal(await proxy.stat('cluster_manager.cds.update_rejected'), (before ?? 0) + 1);
    // The rest of the v6 push (LDS, RDS: root back to svc; EDS: svc on f) is valid and applies.
    await waitFor('RDS ACK of v6', () =>
      ads.acks(XdsTypeUrl.routeConfiguration).some((r) => r.versionInfo === 'v6'),
    );
    assert.deepEqual(await backendsSeen('/'), ['200 f']);
    const dump = JSON.parse((await proxy.admin('/config_dump')).body) as unknown;
    assert.equal(jsonGet(dump, 'configs.1.version_info'), 'v5');
    const svc = (jsonGet(dump, 'configs.1.dynamic_active_clusters') as unknown[]).find(
      (entry) => jsonGet(entry, 'cluster.name') === 'svc',
    );
    assert.equal(jsonGet(svc, 'version_info'), 'v1', 'svc itself is unchanged since v1');
    assert.match(String(jsonGet(svc, 'error_state.details')), /max_ejection_percent/);
    assert.equal(
      jsonGet(svc, 'error_state.failed_configuration.outlier_detection.max_ejection_percent'),
      150,
    );
  });

  test('an invalid route configuration is NACKed with its path; the routes in use stay', async () => {
    ads.setResources(
      resources({
        version: 'v7',
        svc: [f],
        svcC: [c],
        od: [d, e],
        root: 'svc-c',
        slow: false,
        routeExtra: {
          virtual_hosts: [
            {
              name: 'all',
              domains: ['*'],
              routes: [{ match: { safe_regex: { regex: '(unclosed' } }, route: { cluster: 'svc-c' } }],
            },
          ],
        },
      }),
    );
    const nack = await waitFor('the RDS NACK of v7', () => ads.nacks(XdsTypeUrl.routeConfiguration).at(-1));
    assert.equal(nack.versionInfo, 'v6');
    assert.match(
      nack.errorDetail?.message ?? '',
      /^Error adding\/updating route configuration routes: virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: /,
    );
    // CDS v7 equals v6 but for svc, which is valid again: accepted.
    await waitFor('CDS ACK of v7', () => ads.acks(XdsTypeUrl.cluster).some((r) => r.versionInfo === 'v7'));
    assert.deepEqual(await backendsSeen('/'), ['200 f'], 'still the v6 routes');
    assert.equal(await proxy.stat('http.ingress.rds.routes.update_rejected'), 1);
    const dump = JSON.parse((await proxy.admin('/config_dump')).body) as unknown;
    assert.deepEqual(
      jsonPick(dump, 'configs.3.dynamic_route_configs', ['version_info', 'route_config.name']),
      [['v6', 'routes']],
    );
    const svc = (jsonGet(dump, 'configs.1.dynamic_active_clusters') as unknown[]).find(
      (entry) => jsonGet(entry, 'cluster.name') === 'svc',
    );
    assert.equal(jsonGet(svc, 'error_state'), undefined, 'the accepted svc clears its error');
  });

  test('an EDS update keeps the ejection of an endpoint that persists, and never rebuilds the cluster', async () => {
    d.setBehaviour({ kind: 'status', status: 503 });
    await waitFor('d to be ejected', async () => {
      await httpGet(`${url}/od`);
      return (await proxy.stat('cluster.svc-od.outlier_detection.ejections_active')) === 1;
    });
    d.setBehaviour({ kind: 'ok' });
    const version = 'v8';
    await push({ version, svc: [f], svcC: [c], od: [d, e, f], root: 'svc-c', slow: false });
    await waitFor('EDS ACK of v8', () =>
      ads.acks(XdsTypeUrl.clusterLoadAssignment).some((r) => r.versionInfo === version),
    );
    await waitFor('svc-od to have three hosts', async () =>
      /svc-od::127\.83\.2\.15:\d+::hostname/.test((await proxy.admin('/clusters')).body),
    );
    assert.deepEqual(await backendsSeen('/od', 20), ['200 e', '200 f']);
    assert.equal(await proxy.stat('cluster.svc-od.outlier_detection.ejections_active'), 1);
    assert.match(
      (await proxy.admin('/clusters')).body,
      /^svc-od::127\.83\.2\.13:\d+::health_flags::\/failed_outlier_check$/m,
    );
    assert.equal(
      await proxy.stat('cluster_manager.cluster_added'),
      5,
      'xds-grpc, svc, svc-od, slow-svc, svc-c',
    );
  });
});

function describeResponse(res: TestResponse): string {
  return `${res.status} ${res.body}`;
}
