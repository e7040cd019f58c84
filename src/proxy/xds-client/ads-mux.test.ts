import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { encodeAnyJson } from '../../envoy/proto-json-codec.js';
import { XdsTypeUrl } from '../../envoy/xds-resource.js';
import { StatsStore } from '../stats/stats-store.js';
import { AdsMux, truncateErrorDetail, type WatchCallbacks } from './ads-mux.js';
import { FakeAdsTransport } from './ads-transport-fake.js';
import type { DecodedResource, DiscoveryRequestMessage } from './discovery-messages.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;
const LDS = XdsTypeUrl.listener;

/** A Random returning the values given, then 0. */
function scripted(values: number[]): Random {
  return { nextU32: () => values.shift() ?? 0 };
}

interface Harness {
  readonly mux: AdsMux;
  readonly transport: FakeAdsTransport;
  readonly clock: FakeClock;
  readonly stats: StatsStore;
  /** Waits until every queued response was processed. */
  settle(): Promise<void>;
}

function harness(options: { setNodeOnFirstMessageOnly?: boolean; random?: Random } = {}): Harness {
  const transport = new FakeAdsTransport();
  const clock = new FakeClock();
  const stats = new StatsStore();
  const mux = new AdsMux({
    transport,
    clock,
    random: options.random ?? scripted([]),
    node: { id: 'n1', cluster: 'c' },
    setNodeOnFirstMessageOnly: options.setNodeOnFirstMessageOnly ?? true,
    stats: stats.root,
  });
  return { mux, transport, clock, stats, settle: () => mux.runExclusive(() => {}) };
}

/** Callbacks recording updates; `reject` makes onUpdate throw. */
function recorder(reject?: (resources: readonly DecodedResource[]) => string | undefined): WatchCallbacks & {
  updates: Array<{ names: string[]; version: string }>;
  rejections: string[];
  failures: number;
} {
  const r = {
    updates: [] as Array<{ names: string[]; version: string }>,
    rejections: [] as string[],
    failures: 0,
    onUpdate(resources: readonly DecodedResource[], version: string) {
      const problem = reject?.(resources);
      if (problem !== undefined) throw new Error(problem);
      r.updates.push({ names: resources.map((x) => x.name), version });
    },
    onRejected(error: Error) {
      r.rejections.push(error.message);
    },
    onConnectionFailure() {
      r.failures++;
    },
  };
  return r;
}

/** The (version, nonce, names, error) of each request, compactly. */
function summary(requests: readonly DiscoveryRequestMessage[]): string[] {
  return requests.map(
    (r) =>
      `${r.typeUrl.split('.').pop()} v=${r.versionInfo} n=${r.responseNonce} [${r.resourceNames.join(',')}]` +
      (r.errorDetail !== undefined ? ` error=${r.errorDetail.code}` : '') +
      (r.node !== undefined ? ' +node' : ''),
  );
}

test('the first request carries the node and a wildcard CDS subscription; an accepted response is ACKed with its version and nonce', async () => {
  const h = harness();
  const cds = recorder();
  h.mux.subscribe(CDS, cds);
  h.mux.start();
  const stream = h.transport.current;
  stream.respond(CDS, 'v1', 'n1', [{ name: 'a' }, { name: 'b' }]);
  await h.settle();
  assert.deepEqual(cds.updates, [{ names: ['a', 'b'], version: 'v1' }]);
  assert.deepEqual(summary(stream.sent), ['Cluster v= n= [] +node', 'Cluster v=v1 n=n1 []']);
  assert.deepEqual(stream.sent[0]?.node, { id: 'n1', cluster: 'c' });
  assert.equal(h.mux.versionInfo(CDS), 'v1');
});

test('without set_node_on_first_message_only every request carries the node', async () => {
  const h = harness({ setNodeOnFirstMessageOnly: false });
  h.mux.subscribe(CDS, recorder());
  h.mux.start();
  h.transport.current.respond(CDS, 'v1', 'n1', []);
  await h.settle();
  assert.ok(h.transport.current.sent.every((r) => r.node !== undefined));
});

test('a rejected response is NACKed: previous version, the new nonce, error_detail INTERNAL with the reason; the next request has no error', async () => {
  const h = harness();
  const cds = recorder((resources) =>
    resources.some((r) => r.name === 'bad')
      ? 'Error adding/updating cluster(s) bad: connect_timeout: boom'
      : undefined,
  );
  h.mux.subscribe(CDS, cds);
  h.mux.start();
  const stream = h.transport.current;
  stream.respond(CDS, 'v1', 'n1', [{ name: 'a' }]);
  stream.respond(CDS, 'v2', 'n2', [{ name: 'a' }, { name: 'bad' }]);
  await h.settle();
  assert.deepEqual(summary(stream.sent), [
    'Cluster v= n= [] +node',
    'Cluster v=v1 n=n1 []',
    'Cluster v=v1 n=n2 [] error=13',
  ]);
  assert.equal(
    stream.sent[2]?.errorDetail?.message,
    'Error adding/updating cluster(s) bad: connect_timeout: boom',
  );
  assert.deepEqual(cds.rejections, ['Error adding/updating cluster(s) bad: connect_timeout: boom']);
  assert.equal(h.mux.versionInfo(CDS), 'v1', 'the last good version stays');
  stream.respond(CDS, 'v3', 'n3', [{ name: 'a' }]);
  await h.settle();
  assert.deepEqual(summary(stream.sent.slice(3)), ['Cluster v=v3 n=n3 []']);
});

test('a response naming a resource twice or holding another type is rejected before any subscriber sees it', async () => {
  const h = harness();
  const cds = recorder();
  h.mux.subscribe(CDS, cds);
  h.mux.start();
  const stream = h.transport.current;
  stream.respond(CDS, 'v1', 'n1', [{ name: 'a' }, { name: 'a' }]);
  stream.callbacks.onResponse({
    versionInfo: 'v2',
    typeUrl: CDS,
    nonce: 'n2',
    resources: [encodeAnyJson({ '@type': LDS, name: 'l' })],
  });
  await h.settle();
  assert.deepEqual(cds.updates, []);
  assert.deepEqual(
    stream.sent.slice(1).map((r) => r.errorDetail?.message),
    [
      'duplicate cluster a found',
      'resources[0]: type.googleapis.com/envoy.config.listener.v3.Listener does not match the message-wide type URL type.googleapis.com/envoy.config.cluster.v3.Cluster in DiscoveryResponse',
    ],
  );
});

test('EDS names changed while a CDS response applies go out once, before the CDS ACK', async () => {
  const h = harness();
  const eds = recorder();
  const cds: WatchCallbacks = {
    onUpdate: (resources) => {
      const names = resources.map((r) => r.name);
      if (!h.mux.isSubscribed(EDS)) h.mux.subscribe(EDS, eds, names);
      else {
        h.mux.setResourceNames(EDS, names);
        h.mux.setResourceNames(EDS, names, true);
      }
    },
    onRejected: () => {},
    onConnectionFailure: () => {},
  };
  h.mux.subscribe(CDS, cds);
  h.mux.start();
  const stream = h.transport.current;
  stream.respond(CDS, 'v1', 'c1', [{ name: 'x' }]);
  await h.settle();
  stream.respond(EDS, 'v1', 'e1', [{ cluster_name: 'x' }]);
  stream.respond(CDS, 'v2', 'c2', [{ name: 'x' }, { name: 'y' }]);
  await h.settle();
  assert.deepEqual(summary(stream.sent), [
    'Cluster v= n= [] +node',
    'ClusterLoadAssignment v= n= [x]',
    'Cluster v=v1 n=c1 []',
    'ClusterLoadAssignment v=v1 n=e1 [x]',
    // Two name changes while paused: one request, with the last names.
    'ClusterLoadAssignment v=v1 n=e1 [x,y]',
    'Cluster v=v2 n=c2 []',
  ]);
});

test('unchanged names send nothing unless forced', async () => {
  const h = harness();
  h.mux.subscribe(EDS, recorder(), ['b', 'a']);
  h.mux.start();
  const stream = h.transport.current;
  h.mux.setResourceNames(EDS, ['a', 'b']);
  assert.equal(stream.sent.length, 1);
  h.mux.setResourceNames(EDS, ['a', 'b'], true);
  assert.deepEqual(summary(stream.sent), [
    'ClusterLoadAssignment v= n= [a,b] +node',
    'ClusterLoadAssignment v= n= [a,b]',
  ]);
});

test('a closed stream reconnects after Envoy backoff; the new stream re-requests every type with the accepted versions and no nonce', async () => {
  const h = harness({ random: scripted([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 7]) });
  const cds = recorder();
  const lds = recorder();
  h.mux.subscribe(CDS, cds);
  h.mux.subscribe(LDS, lds);
  h.mux.start();
  const first = h.transport.current;
  first.callbacks.onConnected();
  assert.equal(h.stats.root.scope('control_plane').gauge('connected_state').value, 1);
  first.respond(CDS, 'c5', 'n1', [{ name: 'a' }]);
  first.respond(LDS, 'l3', 'n2', [{ name: 'l' }]);
  await h.settle();

  first.fail();
  await h.settle();
  assert.equal(h.stats.root.scope('control_plane').gauge('connected_state').value, 0);
  assert.equal(cds.failures, 1);
  assert.equal(lds.failures, 1);
  // First delay: 0xffffffff % 500 = 295 ms.
  h.clock.advance(294);
  assert.equal(h.transport.streams.length, 1);
  h.clock.advance(1);
  assert.equal(h.transport.streams.length, 2);
  const second = h.transport.current;
  assert.deepEqual(summary(second.sent), ['Cluster v=c5 n= [] +node', 'Listener v=l3 n= []']);

  // Failing again without any message: the interval doubles (0xffffffff % 1000 = 295 too; then % 2000 = 1295).
  second.fail();
  h.clock.advance(295);
  assert.equal(h.transport.streams.length, 3);
  h.transport.current.fail();
  h.clock.advance(1294);
  assert.equal(h.transport.streams.length, 3);
  h.clock.advance(1);
  assert.equal(h.transport.streams.length, 4);

  // A message resets the backoff: the next delay is 7 % 500.
  h.transport.current.respond(CDS, 'c5', 'n9', [{ name: 'a' }]);
  await h.settle();
  h.transport.current.fail();
  h.clock.advance(7);
  assert.equal(h.transport.streams.length, 5);
  assert.deepEqual(
    cds.updates.map((u) => u.version),
    ['c5', 'c5'],
  );
});

test("a response being applied when its stream closes holds the new stream's request, which then carries the new version and no nonce", async () => {
  const h = harness();
  let release: () => void = () => {};
  const slow: WatchCallbacks = {
    onUpdate: () => new Promise<void>((resolve) => (release = resolve)),
    onRejected: () => {},
    onConnectionFailure: () => {},
  };
  h.mux.subscribe(CDS, slow);
  h.mux.start();
  const first = h.transport.current;
  first.respond(CDS, 'v1', 'n1', []);
  await Promise.resolve();
  first.fail();
  h.clock.advance(500);
  const second = h.transport.current;
  assert.notEqual(second, first);
  assert.deepEqual(second.sent, [], 'the type is paused while its response applies');
  release();
  await h.settle();
  assert.deepEqual(summary(second.sent), ['Cluster v=v1 n= [] +node']);
  assert.deepEqual(first.sent.length, 1, 'no ACK on the closed stream');
  assert.equal(h.mux.versionInfo(CDS), 'v1', 'the update itself was applied');
  // A response of the old stream arriving late is ignored.
  first.respond(CDS, 'v9', 'n9', []);
  await h.settle();
  assert.equal(h.mux.versionInfo(CDS), 'v1');
});

test('stop closes the stream and never reconnects', async () => {
  const h = harness();
  h.mux.subscribe(CDS, recorder());
  h.mux.start();
  const stream = h.transport.current;
  h.mux.stop();
  assert.equal(stream.isClosed, true);
  stream.fail();
  h.clock.advance(60_000);
  assert.equal(h.transport.streams.length, 1);
});

test('error details longer than 4096 bytes are truncated as Envoy does', () => {
  assert.equal(truncateErrorDetail('x'.repeat(4096)), 'x'.repeat(4096));
  assert.equal(truncateErrorDetail('x'.repeat(5000)), `${'x'.repeat(4096)}...(truncated)`);
});
