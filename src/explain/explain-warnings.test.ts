import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainWarnings, maxEjectableHosts } from './explain-warnings.js';
import { fakeClusterView, fakeConfig, type FakeClusterSpec } from './testing/fake-cluster-view.js';

const codes = (spec: FakeClusterSpec, config = fakeConfig()): string[] =>
  explainWarnings(fakeClusterView(spec), config).map((w) => w.code);
const message = (spec: FakeClusterSpec, code: string, config = fakeConfig()): string =>
  explainWarnings(fakeClusterView(spec), config).find((w) => w.code === code)?.message ?? `(no ${code})`;

const six = (mep: number): FakeClusterSpec => ({
  priorities: [
    { locality: 'r1/z1', hosts: ['healthy', 'healthy'] },
    { locality: 'r1/z2', hosts: ['healthy', 'healthy'] },
    { locality: 'r2/z3', hosts: ['healthy', 'healthy'] },
  ],
  outlier: { maxEjectionPercent: mep, baseEjectionTimeMs: 30_000, intervalMs: 10_000 },
});

describe('maxEjectableHosts: Envoy ejects while 100 x (ejected + 1) / total <= max_ejection_percent', () => {
  for (const [total, max, always, expected] of [
    [6, 10, false, 0],
    [9, 10, false, 0],
    [10, 10, false, 1],
    [2, 50, false, 1],
    [3, 67, false, 2],
    [3, 66, false, 1],
    [6, 100, false, 6],
    [6, 150, false, 6],
    [5, 10, true, 1],
    [0, 100, false, 0],
  ] as const) {
    test(`${total} hosts at ${max} %${always ? ' with always_eject_one_host' : ''}: ${expected}`, () => {
      assert.equal(maxEjectableHosts(total, max, always), expected);
    });
  }
});

describe('explain warnings', () => {
  test('maxEjectionPercent 10 with 6 endpoints: no endpoint can be ejected, with the arithmetic and the fix', () => {
    assert.equal(
      message(six(10), 'max-ejection-percent-blocks-ejection'),
      'maxEjectionPercent 10 with 6 endpoints: no endpoint can be ejected (Envoy ejects only while ' +
        "100 x (ejected + 1) / 6 <= 10, and 100 x 1 / 6 = 16.7) (10 is Envoy's default, which Istio keeps " +
        'when maxEjectionPercent is unset or 0); failing endpoints keep their traffic and nothing fails over. ' +
        'maxEjectionPercent >= 17 allows one ejection, 100 allows all',
    );
  });

  test('maxEjectionPercent 20 with 6 endpoints: one ejection only, so a two-endpoint priority can never be emptied', () => {
    assert.equal(
      message(six(20), 'max-ejection-percent-limits-failover'),
      'maxEjectionPercent 20 with 6 endpoints: at most 1 can be ejected at once (100 x 2 / 6 = 33.3 > 20); ' +
        'priority 0 (r1/z1) has 2, so if all of them fail, 1 stays in the pool and keeps getting traffic',
    );
    assert.ok(!codes(six(20)).includes('max-ejection-percent-blocks-ejection'));
  });

  test('maxEjectionPercent 100 (or a cap that lets every priority but the last empty) gives no cap warning', () => {
    assert.deepEqual(
      codes(six(100)).filter((c) => c.startsWith('max-ejection')),
      [],
    );
    assert.deepEqual(
      codes(six(34)).filter((c) => c.startsWith('max-ejection')),
      [],
      '34 % of 6 allows 2, the size of each priority',
    );
  });

  test('ejections refused by the cap are reported from ejections_overflow', () => {
    assert.equal(
      message({ ...six(10), counters: { ejections_overflow: 3 } }, 'ejections-blocked'),
      'ejections_overflow is 3: 3 ejections were detected but refused because of maxEjectionPercent 10 ' +
        '(0 of 6 ejected now, at most 0 allowed)',
    );
  });

  test('no outlier detection: no ejection and, over several localities, no locality failover (Istio)', () => {
    const spec: FakeClusterSpec = {
      priorities: [{ locality: 'r1/z1', hosts: ['healthy', 'healthy', 'healthy', 'healthy'] }],
      outlier: null,
    };
    const view = fakeClusterView(spec);
    const two = {
      ...view,
      priorities: view.priorities.map((p) => ({
        ...p,
        localities: [
          { ...p.localities[0]!, hosts: p.localities[0]!.hosts.slice(0, 2) },
          { ...p.localities[0]!, zone: 'z2', hosts: p.localities[0]!.hosts.slice(2) },
        ],
      })),
    };
    const flat = fakeConfig({ outlierDetectionField: undefined, assignmentMode: 'flat' });
    assert.equal(
      explainWarnings(two, flat)[0]?.message,
      'no outlier detection on this cluster: failing endpoints are never ejected, and Istio assigns locality ' +
        'priorities only when outlierDetection is set, so there is no locality failover (4 endpoints in 2 localities)',
    );
    assert.equal(
      explainWarnings(view, flat)[0]?.message,
      'no outlier detection on this cluster: failing endpoints are never ejected',
    );
  });

  test('outlier detection but every locality at priority 0 (flat assignment): no locality failover', () => {
    const view = fakeClusterView({
      priorities: [{ locality: 'r1/z1', hosts: ['healthy', 'healthy'] }],
      outlier: {},
    });
    const two = {
      ...view,
      priorities: view.priorities.map((p) => ({
        ...p,
        localities: [
          { ...p.localities[0]!, hosts: p.localities[0]!.hosts.slice(0, 1) },
          { ...p.localities[0]!, zone: 'z2', hosts: p.localities[0]!.hosts.slice(1) },
        ],
      })),
    };
    const config = fakeConfig({
      assignmentMode: 'flat',
      assignmentReason: 'locality load balancing disabled',
    });
    assert.equal(
      explainWarnings(two, config).find((w) => w.code === 'no-locality-failover')?.message,
      'all 2 localities share priority 0: locality load balancing disabled',
    );
  });

  test('a priority with no healthy endpoint says where its traffic goes', () => {
    const spec: FakeClusterSpec = {
      priorities: [
        { locality: 'ap-northeast-1/ap-northeast-1a', hosts: ['ejected'] },
        { locality: 'ap-northeast-1/ap-northeast-1b', hosts: ['healthy'] },
        { locality: 'cn-hangzhou/cn-hangzhou-h', hosts: ['healthy'] },
      ],
      outlier: {},
    };
    assert.equal(
      message(spec, 'priority-without-healthy-endpoint'),
      'priority 0 (ap-northeast-1/ap-northeast-1a) has no healthy endpoint (0 of 1): its traffic goes to the next priorities',
    );
  });

  test('nothing healthy anywhere with panic threshold 0: every request fails with no healthy upstream', () => {
    const spec: FakeClusterSpec = {
      priorities: [
        { locality: 'r1/z1', hosts: ['ejected'] },
        { locality: 'r1/z2', hosts: ['ejected'] },
      ],
      outlier: {},
    };
    assert.deepEqual(
      codes(spec).filter((c) => c !== 'long-ejection'),
      ['no-healthy-upstream'],
    );
    assert.match(message(spec, 'no-healthy-upstream'), /503 "no healthy upstream" \(UH\)$/);
  });

  test('panic in one priority (spec §2.3: evaluated only when the priorities are short together)', () => {
    const spec: FakeClusterSpec = {
      priorities: [
        { locality: 'r1/z1', hosts: ['healthy', 'ejected'] },
        { locality: 'r1/z2', hosts: ['ejected', 'ejected', 'ejected', 'ejected', 'ejected'] },
      ],
      outlier: {},
      panicThreshold: 50,
    };
    assert.equal(
      message(spec, 'panic'),
      'priority 1 (r1/z2) is in panic: 0 of 5 endpoints healthy (0 %) < healthy_panic_threshold 50 %: its share ' +
        'of traffic goes to all its endpoints, ejected ones included',
    );
    assert.ok(!codes(spec).includes('total-panic'));
  });

  test('total panic (spec §2.7 example D with threshold 50): load by endpoint count, ejected ones included', () => {
    const spec: FakeClusterSpec = {
      priorities: [
        { locality: 'r1/z1', hosts: ['ejected', 'ejected'] },
        { locality: 'r1/z2', hosts: ['healthy', 'ejected', 'ejected'] },
      ],
      outlier: {},
      panicThreshold: 50,
    };
    assert.ok(codes(spec).includes('total-panic'), codes(spec).join(', '));
    assert.ok(!codes(spec).includes('panic'));
  });

  test('partial spill: 1 of 2 healthy gives health 70, so 30 % leaves the priority (spec §2.7 example A)', () => {
    const spec: FakeClusterSpec = {
      priorities: [
        { locality: 'r1/z1', hosts: ['healthy', 'ejected'] },
        { locality: 'r1/z2', hosts: ['healthy', 'healthy'] },
      ],
      outlier: {},
    };
    assert.equal(
      message(spec, 'partial-spill'),
      'priority 0 (r1/z1) health 70 (floor(140 x 1 / 2)): 70 % of requests stay there, the rest spills to the next priorities',
    );
  });

  test('consecutive5xxErrors 0 in split mode: 5xx never eject, connection failures still do', () => {
    const spec: FakeClusterSpec = {
      priorities: [{ locality: 'r1/z1', hosts: ['healthy'] }],
      outlier: { consecutive5xx: 0, enforcingConsecutive5xx: 0 },
    };
    assert.equal(
      message(spec, 'consecutive-5xx-disabled'),
      'consecutive_5xx is off (consecutive5xxErrors: 0, enforcing 0 %): 5xx responses never eject an endpoint; ' +
        'connection failures still eject after 1 (consecutiveLocalOriginFailures)',
    );
    assert.ok(!codes(spec).includes('no-detector-enforced'));
  });

  test('no detector enforced at all: nothing is ever ejected', () => {
    const spec: FakeClusterSpec = {
      priorities: [{ locality: 'r1/z1', hosts: ['healthy'] }],
      outlier: { consecutive5xx: 0, enforcingConsecutive5xx: 0, splitExternalLocalOriginErrors: false },
    };
    assert.match(
      message(spec, 'consecutive-5xx-disabled'),
      /connection failures count as 503 here, so they do not eject either$/,
    );
    assert.ok(codes(spec).includes('no-detector-enforced'));
  });

  test('baseEjectionTime below the interval: the interval decides how long an ejection lasts', () => {
    const spec: FakeClusterSpec = {
      priorities: [{ locality: 'r1/z1', hosts: ['healthy'] }],
      outlier: { intervalMs: 30_000, baseEjectionTimeMs: 10_000 },
    };
    assert.equal(
      message(spec, 'ejection-time-below-interval'),
      'interval 30s > baseEjectionTime 10s: ejected endpoints come back only on an interval tick, so a first ' +
        'ejection lasts 10s to 40s, mostly decided by the interval',
    );
  });

  test("the seed's baseEjectionTime 5m: a repaired endpoint comes back 5m to 5m30s later (info)", () => {
    const w = explainWarnings(
      fakeClusterView({ priorities: [{ locality: 'r/z', hosts: ['healthy'] }], outlier: {} }),
      undefined,
    );
    assert.deepEqual(
      w.map((x) => [x.code, x.severity]),
      [['long-ejection', 'info']],
    );
    assert.match(
      w[0]?.message ?? '',
      /^baseEjectionTime 5m: a repaired endpoint gets traffic again only 5m to 5m30s after/,
    );
  });
});
