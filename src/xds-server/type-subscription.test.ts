import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { TypeSubscription } from './type-subscription.js';

test('SotW wildcard rules, the protocol doc example step by step', () => {
  const s = new TypeSubscription(XdsTypeUrl.cluster);
  s.replace([]);
  assert.equal(s.isWildcard, true, 'unset names: a legacy wildcard');
  s.replace(['*', 'A']);
  assert.deepEqual(s.describe(), { wildcard: true, names: ['A'] });
  s.replace(['A']);
  assert.deepEqual(s.describe(), { wildcard: false, names: ['A'] });
  const change = s.replace([]);
  assert.deepEqual(s.describe(), { wildcard: false, names: [] }, 'once named, empty means nothing');
  assert.deepEqual(change.removed, ['A']);
});

test('RDS/EDS have no wildcard: an empty list is nothing and "*" is just a name', () => {
  const s = new TypeSubscription(XdsTypeUrl.clusterLoadAssignment);
  s.replace([]);
  assert.equal(s.isWildcard, false);
  assert.equal(s.includes('anything'), false);
  s.replace(['*']);
  assert.equal(s.isWildcard, false);
  assert.equal(s.includes('*'), true);
});

test('delta wildcard rules, the protocol doc example step by step', () => {
  const s = new TypeSubscription(XdsTypeUrl.listener);
  s.update([], [], true);
  assert.equal(s.isWildcard, true, 'first request naming nothing: a legacy wildcard');
  s.update(['A'], [], false);
  assert.deepEqual(s.describe(), { wildcard: true, names: ['A'] });
  s.update([], ['*'], false);
  assert.deepEqual(s.describe(), { wildcard: false, names: ['A'] });
  const change = s.update([], ['A'], false);
  assert.deepEqual(s.describe(), { wildcard: false, names: [] });
  assert.deepEqual(change.removed, ['A']);
  s.update([], [], false);
  assert.equal(s.isWildcard, false, 'empty again later is not a wildcard');
});

test('delta: unsubscribing a name never subscribed is a harmless no-op', () => {
  const s = new TypeSubscription(XdsTypeUrl.routeConfiguration);
  const change = s.update(['r'], ['ghost'], true);
  assert.deepEqual(change.added, ['r']);
  assert.deepEqual(change.removed, []);
});

test('SotW: repeating the list changes nothing; "*" repeated after a legacy wildcard still ends the legacy meaning', () => {
  const s = new TypeSubscription(XdsTypeUrl.cluster);
  s.replace([]);
  assert.deepEqual(s.replace(['*']), { added: [], removed: [], wildcardChanged: false });
  s.replace([]);
  assert.equal(s.isWildcard, false, 'after an explicit "*", an empty list unsubscribes');
  const named = new TypeSubscription(XdsTypeUrl.clusterLoadAssignment);
  named.replace(['a', 'b']);
  assert.deepEqual(named.replace(['b', 'a']), { added: [], removed: [], wildcardChanged: false });
  assert.deepEqual(named.replace(['a', 'a']).removed, ['b']);
});

test('subscriptions sent the very same names list share one set; changing one never touches another', () => {
  const list = ['a', 'b', 'c'];
  const one = new TypeSubscription(XdsTypeUrl.clusterLoadAssignment);
  const two = new TypeSubscription(XdsTypeUrl.clusterLoadAssignment);
  one.replace(list);
  two.replace(list);
  assert.equal(one.names, two.names);
  two.update(['d'], ['a'], false);
  assert.deepEqual([...one.names], ['a', 'b', 'c']);
  assert.deepEqual([...two.names].sort(), ['b', 'c', 'd']);
  two.add('e');
  assert.ok(!one.includes('e') && two.includes('e'));
  const change = one.replace(['b']);
  assert.deepEqual(change, { added: [], removed: ['a', 'c'], wildcardChanged: false });
  assert.deepEqual([...new TypeSubscription(XdsTypeUrl.clusterLoadAssignment).names], []);
});
