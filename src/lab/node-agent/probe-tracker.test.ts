import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeSpec } from './pod-spec.js';
import { ProbeTracker, type ProbeKind } from './probe-tracker.js';

function spec(overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return {
    handler: { type: 'tcpSocket', port: 8000, host: undefined },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    terminationGracePeriodSeconds: undefined,
    ...overrides,
  };
}

/** Feeds outcomes ('S'/'F') and returns the effective result after each. */
function feed(tracker: ProbeTracker, outcomes: string): string {
  return [...outcomes]
    .map((o) => tracker.record(o === 'S' ? 'success' : 'failure').result)
    .map((r) => (r === 'success' ? 'S' : r === 'failure' ? 'F' : '?'))
    .join('');
}

describe('probe thresholds (kubelet worker.go)', () => {
  const table: Array<{
    kind: ProbeKind;
    success: number;
    failure: number;
    outcomes: string;
    expected: string;
  }> = [
    { kind: 'readiness', success: 1, failure: 3, outcomes: 'SFFFS', expected: 'SSSFS' },
    { kind: 'readiness', success: 2, failure: 1, outcomes: 'SSFSSS', expected: 'FSFFSS' },
    { kind: 'readiness', success: 1, failure: 2, outcomes: 'FSFSFF', expected: 'FSSSSF' },
    { kind: 'liveness', success: 1, failure: 3, outcomes: 'FF', expected: 'SS' },
  ];
  for (const row of table) {
    test(`${row.kind} success=${row.success} failure=${row.failure}: ${row.outcomes} -> ${row.expected}`, () => {
      const t = new ProbeTracker(
        row.kind,
        spec({ successThreshold: row.success, failureThreshold: row.failure }),
      );
      t.onNewContainer(0);
      assert.equal(feed(t, row.outcomes), row.expected);
    });
  }

  test('starts from readiness Failure, liveness Success, startup Unknown', () => {
    assert.equal(new ProbeTracker('readiness', spec()).result(), 'failure');
    assert.equal(new ProbeTracker('liveness', spec()).result(), 'success');
    assert.equal(new ProbeTracker('startup', spec()).result(), 'unknown');
  });

  test('a liveness failure at the threshold asks for a kill and holds probing until the next container', () => {
    const t = new ProbeTracker('liveness', spec({ failureThreshold: 2 }));
    t.onNewContainer(0);
    assert.equal(t.record('failure').mustKill, false);
    const r = t.record('failure');
    assert.deepEqual(r, { result: 'failure', hasChanged: true, mustKill: true });
    assert.equal(t.shouldProbe(100_000, true), false, 'on hold');
    t.onNewContainer(200_000);
    assert.equal(t.result(), 'success');
    assert.equal(t.shouldProbe(200_000, true), true);
    assert.equal(t.record('failure').mustKill, false, 'the run restarted from zero');
  });

  test('readiness never asks for a kill', () => {
    const t = new ProbeTracker('readiness', spec({ failureThreshold: 1 }));
    t.onNewContainer(0);
    t.record('success');
    assert.deepEqual(t.record('failure'), { result: 'failure', hasChanged: true, mustKill: false });
  });
});

describe('when probes run', () => {
  test('not during initialDelaySeconds (whole seconds since the start), not before a container runs', () => {
    const t = new ProbeTracker('readiness', spec({ initialDelaySeconds: 5 }));
    assert.equal(t.shouldProbe(0, true), false, 'no container yet');
    t.onNewContainer(1000);
    assert.equal(t.shouldProbe(5999, true), false, '4.999 s truncates to 4');
    assert.equal(t.shouldProbe(6000, true), true);
    t.onContainerNotRunning();
    assert.equal(t.shouldProbe(10_000, true), false);
    assert.equal(t.result(), 'failure');
  });

  test('readiness and liveness wait for the startup probe; the startup probe stops once started', () => {
    const readiness = new ProbeTracker('readiness', spec());
    const startup = new ProbeTracker('startup', spec());
    readiness.onNewContainer(0);
    startup.onNewContainer(0);
    assert.equal(readiness.shouldProbe(0, false), false);
    assert.equal(startup.shouldProbe(0, false), true);
    assert.equal(startup.record('success').result, 'success');
    assert.equal(startup.shouldProbe(1, true), false);
    assert.equal(readiness.shouldProbe(1, true), true);
  });
});
