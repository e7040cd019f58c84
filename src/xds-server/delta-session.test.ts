import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../core/clock.js';
import { XdsTypeUrl, type XdsResourceJson } from '../envoy/xds-resource.js';
import {
  assignment,
  cluster,
  decodeDeltaResponse,
  resourceSet,
  type DecodedDeltaResponse,
} from '../../test/support/xds-resources.js';
import { DeltaSession } from './delta-session.js';
import type { DeltaDiscoveryRequestMessage } from './discovery-wire.js';
import { ResourceStore } from './resource-store.js';
import type { NackRecord } from './xds-session.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;

function request(
  typeUrl: string,
  fields: Partial<Omit<DeltaDiscoveryRequestMessage, 'initialResourceVersions'>> & {
    initial?: Record<string, string>;
  } = {},
): DeltaDiscoveryRequestMessage {
  const { initial, ...rest } = fields;
  return {
    node: undefined,
    typeUrl,
    resourceNamesSubscribe: [],
    resourceNamesUnsubscribe: [],
    initialResourceVersions: new Map(Object.entries(initial ?? {})),
    responseNonce: '',
    errorDetail: undefined,
    ...rest,
  };
}

class Harness {
  readonly clock = new FakeClock();
  readonly store = new ResourceStore();
  readonly nacks: NackRecord[] = [];
  readonly stale: string[] = [];
  readonly acks: string[] = [];
  private nonce = 0;
  readonly session = new DeltaSession({
    clock: this.clock,
    nextNonce: () => `d${++this.nonce}`,
    events: {
      onAck: (_t, version, nonce) => this.acks.push(`${nonce}@${version}`),
      onNack: (_t, nack) => this.nacks.push(nack),
      onStaleNonce: (_t, nonce) => this.stale.push(nonce),
      onConverged: () => undefined,
    },
  });

  constructor() {
    this.session.attach(this.store.proxy('p'));
  }

  set(...resources: XdsResourceJson[]): void {
    this.session.resourcesChanged(this.store.set('p', resourceSet(...resources), this.clock.monotonicMs()));
  }

  drain(): DecodedDeltaResponse[] {
    const out: DecodedDeltaResponse[] = [];
    for (let r = this.session.nextResponse(); r !== undefined; r = this.session.nextResponse())
      out.push(decodeDeltaResponse(r.bytes));
    return out;
  }

  one(): DecodedDeltaResponse {
    const responses = this.drain();
    assert.equal(responses.length, 1, `expected one response, got ${responses.length}`);
    return responses[0] as DecodedDeltaResponse;
  }

  ack(response: DecodedDeltaResponse): void {
    this.session.handleRequest(request(response.typeUrl, { responseNonce: response.nonce }));
  }
}

describe('incremental (delta) session', () => {
  test('a first request with nothing named is a wildcard; every resource comes with its version', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'));
    assert.equal(h.session.handleRequest(request(CDS)), 'initial');
    const first = h.one();
    assert.deepEqual(first.names, ['a', 'b']);
    assert.match(first.versions['a'] ?? '', /^[0-9a-f]{16}$/);
    assert.deepEqual(first.removed, []);
    assert.match(first.systemVersionInfo, /^[0-9a-f]{16}$/);
  });

  test('only changed resources are sent, removed ones are named in removed_resources', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'), cluster('c'));
    h.session.handleRequest(request(CDS, { resourceNamesSubscribe: ['*'] }));
    h.ack(h.one());
    h.set(cluster('a'), cluster('b', 'other'));
    const update = h.one();
    assert.deepEqual(update.names, ['b']);
    assert.deepEqual(update.removed, ['c']);
    h.ack(update);
    h.set(cluster('a'), cluster('b', 'other'));
    assert.deepEqual(h.drain(), [], 'identical content pushes nothing');
  });

  test('a pushed cluster change is followed by every subscribed assignment, unchanged ones too (warming)', () => {
    const h = new Harness();
    h.set(cluster('c'), cluster('d'), assignment('c', 1), assignment('d', 1));
    h.session.handleRequest(request(CDS, { resourceNamesSubscribe: ['*'] }));
    h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['c', 'd'] }));
    for (const r of h.drain()) h.ack(r);
    for (const r of h.drain()) h.ack(r);
    assert.deepEqual(h.drain(), []);
    h.set({ ...cluster('c'), connect_timeout: '5s' }, cluster('d'), assignment('c', 1), assignment('d', 1));
    const pushed = h.drain();
    assert.deepEqual(
      pushed.map((r) => r.typeUrl),
      [CDS, EDS],
    );
    assert.deepEqual(pushed[0]?.names, ['c']);
    assert.deepEqual(pushed[1]?.names.sort(), ['c', 'd']);
  });

  test('named subscriptions: subscribe sends the resource (or removes it if it does not exist), unsubscribe sends nothing', () => {
    const h = new Harness();
    h.set(assignment('a', 1), assignment('b', 2));
    h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['a', 'ghost'] }));
    const first = h.one();
    assert.deepEqual(first.names, ['a']);
    assert.deepEqual(first.removed, ['ghost'], 'delta tells the client at once that ghost does not exist');
    h.ack(first);
    assert.equal(h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['b'] })), 'subscription');
    assert.deepEqual(h.one().names, ['b']);
    h.session.handleRequest(request(EDS, { resourceNamesUnsubscribe: ['a'] }));
    assert.deepEqual(h.drain(), []);
    h.set(assignment('a', 10), assignment('b', 2));
    assert.deepEqual(h.drain(), [], 'a is no longer subscribed');
    h.set(assignment('a', 10), assignment('b', 2), assignment('ghost', 3));
    assert.deepEqual(h.one().names, ['ghost'], 'ghost appears');
  });

  test('re-subscribing a name the client already holds sends it again (the client may have forgotten it)', () => {
    const h = new Harness();
    h.set(assignment('a', 1));
    h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['a'] }));
    h.ack(h.one());
    h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['a'] }));
    assert.deepEqual(h.one().names, ['a']);
  });

  test('reconnect with initial_resource_versions: only what differs is sent, what is gone is removed', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'), cluster('c'));
    h.session.handleRequest(request(CDS));
    const old = h.one();
    // A new stream (new session), the client tells what it holds: a current, b stale, z gone.
    const again = new Harness();
    again.set(cluster('a'), cluster('b', 'b2'), cluster('c'));
    again.session.handleRequest(
      request(CDS, {
        resourceNamesSubscribe: ['*'],
        initial: {
          a: old.versions['a'] ?? '',
          b: old.versions['b'] ?? '',
          c: old.versions['c'] ?? '',
          z: 'x',
        },
      }),
    );
    const response = again.one();
    assert.deepEqual(response.names, ['b']);
    assert.deepEqual(response.removed, ['z']);
  });

  test('the first request is answered even when the client already holds everything', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS));
    const version = h.one().versions['a'] ?? '';
    const again = new Harness();
    again.set(cluster('a'));
    again.session.handleRequest(request(CDS, { initial: { a: version } }));
    const response = again.one();
    assert.deepEqual(response.names, []);
    assert.deepEqual(response.removed, []);
  });

  test('wildcard plus a name: unsubscribing the name resends it if the wildcard covers it, removes it if not', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS, { resourceNamesSubscribe: ['*', 'a', 'extra'] }));
    const first = h.one();
    assert.deepEqual(first.names, ['a']);
    assert.deepEqual(first.removed, ['extra']);
    h.ack(first);
    h.session.handleRequest(request(CDS, { resourceNamesUnsubscribe: ['a', 'extra'] }));
    const response = h.one();
    assert.deepEqual(response.names, ['a']);
    assert.deepEqual(response.removed, ['extra']);
  });

  test('a NACK is recorded; the rejected version is not resent until something else changes', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'));
    h.session.handleRequest(request(CDS));
    const good = h.one();
    h.ack(good);
    h.set(cluster('a'), cluster('b', 'bad'));
    const bad = h.one();
    assert.equal(
      h.session.handleRequest(
        request(CDS, { responseNonce: bad.nonce, errorDetail: { code: 3, message: 'bad b' } }),
      ),
      'nack',
    );
    assert.equal(h.nacks[0]?.message, 'bad b');
    assert.equal(h.nacks[0]?.rejectedVersion, bad.systemVersionInfo);
    const status = h.session.typeStatuses()[0];
    assert.equal(status?.versionAcked, good.systemVersionInfo);
    assert.equal(status?.isNacked, true);
    h.set(cluster('a'), cluster('b', 'bad'));
    assert.deepEqual(h.drain(), []);
    h.set(cluster('a', 'a2'), cluster('b', 'bad'));
    assert.deepEqual(h.one().names.sort(), ['a', 'b'], 'the rejected b goes along with the change of a');
  });

  test('a nonce never sent is stale, but its subscription change is still honoured', () => {
    const h = new Harness();
    h.set(assignment('a', 1), assignment('b', 2));
    h.session.handleRequest(request(EDS, { resourceNamesSubscribe: ['a'] }));
    h.ack(h.one());
    h.session.handleRequest(request(EDS, { responseNonce: 'never-sent', resourceNamesSubscribe: ['b'] }));
    assert.deepEqual(h.stale, ['never-sent']);
    assert.deepEqual(h.one().names, ['b']);
  });

  test('an ACK of an older response counts for that response', () => {
    const h = new Harness();
    h.set(cluster('a'));
    h.session.handleRequest(request(CDS));
    const first = h.one();
    h.set(cluster('a', 'a2'));
    const second = h.one();
    h.ack(first);
    h.ack(second);
    assert.deepEqual(h.acks, [
      `${first.nonce}@${first.systemVersionInfo}`,
      `${second.nonce}@${second.systemVersionInfo}`,
    ]);
    assert.deepEqual(h.stale, []);
  });

  test('unsubscribing "*" keeps the explicit names only', () => {
    const h = new Harness();
    h.set(cluster('a'), cluster('b'));
    h.session.handleRequest(request(CDS, { resourceNamesSubscribe: ['*', 'a'] }));
    h.ack(h.one());
    h.session.handleRequest(request(CDS, { resourceNamesUnsubscribe: ['*'] }));
    assert.deepEqual(h.drain(), []);
    h.set(cluster('a'), cluster('b', 'b2'));
    assert.deepEqual(h.drain(), [], 'b is no longer wanted');
    h.set(cluster('a', 'a2'), cluster('b', 'b2'));
    assert.deepEqual(h.one().names, ['a']);
  });
});
