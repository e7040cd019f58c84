/**
 * The control plane goes away and comes back: a real `spillway proxy` keeps serving its last good
 * configuration, shows `control_plane.connected_state` 0, reconnects with backoff once the server
 * listens again (re-requesting every type with the versions it has and no nonce) and applies the
 * updates that follow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { AdsServer, type AdsResources } from '../support/ads-server.js';
import { httpGet } from '../support/http-client.js';
import { tempDir } from '../support/proxy-fixture.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';
import {
  adsBootstrap,
  assignment,
  edsCluster,
  rdsListener,
  routeConfiguration,
  type Endpoint,
} from '../support/ads-proxy-resources.js';

function resources(version: string, endpoints: readonly Endpoint[]): AdsResources {
  return {
    version,
    clusters: [edsCluster('svc')],
    endpoints: [assignment('svc', [endpoints])],
    listeners: [rdsListener('ingress', { address: '127.83.3.2', port: 0 }, 'routes')],
    routes: [routeConfiguration('routes', [{ prefix: '/', cluster: 'svc' }])],
  };
}

describe('when the control plane is away', () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let a: TestBackend;
  let b: TestBackend;
  let ads: AdsServer;
  let proxy: ProxyProcess;
  let url: string;

  before(async () => {
    dir = await tempDir();
    a = await startBackend('a', '127.83.3.10');
    b = await startBackend('b', '127.83.3.11');
    ads = await AdsServer.start('127.83.3.1', resources('v1', [a]));
    proxy = await startProxyProcess(adsBootstrap({ address: ads.address, port: ads.port }), dir.path, 'ads');
    url = await proxy.listenerUrl('ingress');
  });

  after(async () => {
    await proxy.stop();
    await ads.stop();
    await Promise.all([a.close(), b.close()]);
    await dir.cleanup();
  });

  test('traffic keeps flowing on the last good configuration while the ADS server is down', async () => {
    assert.equal(await proxy.stat('control_plane.connected_state'), 1);
    await ads.stop();
    await waitFor('connected_state 0', async () => (await proxy.stat('control_plane.connected_state')) === 0);
    for (let i = 0; i < 10; i++) {
      const res = await httpGet(`${url}/`);
      assert.deepEqual([res.status, res.body], [200, 'a']);
    }
    assert.equal((await proxy.admin('/ready')).status, 200, 'still LIVE');
    assert.ok(((await proxy.stat('cluster_manager.cds.update_failure')) ?? 0) >= 1);
    assert.ok(((await proxy.stat('listener_manager.lds.update_failure')) ?? 0) >= 1);
  });

  test('a restarted server is reconnected to; the proxy re-requests its versions and takes new updates', async () => {
    const streamsBefore = new Set(ads.requests.map((r) => r.streamId));
    await ads.restart();
    const first = await waitFor(
      'a request on a new stream',
      () => ads.requests.find((r) => !streamsBefore.has(r.streamId)),
      { timeoutMs: 40_000 },
    );
    // GrpcMuxImpl::onStreamEstablished: versions kept, nonces cleared, the node again.
    assert.deepEqual([first.typeUrl, first.versionInfo, first.responseNonce], [XdsTypeUrl.cluster, 'v1', '']);
    assert.equal(typeof first.node?.['id'], 'string');
    const reconnect = await waitFor('the four initial requests of the new stream', () => {
      const initial = ads.requests.filter((r) => r.streamId === first.streamId && r.responseNonce === '');
      return initial.length >= 4 ? initial : undefined;
    });
    assert.deepEqual(
      reconnect.map((r) => [r.typeUrl, r.versionInfo]),
      [
        [XdsTypeUrl.cluster, 'v1'],
        [XdsTypeUrl.clusterLoadAssignment, 'v1'],
        [XdsTypeUrl.listener, 'v1'],
        [XdsTypeUrl.routeConfiguration, 'v1'],
      ],
    );
    await waitFor('connected_state 1', async () => (await proxy.stat('control_plane.connected_state')) === 1);
    ads.setResources(resources('v2', [a, b]));
    await waitFor('b to receive traffic', async () => (await httpGet(`${url}/`)).body === 'b');
    assert.ok(ads.acks(XdsTypeUrl.clusterLoadAssignment).some((r) => r.versionInfo === 'v2'));
  });

  test('a misbehaving server never takes the proxy down: a resource it cannot decode is NACKed, garbage resets the stream', async () => {
    ads.sendRawResources(XdsTypeUrl.cluster, 'v3', [
      { type_url: XdsTypeUrl.cluster, value: new Uint8Array([0x0a, 0xff, 0x01]) },
    ]);
    const nack = await waitFor('the NACK of the undecodable cluster', () =>
      ads.nacks(XdsTypeUrl.cluster).find((r) => r.versionInfo === 'v2'),
    );
    assert.match(nack.errorDetail?.message ?? '', /^resources\[0\]: /);
    const streams = new Set(ads.requests.map((r) => r.streamId));
    ads.sendRawMessage(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await waitFor(
      'the proxy to open a new stream',
      () => ads.requests.some((r) => !streams.has(r.streamId)),
      { timeoutMs: 40_000 },
    );
    assert.equal(proxy.run.child.exitCode, null, 'still running');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await httpGet(`${url}/`)).body);
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });
});
