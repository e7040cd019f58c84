import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainLabel, entryZone, isComplete, isSameZone, parseChain } from './chain.js';

const apps = ['mocka', 'mockb', 'mockc'];
const failure =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';

test('a complete answer is three hops with nothing after them', () => {
  const c = parseChain(
    '-> mocka(version: ap-northeast-1b, ip: 10.1.225.40)-> mockb(version: ap-northeast-1b, ip: 10.1.225.31)-> mockc(version: ap-northeast-1b, ip: 10.1.225.32)',
  );
  assert.deepEqual(c.hops[1], { app: 'mockb', version: 'ap-northeast-1b', ip: '10.1.225.31' });
  assert.equal(c.tail, '');
  assert.equal(isComplete(c, apps), true);
  assert.equal(isSameZone(c), true);
  assert.equal(entryZone(c), 'ap-northeast-1b');
  assert.equal(chainLabel(c), 'mocka(ap-northeast-1b) -> mockb(ap-northeast-1b) -> mockc(ap-northeast-1b)');
});

test("the seed's failed chain keeps the proxy's text after mocka's hop", () => {
  const c = parseChain(`-> mocka(version: ap-northeast-1a, ip: 127.102.1.3)${failure}`);
  assert.equal(c.hops.length, 1);
  assert.equal(c.tail, failure);
  assert.equal(isComplete(c, apps), false);
  assert.equal(chainLabel(c), `mocka(ap-northeast-1a) -> ${failure}`);
});

test('a chain across zones is complete but not in one zone; a body without hops has no entry zone', () => {
  const c = parseChain('-> mocka(version: a, ip: 1)-> mockb(version: b, ip: 2)-> mockc(version: b, ip: 3)');
  assert.equal(isComplete(c, apps), true);
  assert.equal(isSameZone(c), false);
  const none = parseChain('no healthy upstream');
  assert.equal(entryZone(none), undefined);
  assert.equal(isSameZone(none), false);
  assert.equal(
    isComplete(
      parseChain('-> mockb(version: a, ip: 1)-> mocka(version: a, ip: 2)-> mockc(version: a, ip: 3)'),
      apps,
    ),
    false,
  );
});
