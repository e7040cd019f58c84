import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, type Random } from '../../core/random.js';
import type { FaultConfig, FractionalPercentConfig } from '../config/filter-config.js';
import type { HeaderMap } from '../http/stream-info.js';
import {
  FAULT_ABORT_BODY,
  FAULT_ABORT_RESPONSE_CODE_DETAILS,
  FAULT_ABORT_RESPONSE_FLAG,
  FAULT_DELAY_RESPONSE_FLAG,
  decideFault,
  downstreamClusterFaultStatNames,
  effectiveFaultConfig,
  faultStatNames,
  isFractionEnabled,
  type FaultDecisionInput,
} from './fault-decision.js';

/** Returns the given values in order and fails the test on any extra draw. */
class ScriptedRandom implements Random {
  draws = 0;
  constructor(private readonly values: readonly number[]) {}
  nextU32(): number {
    const value = this.values[this.draws++];
    if (value === undefined) throw new Error(`unexpected random draw #${this.draws}`);
    return value;
  }
}

const pct = (numerator: number, denominator = 100): FractionalPercentConfig => ({ numerator, denominator });

function fault(overrides: Partial<FaultConfig> = {}): FaultConfig {
  return {
    delay: undefined,
    abort: undefined,
    headers: [],
    upstreamCluster: undefined,
    downstreamNodes: [],
    maxActiveFaults: undefined,
    ...overrides,
  };
}

const delay100 = { fixedDelayMs: 250, percentage: pct(100) };
const abort503 = { httpStatus: 503, grpcStatus: undefined, percentage: pct(100) };

function input(
  config: FaultConfig,
  random: Random,
  more: Partial<FaultDecisionInput> = {},
): FaultDecisionInput {
  return {
    config,
    headers: new Map([[':path', '/']]),
    random,
    activeFaults: 0,
    upstreamCluster: 'backend',
    ...more,
  };
}

test('a fraction is enabled when random % denominator < numerator', () => {
  const cases: [FractionalPercentConfig, number, boolean][] = [
    [pct(30), 129, true],
    [pct(30), 130, false],
    [pct(0), 0, false],
    [pct(100), 99, true],
    [pct(1, 10000), 20000, true],
    [pct(1, 10000), 20001, false],
    [pct(250000, 1000000), 1249999, true],
    [pct(250000, 1000000), 1250000, false],
  ];
  for (const [p, value, expected] of cases) {
    assert.equal(
      isFractionEnabled(p, new ScriptedRandom([value])),
      expected,
      `${p.numerator}/${p.denominator} @ ${value}`,
    );
  }
});

test('50 % delays and aborts hit about half of 10 000 requests for every denominator', () => {
  for (const denominator of [100, 10000, 1000000]) {
    const random = new SeededRandom(denominator);
    const config = fault({
      delay: { fixedDelayMs: 10, percentage: pct(denominator / 2, denominator) },
      abort: { httpStatus: 500, grpcStatus: undefined, percentage: pct(denominator / 2, denominator) },
    });
    let delays = 0;
    let aborts = 0;
    for (let i = 0; i < 10000; i++) {
      const decision = decideFault(input(config, random));
      if (decision.delayMs !== undefined) delays++;
      if (decision.abort !== undefined) aborts++;
    }
    assert.ok(delays >= 4500 && delays <= 5500, `delays ${delays} of 10000 at /${denominator}`);
    assert.ok(aborts >= 4500 && aborts <= 5500, `aborts ${aborts} of 10000 at /${denominator}`);
  }
});

test('0 % never faults and 100 % always does', () => {
  const random = new SeededRandom(3);
  const never = fault({
    delay: { fixedDelayMs: 5, percentage: pct(0) },
    abort: { ...abort503, percentage: pct(0) },
  });
  const always = fault({ delay: { fixedDelayMs: 5, percentage: pct(100) }, abort: abort503 });
  for (let i = 0; i < 500; i++) {
    assert.deepEqual(decideFault(input(never, random)), { holdsActiveFault: false, overflowCount: 0 });
    assert.deepEqual(decideFault(input(always, random)), {
      delayMs: 5,
      abort: { httpStatus: 503 },
      holdsActiveFault: true,
      overflowCount: 0,
    });
  }
});

test('draws once for the delay, then once for the abort, only for configured faults', () => {
  const both = fault({
    delay: { fixedDelayMs: 100, percentage: pct(50) },
    abort: { ...abort503, percentage: pct(50) },
  });
  const cases: [number[], boolean, boolean][] = [
    [[49, 49], true, true],
    [[50, 49], false, true],
    [[49, 50], true, false],
    [[50, 50], false, false],
  ];
  for (const [values, isDelayed, isAborted] of cases) {
    const random = new ScriptedRandom(values);
    const decision = decideFault(input(both, random));
    assert.equal(decision.delayMs !== undefined, isDelayed, `delay ${values.join(',')}`);
    assert.equal(decision.abort !== undefined, isAborted, `abort ${values.join(',')}`);
    assert.equal(random.draws, 2);
  }
  const abortOnly = new ScriptedRandom([0]);
  assert.deepEqual(decideFault(input(fault({ abort: abort503 }), abortOnly)).abort, { httpStatus: 503 });
  assert.equal(abortOnly.draws, 1);
});

test('gates turn the whole filter off without drawing: headers, upstream cluster, downstream nodes', () => {
  const config = fault({
    delay: delay100,
    abort: abort503,
    upstreamCluster: 'backend',
    downstreamNodes: ['node-a', 'node-b'],
    headers: [
      {
        name: 'x-chaos',
        invert: false,
        treatMissingAsEmpty: false,
        match: { kind: 'present', present: true },
      },
    ],
  });
  const headers = (extra: Record<string, string>): HeaderMap =>
    new Map([[':path', '/'], ...Object.entries(extra)]);
  const allowed = { 'x-chaos': '1', 'x-envoy-downstream-service-node': 'node-a' };
  const cases: [string, Partial<FaultDecisionInput>, boolean][] = [
    ['everything matches', { headers: headers(allowed) }, true],
    ['header matcher fails', { headers: headers({ 'x-envoy-downstream-service-node': 'node-a' }) }, false],
    ['other upstream cluster', { headers: headers(allowed), upstreamCluster: 'other' }, false],
    ['no route, so no cluster', { headers: headers(allowed), upstreamCluster: undefined }, false],
    [
      'unknown downstream node',
      { headers: headers({ ...allowed, 'x-envoy-downstream-service-node': 'node-z' }) },
      false,
    ],
    ['no downstream node header', { headers: headers({ 'x-chaos': '1' }) }, false],
    ['node given by the caller', { headers: headers({ 'x-chaos': '1' }), downstreamNode: 'node-b' }, true],
  ];
  for (const [why, more, isFaulted] of cases) {
    const random = new ScriptedRandom([0, 0]);
    const decision = decideFault(input(config, random, more));
    assert.equal(decision.abort !== undefined, isFaulted, why);
    assert.equal(random.draws, isFaulted ? 2 : 0, `${why}: draws`);
  }
});

test('max_active_faults refuses new faults and counts each refused attempt as an overflow', () => {
  const both = fault({ delay: delay100, abort: abort503, maxActiveFaults: 2 });
  const cases: [string, FaultConfig, number, Record<string, unknown>][] = [
    [
      'below the limit',
      both,
      1,
      { delayMs: 250, abort: { httpStatus: 503 }, holdsActiveFault: true, overflowCount: 0 },
    ],
    ['at the limit: delay and abort both overflow', both, 2, { holdsActiveFault: false, overflowCount: 2 }],
    ['above the limit', both, 5, { holdsActiveFault: false, overflowCount: 2 }],
    [
      'abort only at the limit',
      fault({ abort: abort503, maxActiveFaults: 2 }),
      2,
      { holdsActiveFault: false, overflowCount: 1 },
    ],
    [
      'limit 0 blocks everything',
      fault({ delay: delay100, maxActiveFaults: 0 }),
      0,
      { holdsActiveFault: false, overflowCount: 1 },
    ],
    [
      'unlimited',
      fault({ abort: abort503 }),
      1e9,
      { abort: { httpStatus: 503 }, holdsActiveFault: true, overflowCount: 0 },
    ],
  ];
  for (const [why, config, activeFaults, expected] of cases) {
    assert.deepEqual(decideFault(input(config, new ScriptedRandom([0, 0]), { activeFaults })), expected, why);
  }
});

test('a faulted draw that injects nothing neither takes a slot nor overflows', () => {
  const config = fault({ delay: { fixedDelayMs: 0, percentage: pct(100) }, maxActiveFaults: 0 });
  assert.deepEqual(decideFault(input(config, new ScriptedRandom([0]))), {
    holdsActiveFault: false,
    overflowCount: 0,
  });
  const noStatus = fault({ abort: { httpStatus: undefined, grpcStatus: undefined, percentage: pct(100) } });
  const random = new ScriptedRandom([0]);
  assert.deepEqual(decideFault(input(noStatus, random)), { holdsActiveFault: false, overflowCount: 0 });
  assert.equal(random.draws, 1, 'the abort draw is still made');
});

test('a gRPC abort answers HTTP 200 with the gRPC status', () => {
  const config = fault({ abort: { httpStatus: undefined, grpcStatus: 14, percentage: pct(100) } });
  assert.deepEqual(decideFault(input(config, new ScriptedRandom([0]))).abort, {
    httpStatus: 200,
    grpcStatus: 14,
  });
});

test('reports the downstream cluster for per-cluster stats when the header is non-empty', () => {
  const config = fault({ abort: abort503 });
  const withCluster: HeaderMap = new Map([['x-envoy-downstream-service-cluster', 'frontend']]);
  assert.equal(
    decideFault(input(config, new ScriptedRandom([0]), { headers: withCluster })).downstreamCluster,
    'frontend',
  );
  const empty: HeaderMap = new Map([['x-envoy-downstream-service-cluster', '']]);
  assert.equal(
    decideFault(input(config, new ScriptedRandom([0]), { headers: empty })).downstreamCluster,
    undefined,
  );
});

test('the route override beats the virtual host override, which beats the filter config', () => {
  const listener = fault();
  const vhostFault = fault({ abort: abort503 });
  const routeFault = fault({ delay: delay100 });
  const vhost = { faultOverride: vhostFault };
  const bareVhost = { faultOverride: undefined };
  const route = { faultOverride: routeFault };
  const bareRoute = { faultOverride: undefined };
  assert.equal(effectiveFaultConfig(listener, vhost, route), routeFault);
  assert.equal(effectiveFaultConfig(listener, vhost, bareRoute), vhostFault);
  assert.equal(effectiveFaultConfig(listener, bareVhost, bareRoute), listener);
  assert.equal(effectiveFaultConfig(listener, undefined, undefined), listener);
});

test('exports Envoy constants and stat names', () => {
  assert.equal(FAULT_ABORT_BODY, 'fault filter abort');
  assert.equal(FAULT_ABORT_RESPONSE_CODE_DETAILS, 'fault_filter_abort');
  assert.equal(FAULT_DELAY_RESPONSE_FLAG, 'DI');
  assert.equal(FAULT_ABORT_RESPONSE_FLAG, 'FI');
  assert.deepEqual(faultStatNames('http.ingress_http.'), {
    delaysInjected: 'http.ingress_http.fault.delays_injected',
    abortsInjected: 'http.ingress_http.fault.aborts_injected',
    responseRateLimitInjected: 'http.ingress_http.fault.response_rl_injected',
    faultsOverflow: 'http.ingress_http.fault.faults_overflow',
    activeFaults: 'http.ingress_http.fault.active_faults',
  });
  assert.deepEqual(downstreamClusterFaultStatNames('http.ingress_http.', 'frontend'), {
    delaysInjected: 'http.ingress_http.fault.frontend.delays_injected',
    abortsInjected: 'http.ingress_http.fault.frontend.aborts_injected',
  });
});
