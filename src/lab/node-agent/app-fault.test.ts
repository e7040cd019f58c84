import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { FaultGate, parseFaultSpec, supportedFaultKinds } from './app-fault.js';

describe('fault requests', () => {
  const cases: Array<[unknown, unknown]> = [
    [{ kind: 'refuse' }, { kind: 'refuse' }],
    [
      { kind: 'delay', delayMs: 250, durationMs: 1000, container: 'app' },
      { kind: 'delay', delayMs: 250, durationMs: 1000, container: 'app' },
    ],
    [
      { kind: 'http-5xx', status: 502 },
      { kind: 'http-5xx', status: 502 },
    ],
    ['refuse', { error: 'the body must be a JSON object such as {"kind":"refuse"}' }],
    [{ kind: 'boom' }, { error: 'kind must be one of refuse, hang, http-5xx, delay, kill, got "boom"' }],
    [
      { kind: 'refuse', extra: 1 },
      { error: 'unknown field "extra" (known: kind, container, durationMs, delayMs, status)' },
    ],
    [{ kind: 'delay', delayMs: -1 }, { error: 'delayMs must be an integer from 0 to 86400000, got -1' }],
    [{ kind: 'http-5xx', status: 404 }, { error: 'status must be a 5xx code, got 404' }],
    [{ kind: 'refuse', delayMs: 5 }, { error: 'delayMs applies to kind delay only' }],
    [{ kind: 'kill', durationMs: 5 }, { error: 'kill happens once: durationMs does not apply' }],
    [{ kind: 'hang', container: '' }, { error: 'container must be a container name' }],
  ];
  for (const [body, expected] of cases) {
    test(`${JSON.stringify(body)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseFaultSpec(body), expected);
    });
  }

  test('command containers support only what signals can do', () => {
    assert.deepEqual(supportedFaultKinds('command'), ['hang', 'kill']);
    assert.equal(supportedFaultKinds('sample-app').length, 5);
  });
});

/** A response stand-in recording what the gate wrote. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  status = 0;
  body = '';
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  end(body: string): void {
    this.body = body;
  }
}

function request(): http.IncomingMessage {
  return { resume: () => undefined } as unknown as http.IncomingMessage;
}

describe('the fault gate in front of the sample app', () => {
  test('delay answers after delayMs on the injected clock', () => {
    const clock = new FakeClock();
    const gate = new FaultGate(clock);
    gate.set({ kind: 'delay', delayMs: 500 });
    let answered = 0;
    gate.handle(request(), new FakeResponse() as unknown as http.ServerResponse, () => answered++);
    clock.advance(499);
    assert.equal(answered, 0);
    clock.advance(1);
    assert.equal(answered, 1);
  });

  test('hang holds requests until healed, drops those whose client left', () => {
    const gate = new FaultGate(new FakeClock());
    gate.set({ kind: 'hang' });
    const answered: string[] = [];
    const kept = new FakeResponse();
    const left = new FakeResponse();
    gate.handle(request(), kept as unknown as http.ServerResponse, () => answered.push('kept'));
    gate.handle(request(), left as unknown as http.ServerResponse, () => answered.push('left'));
    assert.equal(gate.heldCount(), 2);
    left.destroyed = true;
    left.emit('close');
    assert.equal(gate.heldCount(), 1);
    gate.set(undefined);
    assert.deepEqual(answered, ['kept']);
  });

  test('http-5xx answers the status itself; no fault passes through', () => {
    const gate = new FaultGate(new FakeClock());
    gate.set({ kind: 'http-5xx' });
    const res = new FakeResponse();
    let passed = false;
    gate.handle(request(), res as unknown as http.ServerResponse, () => (passed = true));
    assert.deepEqual([res.status, res.body, passed], [503, 'fault injected: http-503', false]);
    gate.set(undefined);
    gate.handle(request(), new FakeResponse() as unknown as http.ServerResponse, () => (passed = true));
    assert.equal(passed, true);
  });
});
