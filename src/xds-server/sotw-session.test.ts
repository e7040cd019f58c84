import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../core/clock.js';
import { XdsTypeUrl, type XdsResourceJson } from '../envoy/xds-resource.js';
import {
  assignment,
  cluster,
  decodeSotwResponse,
  listener,
  resourceSet,
  route,
  type DecodedResponse,
} from '../../test/support/xds-resources.js';
import type { DiscoveryRequestMessage } from './discovery-wire.js';
import { ResourceStore } from './resource-store.js';
import { SotwSession } from './sotw-session.js';
import type { NackRecord } from './xds-session.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;
const LDS = XdsTypeUrl.listener;
const RDS = XdsTypeUrl.routeConfiguration;

function request(typeUrl: string, fields: Partial<DiscoveryRequestMessage> = {}): DiscoveryRequestMessage {
  return {
    versionInfo: '',
    node: undefined,
    resourceNames: [],
    typeUrl,
    responseNonce: '',
    errorDetail: undefined,
    ...fields,
  };
}

class Harness {
  readonly clock = new FakeClock();
  readonly store = new ResourceStore();
  readonly acks: string[] = [];
  readonly nacks: NackRecord[] = [];
  readonly stale: string[] = [];
  readonly converged: number[] = [];
  private nonce = 0;
  readonly session = new SotwSession({
    clock: this.clock,
    nextNonce: () => `n${++this.nonce}`,
    events: {
      onAck: (typeUrl, version) => this.acks.push(`${typeUrl}@${version}`),
      onNack: (_t, nack) => this.nacks.push(nack),
      onStaleNonce: (_t, nonce) => this.stale.push(nonce),
      onConverged: (ms) => this.converged.push(ms),
    },
  });

  constructor() {
    this.session.attach(this.store.proxy('p'));
  }

  set(...resources: XdsResourceJson[]): void {
    const changes = this.store.set('p', resourceSet(...resources), this.clock.monotonicMs());
    this.session.resourcesChanged(changes);
  }

  /** Every response due now, decoded. */
  drain(): DecodedResponse[] {
    const out: DecodedResponse[] = [];
    for (let r = this.session.nextResponse(); r !== undefined; r = this.session.nextResponse())
      out.push(decodeSotwResponse(r.bytes));
    return out;
  }

  one(): DecodedResponse {
    const responses = this.drain();
    assert.equal(
      responses.length,
      1,
      `expected one response, got ${responses.map((r) => r.typeUrl).join(', ')}`,
    );
    return responses[0] as DecodedResponse;
  }

  ack(response: DecodedResponse, names: readonly string[] = []): void {
    this.session.handleRequest(
      request(response.typeUrl, {
        versionInfo: response.versionInfo,
        responseNonce: response.nonce,
        resourceNames: names,
      }),
    );
  }
}

describe('state-of-the-world session', () => {
  test('answers nothing before the control plane gave a set, then the current set', () => {
    const h = new Harness();
    assert.equal(h.session.handleRequest(request(CDS)), 'initial');
    assert.deepEqual(h.drain(), []);
    h.set(cluster('a'), cluster('b'));
    const response = h.one();
    assert.equal(response.typeUrl, CDS);
    assert.deepEqual(response.names, ['a', 'b']);
  });

  test('an empty CDS request is a wildcard: every cluster, and a full set again after one changes', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'));
    h.session.handleRequest(request(CDS));
    h.ack(h.one());
    h.set(cluster('a'), cluster('b', 'b-eds'));
    assert.deepEqual(h.one().names, ['a', 'b']);
  });

  test('grpc-js-style named LDS/CDS: only the named resources, always all of them, missing ones omitted', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'), cluster('c'));
    h.session.handleRequest(request(CDS, { resourceNames: ['a', 'missing'] }));
    const first = h.one();
    assert.deepEqual(first.names, ['a']);
    h.ack(first, ['a', 'missing']);
    // A new name in an ACK is a new request: the full subscribed set comes back.
    h.ack(first, ['a', 'missing', 'c']);
    assert.deepEqual(h.one().names, ['a', 'c']);
  });

  test('"*" next to names keeps the wildcard; names alone end it; an empty list then means nothing', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'));
    h.session.handleRequest(request(CDS, { resourceNames: ['*', 'a'] }));
    const all = h.one();
    assert.deepEqual(all.names, ['a', 'b']);
    h.ack(all, ['a']);
    const onlyA = h.one();
    assert.deepEqual(onlyA.names, ['a']);
    h.ack(onlyA, []);
    assert.deepEqual(h.one().names, []);
  });

  test('an ACK records the version and asks for nothing; identical content pushes nothing', () => {
    const h = new Harness();
    h.set(cluster('a'), assignment('a', 1));
    h.session.handleRequest(request(CDS));
    const cds = h.one();
    assert.equal(
      h.session.handleRequest(request(CDS, { versionInfo: cds.versionInfo, responseNonce: cds.nonce })),
      'ack',
    );
    assert.deepEqual(h.acks, [`${CDS}@${cds.versionInfo}`]);
    h.set(cluster('a'), assignment('a', 1));
    // Equal content in new objects: no change at all.
    assert.deepEqual(h.drain(), []);
    const status = h.session.typeStatuses().find((s) => s.typeUrl === CDS);
    assert.equal(status?.versionAcked, cds.versionInfo);
    assert.equal(status?.pushes, 1);
  });

  test('versions are content hashes: equal sets give equal versions, a revert gives the old version', () => {
    const h1 = new Harness();
    const h2 = new Harness();
    h1.set(cluster('a'), cluster('b'));
    h2.set(cluster('b'), cluster('a'));
    h1.session.handleRequest(request(CDS));
    h2.session.handleRequest(request(CDS));
    const v1 = h1.one().versionInfo;
    assert.equal(h2.one().versionInfo, v1);
    assert.match(v1, /^[0-9a-f]{16}$/);
  });

  test('a stale nonce is ignored and counted; the latest nonce is the one that counts', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS));
    const first = h.one();
    h.set(cluster('a'), cluster('b'));
    const second = h.one();
    assert.equal(
      h.session.handleRequest(request(CDS, { versionInfo: first.versionInfo, responseNonce: first.nonce })),
      'stale',
    );
    assert.deepEqual(h.stale, [first.nonce]);
    assert.deepEqual(h.acks, []);
    h.ack(second);
    assert.deepEqual(h.acks, [`${CDS}@${second.versionInfo}`]);
  });

  test('a NACK is recorded with the reason, keeps the last ACKed version and the rejected version is not resent', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS));
    const good = h.one();
    h.ack(good);
    h.set(cluster('a'), cluster('bad'));
    const bad = h.one();
    const kind = h.session.handleRequest(
      request(CDS, {
        versionInfo: good.versionInfo,
        responseNonce: bad.nonce,
        errorDetail: { code: 3, message: 'cluster bad: invalid' },
      }),
    );
    assert.equal(kind, 'nack');
    assert.equal(h.nacks.length, 1);
    assert.equal(h.nacks[0]?.rejectedVersion, bad.versionInfo);
    assert.equal(h.nacks[0]?.clientVersion, good.versionInfo);
    assert.equal(h.nacks[0]?.message, 'cluster bad: invalid');
    const status = h.session.typeStatuses()[0];
    assert.equal(status?.versionAcked, good.versionInfo);
    assert.equal(status?.isNacked, true);
    assert.equal(status?.nackCount, 1);
    // Re-setting the rejected content (e.g. an unrelated EDS change for another proxy) is not resent.
    h.set(cluster('a'), cluster('bad'));
    assert.deepEqual(h.drain(), []);
    // A fix is.
    h.set(cluster('a'), cluster('fixed'));
    const fixed = h.one();
    assert.deepEqual(fixed.names, ['a', 'fixed']);
    h.ack(fixed);
    assert.equal(h.session.typeStatuses()[0]?.isNacked, false);
  });

  test('a reconnect with the old version and an empty nonce is answered even when nothing changed', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS));
    const first = h.one();
    h.ack(first);
    assert.equal(h.session.handleRequest(request(CDS, { versionInfo: first.versionInfo })), 'initial');
    const again = h.one();
    assert.equal(again.versionInfo, first.versionInfo);
    assert.deepEqual(again.names, ['a']);
  });

  test('RDS/EDS: only subscribed names, only what changed, newly named ones even if unchanged', () => {
    const h = new Harness();
    h.set(assignment('a', 1), assignment('b', 2), assignment('c', 3));
    h.session.handleRequest(request(EDS, { resourceNames: ['a', 'b'] }));
    const first = h.one();
    assert.deepEqual(first.names, ['a', 'b']);
    h.ack(first, ['a', 'b']);
    h.set(assignment('a', 1), assignment('b', 20), assignment('c', 30));
    const changed = h.one();
    assert.deepEqual(changed.names, ['b'], 'c is not subscribed, a did not change');
    assert.notEqual(changed.versionInfo, first.versionInfo);
    h.ack(changed, ['a', 'b']);
    h.ack(changed, ['a', 'b', 'c']);
    assert.deepEqual(h.one().names, ['c']);
  });

  test('RDS/EDS: dropping a name answers nothing; a name that does not exist is omitted', () => {
    const h = new Harness();
    h.set(assignment('a', 1));
    h.session.handleRequest(request(EDS, { resourceNames: ['a'] }));
    const first = h.one();
    h.ack(first, ['a']);
    h.ack(first, []);
    assert.deepEqual(h.drain(), []);
    h.ack(first, ['nope']);
    assert.deepEqual(h.drain(), [], 'nothing to send: the client times the missing resource out');
    h.set(assignment('a', 1), assignment('nope', 9));
    assert.deepEqual(h.one().names, ['nope'], 'it is sent once it exists');
  });

  test('EDS NACK: the rejected assignment goes again only together with a real change', () => {
    const h = new Harness();
    h.set(assignment('a', 1), assignment('b', 2));
    h.session.handleRequest(request(EDS, { resourceNames: ['a', 'b'] }));
    h.ack(h.one(), ['a', 'b']);
    h.set(assignment('a', 1), assignment('b', 99));
    const bad = h.one();
    h.session.handleRequest(
      request(EDS, {
        responseNonce: bad.nonce,
        resourceNames: ['a', 'b'],
        errorDetail: { code: 3, message: 'no' },
      }),
    );
    h.set(assignment('a', 1), assignment('b', 99));
    assert.deepEqual(h.drain(), []);
    h.set(assignment('a', 5), assignment('b', 99));
    assert.deepEqual(h.one().names.sort(), ['a', 'b']);
  });

  test('pushes go out in CDS, EDS, LDS, RDS order and only for types that changed', () => {
    const h = new Harness();
    h.set(cluster('c'), assignment('c', 1), listener('l', 'r'), route('r', 'c'));
    for (const t of [RDS, LDS, EDS, CDS]) {
      const names = t === RDS ? ['r'] : t === EDS ? ['c'] : [];
      h.session.handleRequest(request(t, { resourceNames: names }));
    }
    const initial = h.drain();
    assert.deepEqual(
      initial.map((r) => r.typeUrl),
      [CDS, EDS, LDS, RDS],
    );
    const namesOf = (t: string): string[] => (t === RDS ? ['r'] : t === EDS ? ['c'] : []);
    for (const r of initial) h.ack(r, namesOf(r.typeUrl));
    // EDS was requested before CDS, so its ACK is answered once more for cluster warming.
    const warming = h.drain();
    assert.deepEqual(
      warming.map((r) => r.typeUrl),
      [EDS],
    );
    for (const r of warming) h.ack(r, namesOf(r.typeUrl));
    assert.deepEqual(h.drain(), []);
    h.set(cluster('c'), assignment('c', 2), listener('l', 'r'), route('r', 'c2'));
    assert.deepEqual(
      h.drain().map((r) => r.typeUrl),
      [EDS, RDS],
    );
  });

  test('after a (re)initial CDS request, the next EDS request is answered even if it looks like an ACK', () => {
    const h = new Harness();
    h.set(cluster('c'), assignment('c', 1));
    h.session.handleRequest(request(EDS, { resourceNames: ['c'] }));
    const eds = h.one();
    h.ack(eds, ['c']);
    h.session.handleRequest(request(CDS));
    // The clusters are followed by their assignments at once (a pushed cluster change, below) ...
    const [cds, followed] = h.drain();
    assert.equal(cds?.typeUrl, CDS);
    assert.deepEqual(followed?.names, ['c']);
    if (cds === undefined || followed === undefined) return;
    h.ack(cds);
    // ... and the client's EDS request after its CDS update is answered too, though it reads as an ACK.
    h.ack(followed, ['c']);
    const warming = h.one();
    assert.equal(warming.typeUrl, EDS);
    assert.deepEqual(warming.names, ['c']);
  });

  test('a pushed cluster change is followed by every subscribed assignment, unchanged ones too (warming)', () => {
    const h = new Harness();
    h.set(cluster('c'), cluster('d'), assignment('c', 1), assignment('d', 1));
    h.session.handleRequest(request(CDS));
    h.session.handleRequest(request(EDS, { resourceNames: ['c', 'd'] }));
    for (const r of h.drain()) h.ack(r, r.typeUrl === EDS ? ['c', 'd'] : []);
    for (const r of h.drain()) h.ack(r, r.typeUrl === EDS ? ['c', 'd'] : []);
    assert.deepEqual(h.drain(), []);
    // A DestinationRule change: cluster c's content changes, no assignment does.
    h.set({ ...cluster('c'), connect_timeout: '5s' }, cluster('d'), assignment('c', 1), assignment('d', 1));
    const pushed = h.drain();
    assert.deepEqual(
      pushed.map((r) => r.typeUrl),
      [CDS, EDS],
    );
    assert.deepEqual(pushed[1]?.names.sort(), ['c', 'd']);
  });

  test('convergence: from the set change to the ACK of every type it pushed', () => {
    const h = new Harness();
    h.set(cluster('c'), assignment('c', 1));
    h.session.handleRequest(request(CDS));
    h.session.handleRequest(request(EDS, { resourceNames: ['c'] }));
    for (const r of h.drain()) h.ack(r, r.typeUrl === EDS ? ['c'] : []);
    h.converged.length = 0;
    h.clock.advance(1000);
    h.set(cluster('c', 'c2'), assignment('c', 2));
    const [cds, eds] = h.drain();
    h.clock.advance(30);
    h.ack(cds as DecodedResponse);
    assert.deepEqual(h.converged, [], 'EDS is not ACKed yet');
    h.clock.advance(20);
    h.ack(eds as DecodedResponse, ['c']);
    assert.deepEqual(h.converged, [50]);
  });

  test('a request without type_url is a protocol error', () => {
    const h = new Harness();
    assert.throws(() => h.session.handleRequest(request('')), /without type_url/);
  });
});
