/**
 * The acceptance scenario for the data plane, end to end on loopback: a bootstrap with three
 * priorities of two endpoints each (consecutive_5xx 1, max_ejection_percent 100, panic threshold 0).
 * Time is a FakeClock and randomness seeded, so the split and the return after base_ejection_time are
 * exact; the sockets and HTTP traffic are real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/core/clock.js';
import { SeededRandom } from '../../src/core/random.js';
import { httpGet } from '../support/http-client.js';
import {
  makeBootstrap,
  readAccessLog,
  startProxy,
  tempDir,
  type RunningProxy,
} from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';

const outlier = { consecutive_5xx: 1, max_ejection_percent: 100, interval: '10s', base_ejection_time: '30s' };

async function startBackends(prefix: string, names: string[]): Promise<TestBackend[]> {
  return await Promise.all(names.map((name, i) => startBackend(name, `${prefix}.${i + 1}`)));
}

async function countBackends(url: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await httpGet(`${url}/`);
    const key = res.status === 200 ? res.body : `status ${res.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function ejectionsActive(proxy: RunningProxy): Promise<number> {
  const text = (await httpGet(`${proxy.adminUrl}/stats?filter=outlier_detection.ejections_active`)).body;
  const m = /ejections_active: (\d+)/.exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('locality failover on outlier detection (three priorities of two endpoints)', () => {
  let backends: TestBackend[];
  let proxy: RunningProxy;
  const clock = new FakeClock(0);

  before(async () => {
    backends = await startBackends('127.77.1', ['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
    const [a1, a2, b1, b2, c1, c2] = backends as [
      TestBackend,
      TestBackend,
      TestBackend,
      TestBackend,
      TestBackend,
      TestBackend,
    ];
    proxy = await startProxy(
      makeBootstrap({
        cluster: {
          priorities: [
            [a1, a2],
            [b1, b2],
            [c1, c2],
          ],
          outlierDetection: outlier,
          healthyPanicThreshold: 0,
        },
      }),
      { clock, random: new SeededRandom(1) },
    );
  });

  after(async () => {
    await proxy.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  test('healthy: all traffic stays in priority 0', async () => {
    const counts = await countBackends(proxy.url, 50);
    assert.deepEqual([...counts.keys()].sort(), ['a1', 'a2']);
  });

  test('a priority-0 endpoint answering 503 is ejected on its first 503, then traffic splits ~70/30 (spec 2.7 A)', async () => {
    const a1 = backends[0] as TestBackend;
    a1.setBehaviour({ kind: 'status', status: 503 });
    const before = a1.hits;
    const counts = await countBackends(proxy.url, 4);
    assert.equal(a1.hits - before, 1, 'a1 receives exactly one request: its first 503 ejects it');
    assert.equal(counts.get('status 503'), 1);
    assert.equal(await ejectionsActive(proxy), 1);

    const split = await countBackends(proxy.url, 1000);
    const p0 = split.get('a2') ?? 0;
    const p1 = (split.get('b1') ?? 0) + (split.get('b2') ?? 0);
    assert.equal(split.get('a1'), undefined);
    assert.equal(p0 + p1, 1000, `only priorities 0 and 1 serve: ${JSON.stringify([...split])}`);
    assert.ok(p0 >= 650 && p0 <= 750, `priority 0 share ${p0}/1000 should be about 700`);
  });

  test('/clusters marks the ejected endpoint failed_outlier_check', async () => {
    const text = (await httpGet(`${proxy.adminUrl}/clusters`)).body;
    const a1 = backends[0] as TestBackend;
    assert.match(text, new RegExp(`backend::${a1.address}:${a1.port}::health_flags::/failed_outlier_check`));
    const a2 = backends[1] as TestBackend;
    assert.match(text, new RegExp(`backend::${a2.address}:${a2.port}::health_flags::healthy`));
  });

  test('the ejected endpoint stays out until base_ejection_time, returns within one more interval, and traffic goes back to priority 0', async () => {
    const a1 = backends[0] as TestBackend;
    a1.setBehaviour({ kind: 'ok' });
    // Ejected at t=0 on the fake clock; the sweep runs every 10 s. Just before 30 s it is still out.
    clock.advanceTo(29_999);
    assert.equal(await ejectionsActive(proxy), 1);
    // Un-ejection happens on the first sweep at or after 30 s (here exactly at 30 s), never later than
    // base_ejection_time + interval.
    clock.advanceTo(40_000);
    assert.equal(await ejectionsActive(proxy), 0);
    const counts = await countBackends(proxy.url, 100);
    assert.deepEqual([...counts.keys()].sort(), ['a1', 'a2']);
  });
});

describe('whole-priority and whole-cluster failure', () => {
  let live: TestBackend[];
  let dir: { path: string; cleanup(): Promise<void> };

  before(async () => {
    live = await startBackends('127.77.2', ['b1', 'b2']);
    dir = await tempDir();
  });

  after(async () => {
    await Promise.all(live.map((b) => b.close()));
    await dir.cleanup();
  });

  test('both priority-0 endpoints refusing connections send everything to priority 1', async () => {
    // Nothing listens on 127.77.3.x: connections are refused.
    const refused = [
      { address: '127.77.3.1', port: 8080 },
      { address: '127.77.3.2', port: 8080 },
    ];
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [refused, live], outlierDetection: outlier, healthyPanicThreshold: 0 },
      }),
      { random: new SeededRandom(2) },
    );
    try {
      // Without retries each refused endpoint costs one failed request (it is then ejected).
      const first = await countBackends(proxy.url, 2);
      assert.equal(first.get('status 503'), 2);
      const counts = await countBackends(proxy.url, 100);
      assert.deepEqual([...counts.keys()].sort(), ['b1', 'b2']);
    } finally {
      await proxy.close();
    }
  });

  test('every endpoint ejected: 503 "no healthy upstream" with flag UH', async () => {
    const refused = [1, 2, 3, 4, 5, 6].map((i) => ({ address: `127.77.4.${i}`, port: 8080 }));
    const accessLogPath = `${dir.path}/all-ejected.log`;
    const proxy = await startProxy(
      makeBootstrap({
        cluster: {
          priorities: [refused.slice(0, 2), refused.slice(2, 4), refused.slice(4, 6)],
          outlierDetection: outlier,
          healthyPanicThreshold: 0,
        },
        accessLogPath,
      }),
      { random: new SeededRandom(3) },
    );
    try {
      for (let i = 0; i < 6; i++) assert.equal((await httpGet(`${proxy.url}/`)).status, 503);
      const res = await httpGet(`${proxy.url}/after`);
      assert.equal(res.status, 503);
      assert.equal(res.body, 'no healthy upstream');
      const log = await readAccessLog(accessLogPath, 7);
      const last = log.find((e) => e.path === '/after');
      assert.equal(last?.flags, 'UH');
      assert.equal(last?.details, 'no_healthy_upstream');
      assert.ok(log.filter((e) => e.path === '/').every((e) => e.flags === 'UF'));
    } finally {
      await proxy.close();
    }
  });
});
