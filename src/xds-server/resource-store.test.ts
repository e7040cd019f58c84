import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sealResourceMap, XdsTypeUrl, type XdsResourceJson } from '../envoy/xds-resource.js';
import { assignment, cluster, resourceSet } from '../../test/support/xds-resources.js';
import { ResourceStore } from './resource-store.js';

test('a resource every proxy receives is stored and encoded once, and freed when no set holds it', () => {
  const store = new ResourceStore();
  for (let i = 0; i < 1000; i++)
    store.set(`p${i}`, resourceSet(cluster('shared'), assignment(`own-${i}`, i)), 0);
  // 1 shared cluster + 1000 per-proxy assignments.
  assert.equal(store.distinctContents, 1001);
  const a = store.find('p0')?.get(XdsTypeUrl.cluster, 'shared');
  const b = store.find('p999')?.get(XdsTypeUrl.cluster, 'shared');
  assert.ok(a !== undefined && a === b, 'the same encoded entry is shared');
  assert.equal(a.refs, 1000);
  for (let i = 0; i < 1000; i++) store.delete(`p${i}`);
  assert.equal(store.distinctContents, 0);
});

test('set returns exactly the names that were added, changed or removed, per type', () => {
  const store = new ResourceStore();
  store.set('p', resourceSet(cluster('a'), cluster('b'), assignment('a', 1)), 0);
  const changes = store.set('p', resourceSet(cluster('a'), cluster('c'), assignment('a', 2)), 5);
  assert.deepEqual([...(changes.get(XdsTypeUrl.cluster) ?? [])].sort(), ['b', 'c']);
  assert.deepEqual([...(changes.get(XdsTypeUrl.clusterLoadAssignment) ?? [])], ['a']);
  assert.equal(store.find('p')?.changedAtMs, 5);
  // A type left out of the set is emptied.
  const dropped = store.set('p', resourceSet(cluster('a'), cluster('c')), 6);
  assert.deepEqual([...(dropped.get(XdsTypeUrl.clusterLoadAssignment) ?? [])], ['a']);
  assert.equal(store.find('p')?.resources(XdsTypeUrl.clusterLoadAssignment), undefined);
});

test('equal content in new objects changes nothing; the type digest follows content, not order', () => {
  const store = new ResourceStore();
  store.set('p', resourceSet(cluster('a'), cluster('b')), 0);
  const version = store.find('p')?.resources(XdsTypeUrl.cluster)?.digest.version();
  assert.equal(store.set('p', resourceSet(cluster('b'), cluster('a')), 1).size, 0);
  assert.equal(store.find('p')?.resources(XdsTypeUrl.cluster)?.digest.version(), version);
  store.set('q', resourceSet(cluster('b'), cluster('a')), 0);
  assert.equal(store.find('q')?.resources(XdsTypeUrl.cluster)?.digest.version(), version);
});

test('an inconsistent set is refused whole with SPILLWAY_ERR_XDS_RESOURCE_INVALID and the previous set stays', () => {
  const store = new ResourceStore();
  store.set('p', resourceSet(cluster('a')), 0);
  const cases: [string, XdsResourceJson, RegExp][] = [
    ['b', { ...cluster('b'), bogus: 1 }, /cannot be encoded: .*no field "bogus"/],
    ['c', cluster('other-name'), /filed as "c" is named "other-name"/],
    ['d', { ...assignment('d', 1) }, /has "@type"/],
  ];
  for (const [name, json, message] of cases) {
    const set = new Map([
      [
        XdsTypeUrl.cluster,
        new Map([
          ['a', cluster('a')],
          [name, json],
        ]),
      ],
    ]);
    assert.throws(
      () => store.set('p', set, 1),
      (err: Error & { code?: string }) =>
        err.code === 'SPILLWAY_ERR_XDS_RESOURCE_INVALID' &&
        /proxy p/.test(err.message) &&
        message.test(err.message),
    );
  }
  assert.deepEqual([...(store.find('p')?.resources(XdsTypeUrl.cluster)?.byName.keys() ?? [])], ['a']);
});

test('the same object handed in again is recognised by identity, without serializing it again', () => {
  const store = new ResourceStore();
  const shared = cluster('a') as Record<string, unknown>;
  store.set('p', resourceSet(shared as XdsResourceJson), 0);
  const first = store.find('p')?.get(XdsTypeUrl.cluster, 'a');
  // Resources are immutable once handed over; a (forbidden) mutation shows the identity shortcut.
  shared['lb_policy'] = 'RING_HASH';
  store.set('q', resourceSet(shared as XdsResourceJson), 0);
  assert.equal(store.find('q')?.get(XdsTypeUrl.cluster, 'a'), first);
  store.set('r', resourceSet(cluster('a')), 0);
  assert.equal(
    store.find('r')?.get(XdsTypeUrl.cluster, 'a'),
    first,
    'equal content in a new object: same entry',
  );
});

test('sealed maps: the same map again changes nothing, a move between maps reports only what differs', () => {
  const store = new ResourceStore();
  const a1 = cluster('a');
  const b1 = cluster('b');
  const first = sealResourceMap(
    new Map([
      ['a', a1],
      ['b', b1],
    ]),
  );
  const second = sealResourceMap(
    new Map([
      ['a', a1],
      ['b', { ...cluster('b'), lb_policy: 'RING_HASH' } as XdsResourceJson],
      ['c', cluster('c')],
    ]),
  );
  const third = sealResourceMap(new Map([['c', cluster('c')]]));
  const ofType = (m: ReadonlyMap<string, XdsResourceJson>) => new Map([[XdsTypeUrl.cluster, m]]);
  for (const proxy of ['p', 'q']) {
    assert.deepEqual([...(store.set(proxy, ofType(first), 0).get(XdsTypeUrl.cluster) ?? [])].sort(), [
      'a',
      'b',
    ]);
    assert.equal(store.set(proxy, ofType(first), 1).size, 0);
    assert.deepEqual([...(store.set(proxy, ofType(second), 2).get(XdsTypeUrl.cluster) ?? [])].sort(), [
      'b',
      'c',
    ]);
    assert.deepEqual([...(store.set(proxy, ofType(third), 3).get(XdsTypeUrl.cluster) ?? [])].sort(), [
      'a',
      'b',
    ]);
  }
  // What each proxy holds is exactly the last map, whatever path got it there.
  const fresh = new ResourceStore();
  fresh.set('r', resourceSet(cluster('c')), 0);
  for (const proxy of ['p', 'q']) {
    const type = store.find(proxy)?.resources(XdsTypeUrl.cluster);
    assert.deepEqual([...(type?.byName.keys() ?? [])], ['c']);
    assert.equal(type?.digest.version(), fresh.find('r')?.resources(XdsTypeUrl.cluster)?.digest.version());
  }
  assert.equal(store.distinctContents, 1);
  // An unsealed map after sealed ones is compared name by name.
  assert.deepEqual(
    [...(store.set('p', resourceSet(cluster('a'), cluster('c')), 4).get(XdsTypeUrl.cluster) ?? [])],
    ['a'],
  );
  assert.equal(store.distinctContents, 2);
});

test('a move to a sealed map with an invalid resource is refused whole and the previous set stays', () => {
  const store = new ResourceStore();
  const good = sealResourceMap(new Map([['a', cluster('a')]]));
  const bad = sealResourceMap(
    new Map([
      ['a', cluster('a')],
      ['b', { ...cluster('b'), bogus: 1 } as XdsResourceJson],
    ]),
  );
  store.set('p', new Map([[XdsTypeUrl.cluster, good]]), 0);
  assert.throws(() => store.set('p', new Map([[XdsTypeUrl.cluster, bad]]), 1), /cannot be encoded/);
  assert.deepEqual([...(store.find('p')?.resources(XdsTypeUrl.cluster)?.byName.keys() ?? [])], ['a']);
  assert.equal(store.set('p', new Map([[XdsTypeUrl.cluster, good]]), 2).size, 0);
});

test('proxies given the same sealed map share one resolved copy, released when the last one leaves', () => {
  const store = new ResourceStore();
  const shared = sealResourceMap(
    new Map([
      ['a', cluster('a')],
      ['b', cluster('b')],
    ]),
  );
  for (let i = 0; i < 100; i++) store.set(`p${i}`, new Map([[XdsTypeUrl.cluster, shared]]), 0);
  const first = store.find('p0')?.resources(XdsTypeUrl.cluster);
  assert.equal(store.find('p99')?.resources(XdsTypeUrl.cluster), first, 'one TypeResources for all');
  assert.equal(first?.byName.get('a')?.refs, 1);
  assert.equal(store.distinctContents, 2);
  for (let i = 0; i < 99; i++) store.delete(`p${i}`);
  assert.equal(store.distinctContents, 2);
  store.delete('p99');
  assert.equal(store.distinctContents, 0);
  // The map is resolved again (from the object cache) for a newcomer.
  store.set('late', new Map([[XdsTypeUrl.cluster, shared]]), 0);
  assert.equal(store.distinctContents, 2);
});

test('one sealed map filed under two types is resolved, and refused, per type', () => {
  const store = new ResourceStore();
  const map = sealResourceMap(new Map([['a', cluster('a')]]));
  store.set('p', new Map([[XdsTypeUrl.cluster, map]]), 0);
  // The same map as listeners: its cluster has the wrong @type there, whatever was resolved before.
  assert.throws(() => store.set('q', new Map([[XdsTypeUrl.listener, map]]), 0), /has "@type"/);
});
