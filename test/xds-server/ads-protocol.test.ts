/**
 * The ADS server over real gRPC with a bare client built on the codec: the protocol cases that
 * grpc-js-xds never exercises (stale nonces, reconnect with a version, wildcards, delta), bad
 * peers, push order and coalescing, backpressure, shutdown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SystemClock } from '../../src/core/clock.js';
import { XdsTypeUrl, type XdsResourceJson } from '../../src/envoy/xds-resource.js';
import { AdsServer, ProxyRefusedError } from '../../src/xds-server/ads-server.js';
import { H2SotwStream, nodeJson, RawDeltaStream, RawSotwStream } from '../support/raw-ads-client.js';
import { waitFor } from '../support/wait-for.js';
import { assignment, cluster, listener, resourceSet, route } from '../support/xds-resources.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;
const LDS = XdsTypeUrl.listener;
const RDS = XdsTypeUrl.routeConfiguration;

describe('ADS server protocol (raw gRPC client)', () => {
  let server: AdsServer;
  const streams: { close(): void }[] = [];
  const disconnected: string[] = [];

  function sotw(): RawSotwStream {
    const stream = new RawSotwStream(server.address);
    streams.push(stream);
    return stream;
  }

  function delta(): RawDeltaStream {
    const stream = new RawDeltaStream(server.address);
    streams.push(stream);
    return stream;
  }

  /** Waits until the server has seen the ACK of `version` (so the next push is not raced by it). */
  async function acked(proxyKey: string, typeUrl: string, version: string): Promise<void> {
    await waitFor(`the ACK of ${typeUrl} ${version}`, () =>
      server
        .connectedProxies()
        .some(
          (p) =>
            p.proxyKey === proxyKey &&
            p.types.some((t) => t.typeUrl === typeUrl && t.versionAcked === version),
        ),
    );
  }

  function metric(line: RegExp): number {
    const match = line.exec(server.metrics.render());
    return match === null ? 0 : Number(match[1]);
  }

  before(async () => {
    server = new AdsServer({
      address: '127.82.1.1:0',
      clock: new SystemClock(),
      onProxyConnected: ({ node }) => {
        if (node.id.startsWith('unknown'))
          throw new ProxyRefusedError(`no pod is known as ${node.id}`, grpc.status.NOT_FOUND);
        if (node.id.startsWith('broken')) throw new Error('registry unavailable');
        // Tests choose the proxy key through metadata so several streams can share a set.
        const key = node.metadata['KEY'];
        return { proxyKey: typeof key === 'string' ? key : node.id };
      },
      onProxyDisconnected: (proxy) => disconnected.push(proxy.connectionId),
    });
    await server.start();
  });

  after(async () => {
    for (const stream of streams) stream.close();
    await server.close();
  });

  test('ACK, NACK, stale nonce and a new subscription are told apart', async () => {
    server.setResources('p-ack', resourceSet(assignment('a', 1), assignment('b', 2)));
    const s = sotw();
    s.send({ node: nodeJson('p-ack'), type_url: EDS, resource_names: ['a'] });
    const first = await s.next();
    assert.deepEqual(first.names, ['a']);
    s.ack(first, ['a']);
    await acked('p-ack', EDS, first.versionInfo);
    server.setResources('p-ack', resourceSet(assignment('a', 10), assignment('b', 2)));
    const second = await s.next();
    assert.deepEqual(second.names, ['a']);
    // Stale: the first nonce again, now with a new name. Ignored (no response, no subscription change).
    s.ack(first, ['a', 'b']);
    // NACK of the second response.
    s.send({
      type_url: EDS,
      version_info: first.versionInfo,
      response_nonce: second.nonce,
      resource_names: ['a'],
      error_detail: { code: 3, message: 'endpoint 127.82.0.1:10 rejected' },
    });
    // New subscription with the latest nonce: answered with b only.
    s.ack(second, ['a', 'b']);
    const third = await s.next();
    assert.deepEqual(third.names, ['b'], 'the stale request was ignored, the NACKed a is not resent');
    s.ack(third, ['a', 'b']);
    await acked('p-ack', EDS, third.versionInfo);
    const status = server.connectedProxies().find((p) => p.proxyKey === 'p-ack')?.types[0];
    assert.equal(status?.nackCount, 1);
    assert.equal(status?.lastNack?.message, 'endpoint 127.82.0.1:10 rejected');
    assert.equal(status?.lastNack?.rejectedVersion, second.versionInfo);
    assert.equal(status?.isNacked, false);
    assert.equal(metric(/^pilot_total_xds_rejects\{type="eds"\} (\d+)$/m), 1);
    assert.equal(metric(/^pilot_xds_expired_nonce\{type="eds"\} (\d+)$/m), 1);
  });

  test('a reconnect with the last version and an empty nonce is answered with the current set', async () => {
    server.setResources('p-reconnect', resourceSet(cluster('c1'), cluster('c2')));
    const first = sotw();
    first.send({ node: nodeJson('p-reconnect'), type_url: CDS });
    const response = await first.next();
    first.ack(response);
    first.close();
    const again = sotw();
    again.send({ node: nodeJson('p-reconnect'), type_url: CDS, version_info: response.versionInfo });
    const answer = await again.next();
    assert.equal(answer.versionInfo, response.versionInfo);
    assert.deepEqual(answer.names, ['c1', 'c2']);
    await waitFor('the first stream to be reported gone', () =>
      disconnected.some((id) => id.startsWith('p-reconnect-')),
    );
  });

  test('wildcard LDS and CDS carry the full set on every push', async () => {
    server.setResources(
      'p-wild',
      resourceSet(cluster('c1'), cluster('c2'), listener('l1', 'r'), listener('l2', 'r'), route('r', 'c1')),
    );
    const s = sotw();
    s.send({ node: nodeJson('p-wild'), type_url: LDS });
    s.send({ type_url: CDS });
    const both = [await s.next(), await s.next()];
    const cds = both.find((r) => r.typeUrl === CDS);
    const lds = both.find((r) => r.typeUrl === LDS);
    assert.ok(cds !== undefined && lds !== undefined);
    assert.deepEqual(cds.names, ['c1', 'c2']);
    assert.deepEqual(lds.names, ['l1', 'l2']);
    s.ack(lds);
    s.ack(cds);
    await acked('p-wild', CDS, cds.versionInfo);
    server.setResources(
      'p-wild',
      resourceSet(
        cluster('c1'),
        cluster('c2', 'other'),
        listener('l1', 'r'),
        listener('l2', 'r'),
        route('r', 'c1'),
      ),
    );
    const update = await s.next();
    assert.equal(update.typeUrl, CDS);
    assert.deepEqual(update.names, ['c1', 'c2'], 'the unchanged c1 is part of the state of the world');
  });

  test('identical content pushes nothing; only changed types are pushed, in CDS, EDS, LDS, RDS order', async () => {
    const build = (port: number, routeTarget: string, clusterService = 'c'): XdsResourceJson[] => [
      cluster('c', clusterService),
      assignment('c', port),
      listener('l', 'r'),
      route('r', routeTarget),
    ];
    server.setResources('p-order', resourceSet(...build(1, 'c')));
    const s = sotw();
    s.send({ node: nodeJson('p-order'), type_url: RDS, resource_names: ['r'] });
    s.send({ type_url: LDS });
    s.send({ type_url: CDS });
    const names = (t: string): string[] => (t === RDS ? ['r'] : t === EDS ? ['c'] : []);
    const initial = [await s.next(), await s.next(), await s.next()];
    for (const r of initial) s.ack(r, names(r.typeUrl));
    s.send({ type_url: EDS, resource_names: ['c'] });
    const eds = await s.next();
    assert.equal(eds.typeUrl, EDS);
    s.ack(eds, ['c']);
    // The same content again, as new objects: nothing is pushed.
    server.setResources('p-order', resourceSet(...build(1, 'c')));
    // Then a change of RDS and EDS only (set in the order RDS first).
    server.setResources('p-order', resourceSet(...build(2, 'c-two')));
    const a = await s.next();
    const b = await s.next();
    assert.deepEqual(
      [a.typeUrl, b.typeUrl],
      [EDS, RDS],
      'the identical set produced no response; EDS goes before RDS; CDS and LDS did not change',
    );
    s.ack(a, ['c']);
    s.ack(b, ['r']);
    // Then every type changes: CDS, EDS, LDS, RDS.
    const changed = build(3, 'c-three', 'c-eds');
    changed[2] = listener('l', 'r2');
    server.setResources('p-order', resourceSet(...changed, route('r2', 'c')));
    const order = [await s.next(), await s.next(), await s.next(), await s.next()].map((r) => r.typeUrl);
    assert.deepEqual(order, [CDS, EDS, LDS, RDS]);
  });

  test('a garbage message, a missing node or a refused node ends that stream only', async () => {
    server.setResources('p-healthy', resourceSet(cluster('h1')));
    const healthy = sotw();
    healthy.send({ node: nodeJson('p-healthy'), type_url: CDS });
    healthy.ack(await healthy.next());

    const garbage = sotw();
    garbage.sendBytes(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    const garbageStatus = await garbage.status;
    assert.equal(garbageStatus.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbageStatus.details, /malformed DiscoveryRequest/);

    const anonymous = sotw();
    anonymous.send({ type_url: CDS });
    const anonymousStatus = await anonymous.status;
    assert.equal(anonymousStatus.code, grpc.status.INVALID_ARGUMENT);
    assert.match(anonymousStatus.details, /missing node information/);

    const unknown = sotw();
    unknown.send({ node: nodeJson('unknown-1'), type_url: CDS });
    const unknownStatus = await unknown.status;
    assert.equal(unknownStatus.code, grpc.status.NOT_FOUND);
    assert.match(unknownStatus.details, /proxy unknown-1 refused: no pod is known as unknown-1/);

    const broken = delta();
    broken.send({ node: nodeJson('broken-1'), type_url: CDS });
    const brokenStatus = await broken.status;
    assert.equal(brokenStatus.code, grpc.status.PERMISSION_DENIED);
    assert.match(brokenStatus.details, /registry unavailable/);

    const noType = sotw();
    noType.send({ node: nodeJson('p-notype') });
    const noTypeStatus = await noType.status;
    assert.equal(noTypeStatus.code, grpc.status.INVALID_ARGUMENT);
    assert.match(noTypeStatus.details, /without type_url/);

    // The healthy stream still gets pushes.
    server.setResources('p-healthy', resourceSet(cluster('h1'), cluster('h2')));
    assert.deepEqual((await healthy.next()).names, ['h1', 'h2']);
  });

  test('delta: subscribe, unsubscribe, removed_resources and initial_resource_versions over the wire', async () => {
    server.setResources('p-delta', resourceSet(assignment('a', 1), assignment('b', 2)));
    const d = delta();
    d.send({ node: nodeJson('p-delta'), type_url: EDS, resource_names_subscribe: ['a', 'ghost'] });
    const first = await d.next();
    assert.deepEqual(first.names, ['a']);
    assert.deepEqual(first.removed, ['ghost']);
    d.ack(first);
    d.send({ type_url: EDS, resource_names_subscribe: ['b'], resource_names_unsubscribe: ['a'] });
    const second = await d.next();
    assert.deepEqual(second.names, ['b']);
    d.ack(second);
    server.setResources('p-delta', resourceSet(assignment('b', 2)));
    server.setResources('p-delta', resourceSet(assignment('b', 20)));
    const third = await d.next();
    assert.deepEqual(third.names, ['b'], 'a was unsubscribed: its removal is not sent');
    assert.deepEqual(third.removed, []);
    d.ack(third);
    d.close();

    // Reconnect: the client holds b at its current version and a stale c.
    server.setResources('p-delta', resourceSet(assignment('b', 20), assignment('c', 3)));
    const again = delta();
    again.send({
      node: nodeJson('p-delta'),
      type_url: EDS,
      resource_names_subscribe: ['b', 'c', 'gone'],
      initial_resource_versions: { b: third.versions['b'], c: 'stale', gone: 'old' },
    });
    const resumed = await again.next();
    assert.deepEqual(resumed.names, ['c']);
    assert.deepEqual(resumed.removed, ['gone']);
  });

  test('a slow client never blocks others and gets only the latest set once it reads again', async () => {
    // Big clusters, so that a reader that stops consuming fills the HTTP/2 window at once.
    const padding = 'x'.repeat(20_000);
    const bigSet = (generation: number): ReturnType<typeof resourceSet> =>
      resourceSet(
        ...Array.from({ length: 10 }, (_, i) => ({
          ...cluster(`big-${i}`),
          alt_stat_name: `${padding}-${generation}`,
        })),
      );
    server.setResources('p-slow', bigSet(0));
    server.setResources('p-fast', resourceSet(cluster('f')));
    const slow = new H2SotwStream(server.address);
    streams.push(slow);
    slow.send({ node: nodeJson('p-slow'), type_url: CDS });
    const initial = await slow.next();
    slow.ack(initial);
    await acked('p-slow', CDS, initial.versionInfo);
    slow.pause();
    const fast = sotw();
    fast.send({ node: nodeJson('p-fast'), type_url: CDS });
    fast.ack(await fast.next());

    for (let generation = 1; generation <= 40; generation++) {
      server.setResources('p-slow', bigSet(generation));
      server.setResources('p-fast', resourceSet(cluster('f', `f-${generation}`)));
      const update = await fast.next();
      const service = (update.resources[0]?.['eds_cluster_config'] as { service_name: string }).service_name;
      assert.equal(
        service,
        `f-${generation}`,
        'the fast client follows every change while the slow one is stuck',
      );
      fast.ack(update);
    }
    const slowPushes = (): number =>
      server
        .connectedProxies()
        .find((p) => p.proxyKey === 'p-slow')
        ?.types.find((t) => t.typeUrl === CDS)?.pushes ?? 0;
    // The initial response plus at most the 4 responses allowed in flight.
    assert.ok(slowPushes() <= 5, `responses written to the stuck stream: ${slowPushes()}`);
    slow.resume();
    const latest = `${padding}-40`;
    const seen: string[] = [];
    for (;;) {
      const response = await slow.next();
      const stat = String(response.resources[0]?.['alt_stat_name'] ?? '');
      seen.push(stat.slice(padding.length + 1));
      if (stat === latest) break;
    }
    assert.ok(seen.length <= 5, `coalesced: ${seen.length} responses for 40 sets (${seen.join(', ')})`);
    assert.equal(seen.at(-1), '40');
  });

  test('streams of one proxy key share its set; setResources with an inconsistent set is refused whole', async () => {
    server.setResources('shared', resourceSet(cluster('s1')));
    const one = sotw();
    const two = delta();
    one.send({ node: nodeJson('sidecar-1', { KEY: 'shared' }), type_url: CDS });
    two.send({ node: nodeJson('sidecar-2', { KEY: 'shared' }), type_url: CDS });
    one.ack(await one.next());
    two.ack(await two.next());
    const bad = resourceSet(cluster('s1'), { ...cluster('s2'), no_such_field: true });
    assert.throws(
      () => server.setResources('shared', bad),
      (err: Error & { code?: string }) =>
        err.code === 'SPILLWAY_ERR_XDS_RESOURCE_INVALID' && /s2.*no_such_field/.test(err.message),
    );
    server.setResources('shared', resourceSet(cluster('s1'), cluster('s3')));
    assert.deepEqual((await one.next()).names, ['s1', 's3']);
    assert.deepEqual((await two.next()).names, ['s3']);
    const connected = server.connectedProxies().filter((p) => p.proxyKey === 'shared');
    assert.deepEqual(connected.map((p) => p.protocol).sort(), ['delta', 'sotw']);
    assert.ok(metric(/^pilot_xds\{version=""\} (\d+)$/m) >= 2);
  });
});

describe('ADS server lifecycle', () => {
  test('close() ends every stream with UNAVAILABLE', async () => {
    const server = new AdsServer({
      address: '127.82.1.2:0',
      clock: new SystemClock(),
      onProxyConnected: ({ node }) => ({ proxyKey: node.id }),
    });
    await server.start();
    server.setResources('p', resourceSet(cluster('c')));
    const s = new RawSotwStream(server.address);
    s.send({ node: nodeJson('p'), type_url: CDS });
    await s.next();
    await server.close();
    const status = await s.status;
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    s.close();
  });

  test('a second server on a bound port fails with SPILLWAY_ERR_XDS_SERVER_BIND; a malformed address too', async () => {
    const clock = new SystemClock();
    const first = new AdsServer({
      address: '127.82.1.3:0',
      clock,
      onProxyConnected: () => ({ proxyKey: 'x' }),
    });
    await first.start();
    const second = new AdsServer({
      address: first.address,
      clock,
      onProxyConnected: () => ({ proxyKey: 'x' }),
    });
    await assert.rejects(
      second.start(),
      (err: Error & { code?: string }) => err.code === 'SPILLWAY_ERR_XDS_SERVER_BIND',
    );
    const third = new AdsServer({ address: 'no-port', clock, onProxyConnected: () => ({ proxyKey: 'x' }) });
    await assert.rejects(third.start(), /not host:port/);
    await second.close();
    await third.close();
    await first.close();
  });
});
