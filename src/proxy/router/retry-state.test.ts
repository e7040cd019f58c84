import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../core/random.js';
import { makeLocality } from '../../core/locality.js';
import type { RetryPolicyConfig } from '../config/route-config.js';
import { Host } from '../upstream/host.js';
import { upstreamResetReply, type StreamResetReason } from './reset-reason.js';
import { JitteredExponentialBackOff } from './retry-back-off.js';
import {
  createRetryState,
  retryDecisionFlag,
  type RetryCircuitBreaker,
  type RetryDecision,
  type RetryState,
} from './retry-state.js';

class FakeBreaker implements RetryCircuitBreaker {
  active = 0;
  constructor(private readonly maxRetries = Number.POSITIVE_INFINITY) {}
  canRetry(): boolean {
    return this.active < this.maxRetries;
  }
  onRetryStarted(): void {
    this.active++;
  }
  onRetryFinished(): void {
    this.active--;
  }
}

function policy(retryOn: string[], overrides: Partial<RetryPolicyConfig> = {}): RetryPolicyConfig {
  return {
    retryOn: new Set(retryOn),
    numRetries: 1,
    perTryTimeoutMs: 0,
    perTryIdleTimeoutMs: 0,
    retriableStatusCodes: [],
    hostPredicates: [],
    hostSelectionRetryMaxAttempts: 0,
    retryPriority: undefined,
    backOff: { baseIntervalMs: 25, maxIntervalMs: 250 },
    retriableHeaders: [],
    ...overrides,
  };
}

/** Istio's default outbound HTTP retry policy (spec 0.6). */
const istioDefault = policy(
  ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
  {
    numRetries: 2,
    hostPredicates: ['previous_hosts'],
    hostSelectionRetryMaxAttempts: 5,
  },
);

function stateFor(
  p: RetryPolicyConfig | undefined,
  headers: Record<string, string> = {},
  breaker: RetryCircuitBreaker = new FakeBreaker(),
): RetryState {
  const state = createRetryState({
    policy: p,
    requestHeaders: new Map(Object.entries(headers)),
    random: new SeededRandom(1),
    circuitBreaker: breaker,
  });
  assert.ok(state !== undefined, 'expected a retry state');
  return state;
}

const kinds = (decisions: RetryDecision[]): string[] => decisions.map((d) => d.kind);
const host = (address: string): Host =>
  new Host({ clusterName: 'c', address, port: 80, locality: makeLocality() });

test('response headers: which retry_on token retries which status / header / grpc-status', () => {
  const table: Array<[string[], number, Record<string, string>, boolean]> = [
    [['5xx'], 500, {}, true],
    [['5xx'], 503, {}, true],
    [['5xx'], 599, {}, true],
    [['5xx'], 499, {}, false],
    [['5xx'], 409, {}, false],
    [['5xx'], 503, { 'x-envoy-overloaded': 'true' }, true],
    [['5xx'], 503, { 'x-envoy-ratelimited': 'true' }, false],
    [['envoy-ratelimited'], 429, { 'x-envoy-ratelimited': 'true' }, true],
    [['envoy-ratelimited'], 429, {}, false],
    [['gateway-error'], 502, {}, true],
    [['gateway-error'], 503, {}, true],
    [['gateway-error'], 504, {}, true],
    [['gateway-error'], 500, {}, false],
    [['gateway-error'], 501, {}, false],
    [['retriable-4xx'], 409, {}, true],
    [['retriable-4xx'], 408, {}, false],
    [['retriable-4xx'], 500, {}, false],
    [['connect-failure'], 503, {}, false],
    [['reset'], 503, {}, false],
    [['reset-before-request'], 503, {}, false],
    [['refused-stream'], 503, {}, false],
    [['unavailable'], 200, { 'grpc-status': '14' }, true],
    [['unavailable'], 200, { 'grpc-status': '13' }, false],
    [['unavailable'], 200, { 'grpc-status': 'abc' }, false],
    [['unavailable'], 503, {}, false],
    [['cancelled'], 200, { 'grpc-status': '1' }, true],
    [['deadline-exceeded'], 200, { 'grpc-status': '4' }, true],
    [['resource-exhausted'], 200, { 'grpc-status': '8' }, true],
    [['internal'], 200, { 'grpc-status': '13' }, true],
    [['internal'], 500, {}, false],
    // Istio's default does not retry an application 503 any more (retriable_status_codes is empty).
    [[...istioDefault.retryOn], 503, {}, false],
    [[...istioDefault.retryOn], 200, { 'grpc-status': '14' }, true],
  ];
  for (const [retryOn, status, headers, expected] of table) {
    const state = stateFor(policy(retryOn));
    const decision = state.shouldRetryHeaders(status, new Map(Object.entries(headers)));
    assert.equal(
      decision.kind,
      expected ? 'retry' : 'no',
      `${retryOn.join(',')} ${status} ${JSON.stringify(headers)}`,
    );
  }
});

test('retriable-status-codes retries only the listed codes; retriable-headers only matching responses', () => {
  const codes = policy(['retriable-status-codes'], { retriableStatusCodes: [503, 418] });
  assert.equal(stateFor(codes).wouldRetryFromHeaders(418, new Map()), true);
  assert.equal(stateFor(codes).wouldRetryFromHeaders(503, new Map()), true);
  assert.equal(stateFor(codes).wouldRetryFromHeaders(500, new Map()), false);
  const listedButOff = policy(['5xx'], { retriableStatusCodes: [418] });
  assert.equal(stateFor(listedButOff).wouldRetryFromHeaders(418, new Map()), false);

  const headerPolicy = policy(['retriable-headers'], {
    retriableHeaders: [
      {
        name: 'x-upstream-retry',
        invert: false,
        treatMissingAsEmpty: false,
        match: { kind: 'string', matcher: { kind: 'exact', value: 'yes', ignoreCase: false } },
      },
    ],
  });
  assert.equal(
    stateFor(headerPolicy).wouldRetryFromHeaders(200, new Map([['x-upstream-retry', 'yes']])),
    true,
  );
  assert.equal(
    stateFor(headerPolicy).wouldRetryFromHeaders(200, new Map([['x-upstream-retry', 'no']])),
    false,
  );
  assert.equal(stateFor(headerPolicy).wouldRetryFromHeaders(500, new Map()), false);
});

test('a 425 listed in retriable_status_codes is retried at once, unless the request came as early data', () => {
  const p = policy(['retriable-status-codes'], { retriableStatusCodes: [425] });
  const decision = stateFor(p).shouldRetryHeaders(425, new Map());
  assert.deepEqual(decision, { kind: 'retry', backOffMs: 0, stats: ['upstream_rq_retry'] });
  assert.equal(stateFor(p, { 'early-data': '1' }).shouldRetryHeaders(425, new Map()).kind, 'no');
});

test('resets: which retry_on token retries which reset reason', () => {
  const table: Array<[string[], StreamResetReason, boolean, boolean]> = [
    [['5xx'], 'RemoteConnectionFailure', false, true],
    [['5xx'], 'ConnectionTermination', true, true],
    [['5xx'], 'RemoteReset', true, true],
    [['5xx'], 'LocalReset', true, true],
    [['5xx'], 'ProtocolError', true, true],
    [['5xx'], 'Overflow', false, false],
    [['gateway-error'], 'ConnectionTimeout', false, true],
    [['gateway-error'], 'RemoteRefusedStreamReset', true, true],
    [['gateway-error'], 'Overflow', false, false],
    [['connect-failure'], 'RemoteConnectionFailure', false, true],
    [['connect-failure'], 'LocalConnectionFailure', false, true],
    [['connect-failure'], 'ConnectionTimeout', false, true],
    [['connect-failure'], 'ConnectionTermination', true, false],
    [['connect-failure'], 'RemoteRefusedStreamReset', true, false],
    [['refused-stream'], 'RemoteRefusedStreamReset', true, true],
    [['refused-stream'], 'LocalRefusedStreamReset', true, false],
    [['refused-stream'], 'RemoteReset', true, false],
    [['reset'], 'ConnectionTermination', true, true],
    [['reset'], 'RemoteConnectionFailure', false, true],
    [['reset'], 'Overflow', false, false],
    [['reset-before-request'], 'RemoteConnectionFailure', false, true],
    [['reset-before-request'], 'ConnectionTermination', false, true],
    [['reset-before-request'], 'ConnectionTermination', true, false],
    [['retriable-status-codes'], 'RemoteConnectionFailure', false, false],
    [['retriable-4xx'], 'ConnectionTermination', true, false],
    [['unavailable'], 'RemoteReset', true, false],
    [[...istioDefault.retryOn], 'RemoteConnectionFailure', false, true],
    [[...istioDefault.retryOn], 'RemoteRefusedStreamReset', true, true],
    [[...istioDefault.retryOn], 'ConnectionTermination', true, false],
    [[...istioDefault.retryOn], 'RemoteReset', true, false],
  ];
  for (const [retryOn, reason, started, expected] of table) {
    const decision = stateFor(policy(retryOn)).shouldRetryReset(reason, started);
    assert.equal(
      decision.kind,
      expected ? 'retry' : 'no',
      `${retryOn.join(',')} ${reason} started=${started}`,
    );
  }
});

test('a per-try timeout is retried as a local reset: 5xx, gateway-error and reset only', () => {
  const table: Array<[string[], boolean, boolean]> = [
    [['5xx'], true, true],
    [['gateway-error'], true, true],
    [['reset'], true, true],
    [['connect-failure'], true, false],
    [['refused-stream'], true, false],
    [['retriable-status-codes'], true, false],
    [['reset-before-request'], true, false],
    [['reset-before-request'], false, true],
  ];
  for (const [retryOn, started, expected] of table) {
    const decision = stateFor(policy(retryOn)).shouldRetryPerTryTimeout(started);
    assert.equal(decision.kind, expected ? 'retry' : 'no', `${retryOn.join(',')} started=${started}`);
  }
});

test('once an attempt has sent request bytes, reset-before-request stays off for later attempts', () => {
  const state = stateFor(policy(['connect-failure', 'reset-before-request'], { numRetries: 3 }));
  assert.equal(state.shouldRetryReset('LocalReset', true).kind, 'no');
  assert.equal(state.shouldRetryReset('RemoteConnectionFailure', false).kind, 'retry');
  assert.equal(state.shouldRetryReset('RemoteReset', false).kind, 'no');
});

test('num_retries is exhausted into limitExceeded (URX) and counted once', () => {
  const breaker = new FakeBreaker();
  const state = stateFor(istioDefault, {}, breaker);
  const decisions = [1, 2, 3].map(() => state.shouldRetryReset('RemoteConnectionFailure', false));
  assert.deepEqual(kinds(decisions), ['retry', 'retry', 'limitExceeded']);
  assert.deepEqual(decisions[2]?.stats, ['upstream_rq_retry_limit_exceeded']);
  assert.equal(retryDecisionFlag(decisions[2] as RetryDecision), 'URX');
  assert.equal(state.retriesUsed, 2);
  assert.equal(breaker.active, 0);
});

test('the Istio default against a dead pod: three refused attempts end in UF,URX and a "retried" body', () => {
  const state = stateFor(istioDefault);
  const reasons: string[] = [];
  for (;;) {
    const decision = state.shouldRetryReset('RemoteConnectionFailure', false);
    if (decision.kind !== 'retry') {
      reasons.push(retryDecisionFlag(decision) ?? '-');
      break;
    }
    state.beginRetry();
  }
  assert.equal(state.attemptCount, 3);
  const reply = upstreamResetReply(
    'RemoteConnectionFailure',
    'delayed connect error: Connection refused',
    state.isRetry,
  );
  assert.deepEqual(reasons, ['URX']);
  assert.equal(reply.flag, 'UF');
  assert.ok(
    reply.body.startsWith(
      'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure',
    ),
  );
});

test('a granted retry holds a circuit-breaker slot until the next decision, which counts success', () => {
  const breaker = new FakeBreaker();
  const state = stateFor(policy(['5xx'], { numRetries: 3 }), {}, breaker);
  const first = state.shouldRetryHeaders(503, new Map());
  assert.equal(first.kind, 'retry');
  assert.deepEqual(first.stats, ['upstream_rq_retry', 'upstream_rq_retry_backoff_exponential']);
  assert.equal(breaker.active, 1);
  // A second retriable failure: the slot is released and taken again, no success counted.
  const second = state.shouldRetryReset('RemoteReset', true);
  assert.deepEqual(second.stats, ['upstream_rq_retry', 'upstream_rq_retry_backoff_exponential']);
  assert.equal(breaker.active, 1);
  const last = state.shouldRetryHeaders(200, new Map());
  assert.deepEqual(last, { kind: 'no', stats: ['upstream_rq_retry_success'] });
  assert.equal(breaker.active, 0);
});

test('a request that never retried counts no retry success', () => {
  const state = stateFor(policy(['5xx']));
  assert.deepEqual(state.shouldRetryHeaders(200, new Map()), { kind: 'no', stats: [] });
});

test('dispose() releases the slot of a granted retry without counting success', () => {
  const breaker = new FakeBreaker();
  const state = stateFor(policy(['5xx']), {}, breaker);
  state.shouldRetryHeaders(500, new Map());
  assert.equal(breaker.active, 1);
  state.dispose();
  state.dispose();
  assert.equal(breaker.active, 0);
});

test('the retry circuit breaker refuses with overflow (UO), and the refused retry is still spent', () => {
  const state = stateFor(policy(['5xx'], { numRetries: 1 }), {}, new FakeBreaker(0));
  const first = state.shouldRetryHeaders(503, new Map());
  assert.deepEqual(first, { kind: 'overflow', stats: ['upstream_rq_retry_overflow'] });
  assert.equal(retryDecisionFlag(first), 'UO');
  assert.equal(state.shouldRetryHeaders(503, new Map()).kind, 'limitExceeded');
  assert.equal(state.retriesUsed, 0);
});

test('back-off delays come from the jittered exponential strategy with the policy back-off', () => {
  const state = stateFor(
    policy(['5xx'], { numRetries: 4, backOff: { baseIntervalMs: 10, maxIntervalMs: 30 } }),
  );
  const reference = new JitteredExponentialBackOff(
    { baseIntervalMs: 10, maxIntervalMs: 30 },
    new SeededRandom(1),
  );
  const delays = [1, 2, 3, 4].map(() => {
    const decision = state.shouldRetryHeaders(503, new Map());
    assert.equal(decision.kind, 'retry');
    return decision.kind === 'retry' ? decision.backOffMs : -1;
  });
  assert.deepEqual(
    delays,
    [1, 2, 3, 4].map(() => reference.nextBackOffMs()),
  );
  delays.forEach((ms, i) => assert.ok(ms >= 0 && ms < ([10, 20, 30, 30][i] as number)));
});

test('without a policy or retry headers there is no retry state, and the retry headers are consumed', () => {
  const headers = new Map([
    ['x-envoy-max-retries', '3'],
    ['x-envoy-retriable-status-codes', '503'],
    ['x-envoy-upstream-rq-per-try-timeout-ms', '100'],
    ['x-other', 'kept'],
  ]);
  const state = createRetryState({
    policy: policy([]),
    requestHeaders: headers,
    random: new SeededRandom(1),
    circuitBreaker: new FakeBreaker(),
  });
  assert.equal(state, undefined);
  assert.deepEqual([...headers.keys()], ['x-other']);
});

test('all retry request headers are removed when a state is created', () => {
  const headers = new Map([
    ['x-envoy-retry-on', '5xx'],
    ['x-envoy-retry-grpc-on', 'unavailable'],
    ['x-envoy-max-retries', '2'],
    ['x-envoy-hedge-on-per-try-timeout', 'true'],
    ['x-envoy-retriable-header-names', 'x-a'],
    ['x-envoy-retriable-status-codes', '418'],
    ['x-envoy-upstream-rq-per-try-timeout-ms', '10'],
    [':path', '/'],
  ]);
  const state = createRetryState({
    policy: undefined,
    requestHeaders: headers,
    random: new SeededRandom(1),
    circuitBreaker: new FakeBreaker(),
  });
  assert.ok(state?.isEnabled);
  assert.deepEqual([...headers.keys()], [':path']);
});

test('x-envoy-retry-on alone enables retries with Envoy default policy: one retry', () => {
  const state = stateFor(undefined, { 'x-envoy-retry-on': '5xx' });
  assert.deepEqual(
    kinds([state.shouldRetryHeaders(503, new Map()), state.shouldRetryHeaders(503, new Map())]),
    ['retry', 'limitExceeded'],
  );
  assert.equal(state.hostSelectionMaxAttempts(), 1);
});

test('request headers merge with the policy: HTTP tokens from x-envoy-retry-on, gRPC ones from x-envoy-retry-grpc-on', () => {
  const merged = stateFor(policy(['connect-failure']), { 'x-envoy-retry-on': ' 5xx , bogus' });
  assert.equal(merged.wouldRetryFromHeaders(503, new Map()), true);
  assert.equal(merged.wouldRetryFromReset('RemoteConnectionFailure', false), true);
  const wrongHeader = stateFor(undefined, { 'x-envoy-retry-on': 'unavailable' });
  assert.equal(wrongHeader.isEnabled, false);
  assert.equal(wrongHeader.wouldRetryFromHeaders(200, new Map([['grpc-status', '14']])), false);
  const grpc = stateFor(undefined, { 'x-envoy-retry-grpc-on': 'unavailable,resource-exhausted' });
  assert.equal(grpc.wouldRetryFromHeaders(200, new Map([['grpc-status', '8']])), true);
  assert.equal(grpc.wouldRetryFromHeaders(503, new Map()), false);
});

test('x-envoy-max-retries replaces num_retries only when a condition is enabled and it parses', () => {
  const table: Array<[RetryPolicyConfig | undefined, Record<string, string>, string[]]> = [
    [policy(['5xx']), { 'x-envoy-max-retries': '3' }, ['retry', 'retry', 'retry', 'limitExceeded']],
    [policy(['5xx'], { numRetries: 2 }), { 'x-envoy-max-retries': '0' }, ['limitExceeded']],
    [
      policy(['5xx'], { numRetries: 2 }),
      { 'x-envoy-max-retries': 'abc' },
      ['retry', 'retry', 'limitExceeded'],
    ],
    [policy(['5xx']), { 'x-envoy-max-retries': ' +1 ' }, ['retry', 'limitExceeded']],
    // uint64 parsed into Envoy's uint32 counter: 2^32 + 1 keeps the low bits, 1.
    [policy(['5xx']), { 'x-envoy-max-retries': '4294967297' }, ['retry', 'limitExceeded']],
  ];
  for (const [p, headers, expected] of table) {
    const state = stateFor(p, headers);
    const decisions = expected.map(() => state.shouldRetryHeaders(503, new Map()));
    assert.deepEqual(kinds(decisions), expected, JSON.stringify(headers));
  }
  const disabled = stateFor(undefined, { 'x-envoy-retry-on': 'bogus', 'x-envoy-max-retries': '5' });
  assert.equal(disabled.isEnabled, false);
  assert.equal(disabled.shouldRetryHeaders(503, new Map()).kind, 'no');
});

test('x-envoy-retriable-status-codes and x-envoy-retriable-header-names add to the policy', () => {
  const codes = stateFor(policy(['retriable-status-codes'], { retriableStatusCodes: [503] }), {
    'x-envoy-retriable-status-codes': '409, 418,,x',
  });
  for (const [status, expected] of [
    [503, true],
    [409, true],
    [418, true],
    [500, false],
  ] as const) {
    assert.equal(codes.wouldRetryFromHeaders(status, new Map()), expected, `status ${status}`);
  }
  const names = stateFor(undefined, {
    'x-envoy-retry-on': 'retriable-headers',
    'x-envoy-retriable-header-names': 'X-Upstream-Retry, x-try-again',
  });
  assert.equal(names.wouldRetryFromHeaders(200, new Map([['x-try-again', '']])), true);
  assert.equal(names.wouldRetryFromHeaders(200, new Map([['x-upstream-retry', '1']])), true);
  assert.equal(names.wouldRetryFromHeaders(200, new Map([['x-other', '1']])), false);
});

test('previous_hosts rejects hosts already attempted; host selection attempts default to 1', () => {
  const a = host('10.0.0.1');
  const b = host('10.0.0.2');
  const state = stateFor(istioDefault);
  state.onHostAttempted(a);
  assert.equal(state.shouldSelectAnotherHost(a), true);
  assert.equal(state.shouldSelectAnotherHost(b), false);
  // Identity, not address: a different Host object for the same address is a new host.
  assert.equal(state.shouldSelectAnotherHost(host('10.0.0.1')), false);
  assert.deepEqual(state.attemptedHosts, [a]);
  assert.equal(state.hostSelectionMaxAttempts(), 5);

  const noPredicate = stateFor(policy(['5xx']));
  noPredicate.onHostAttempted(a);
  assert.equal(noPredicate.shouldSelectAnotherHost(a), false);
  assert.equal(noPredicate.hostSelectionMaxAttempts(), 1);
});

test('the attempt count starts at 1 and grows as retries begin', () => {
  const state = stateFor(policy(['5xx'], { numRetries: 2 }));
  assert.equal(state.attemptCount, 1);
  assert.equal(state.isRetry, false);
  state.shouldRetryHeaders(503, new Map());
  assert.equal(state.attemptCount, 1, 'a granted retry only counts once it starts');
  assert.equal(state.beginRetry(), 2);
  assert.equal(state.isRetry, true);
});
