import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RetryPolicyConfig, RouteActionConfig } from '../config/route-config.js';
import {
  computeTimeouts,
  expectedTimeoutMs,
  formatGrpcTimeout,
  parseGrpcTimeoutMs,
  parseUint64,
  setTimeoutHeaders,
  type TimeoutOptions,
} from './router-timeouts.js';

function action(timeoutMs: number): RouteActionConfig {
  return {
    kind: 'route',
    cluster: { kind: 'cluster', name: 'c' },
    clusterNotFoundResponseCode: 503,
    timeoutMs,
    idleTimeoutMs: 0,
    retryPolicy: undefined,
    prefixRewrite: undefined,
    regexRewrite: undefined,
    hostRewriteLiteral: undefined,
    autoHostRewrite: false,
  };
}

function retryPolicy(perTryTimeoutMs: number, perTryIdleTimeoutMs = 0): RetryPolicyConfig {
  return {
    retryOn: new Set(['5xx']),
    numRetries: 1,
    perTryTimeoutMs,
    perTryIdleTimeoutMs,
    retriableStatusCodes: [],
    hostPredicates: [],
    hostSelectionRetryMaxAttempts: 0,
    retryPriority: undefined,
    backOff: { baseIntervalMs: 25, maxIntervalMs: 250 },
    retriableHeaders: [],
  };
}

interface Row {
  readonly name: string;
  readonly routeMs: number;
  readonly perTryMs?: number;
  readonly headers?: Record<string, string>;
  readonly opts?: Partial<TimeoutOptions>;
  readonly global: number;
  readonly perTry: number;
  readonly expected: string | undefined;
  readonly headersAfter: Record<string, string>;
}

test('computeTimeouts follows FilterUtility::finalTimeout', () => {
  const rows: Row[] = [
    {
      name: 'route timeout only',
      routeMs: 15000,
      global: 15000,
      perTry: 0,
      expected: '15000',
      headersAfter: {},
    },
    {
      name: 'no timeout at all (Istio default 0)',
      routeMs: 0,
      global: 0,
      perTry: 0,
      expected: undefined,
      headersAfter: {},
    },
    {
      name: 'per-try below global',
      routeMs: 1000,
      perTryMs: 200,
      global: 1000,
      perTry: 200,
      expected: '200',
      headersAfter: {},
    },
    {
      name: 'per-try equal to global is dropped',
      routeMs: 1000,
      perTryMs: 1000,
      global: 1000,
      perTry: 0,
      expected: '1000',
      headersAfter: {},
    },
    {
      name: 'per-try with no global timeout',
      routeMs: 0,
      perTryMs: 300,
      global: 0,
      perTry: 300,
      expected: '300',
      headersAfter: {},
    },
    {
      name: 'x-envoy-upstream-rq-timeout-ms overrides and is consumed',
      routeMs: 15000,
      headers: { 'x-envoy-upstream-rq-timeout-ms': '2500' },
      global: 2500,
      perTry: 0,
      expected: '2500',
      headersAfter: {},
    },
    {
      name: 'an unparsable x-envoy-upstream-rq-timeout-ms is ignored but still consumed',
      routeMs: 15000,
      headers: { 'x-envoy-upstream-rq-timeout-ms': '2s' },
      global: 15000,
      perTry: 0,
      expected: '15000',
      headersAfter: {},
    },
    {
      name: 'x-envoy-upstream-rq-timeout-ms: 0 disables the timeout',
      routeMs: 15000,
      perTryMs: 100,
      headers: { 'x-envoy-upstream-rq-timeout-ms': '0' },
      global: 0,
      perTry: 100,
      expected: '100',
      headersAfter: {},
    },
    {
      name: 'per-try header overrides the policy and is consumed',
      routeMs: 1000,
      perTryMs: 200,
      headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '50' },
      global: 1000,
      perTry: 50,
      expected: '50',
      headersAfter: {},
    },
    {
      name: 'per-try header at or above the global timeout is ignored',
      routeMs: 1000,
      headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '5000' },
      global: 1000,
      perTry: 0,
      expected: '1000',
      headersAfter: {},
    },
    {
      name: 'an empty per-try header is neither used nor removed',
      routeMs: 1000,
      perTryMs: 100,
      headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '' },
      global: 1000,
      perTry: 100,
      expected: '100',
      headersAfter: { 'x-envoy-upstream-rq-per-try-timeout-ms': '' },
    },
    {
      name: 'incoming expected timeout ignored without respect_expected_rq_timeout',
      routeMs: 1000,
      headers: { 'x-envoy-expected-rq-timeout-ms': '300' },
      global: 1000,
      perTry: 0,
      expected: '1000',
      headersAfter: { 'x-envoy-expected-rq-timeout-ms': '1000' },
    },
    {
      name: 'respect_expected_rq_timeout: the incoming expected timeout wins, upstream-rq-timeout stays',
      routeMs: 1000,
      headers: { 'x-envoy-expected-rq-timeout-ms': '300', 'x-envoy-upstream-rq-timeout-ms': '700' },
      opts: { respectExpectedRqTimeout: true },
      global: 300,
      perTry: 0,
      expected: '300',
      headersAfter: { 'x-envoy-expected-rq-timeout-ms': '300', 'x-envoy-upstream-rq-timeout-ms': '700' },
    },
    {
      name: 'respect_expected_rq_timeout without the header falls back to x-envoy-upstream-rq-timeout-ms',
      routeMs: 1000,
      headers: { 'x-envoy-upstream-rq-timeout-ms': '700' },
      opts: { respectExpectedRqTimeout: true },
      global: 700,
      perTry: 0,
      expected: '700',
      headersAfter: {},
    },
    {
      name: 'suppress_envoy_headers writes no expected timeout',
      routeMs: 1000,
      opts: { suppressEnvoyHeaders: true },
      global: 1000,
      perTry: 0,
      expected: undefined,
      headersAfter: {},
    },
    {
      name: 'gRPC without max_grpc_timeout uses the route timeout and ignores grpc-timeout',
      routeMs: 1000,
      headers: { 'grpc-timeout': '5S' },
      opts: { isGrpc: true },
      global: 1000,
      perTry: 0,
      expected: '1000',
      headersAfter: { 'grpc-timeout': '5S' },
    },
    {
      name: 'gRPC with max_grpc_timeout caps grpc-timeout and rewrites it',
      routeMs: 1000,
      headers: { 'grpc-timeout': '5S' },
      opts: { isGrpc: true, maxGrpcTimeoutMs: 3000 },
      global: 3000,
      perTry: 0,
      expected: '3000',
      headersAfter: { 'grpc-timeout': '3000m' },
    },
    {
      name: 'gRPC with max_grpc_timeout 0 takes grpc-timeout uncapped, minus the offset',
      routeMs: 1000,
      headers: { 'grpc-timeout': '5S' },
      opts: { isGrpc: true, maxGrpcTimeoutMs: 0, grpcTimeoutOffsetMs: 100 },
      global: 4900,
      perTry: 0,
      expected: '4900',
      headersAfter: { 'grpc-timeout': '4900m' },
    },
    {
      name: 'gRPC with max_grpc_timeout and no grpc-timeout uses the max',
      routeMs: 1000,
      opts: { isGrpc: true, maxGrpcTimeoutMs: 2000 },
      global: 2000,
      perTry: 0,
      expected: '2000',
      headersAfter: { 'grpc-timeout': '2000m' },
    },
  ];
  for (const row of rows) {
    const headers = new Map(Object.entries(row.headers ?? {}));
    const result = computeTimeouts(
      action(row.routeMs),
      row.perTryMs === undefined ? undefined : retryPolicy(row.perTryMs),
      headers,
      { isGrpc: false, ...row.opts },
    );
    assert.equal(result.globalTimeoutMs, row.global, row.name);
    assert.equal(result.perTryTimeoutMs, row.perTry, row.name);
    assert.equal(result.expectedTimeoutHeader, row.expected, row.name);
    const after = { ...row.headersAfter };
    if (row.expected !== undefined) after['x-envoy-expected-rq-timeout-ms'] = row.expected;
    assert.deepEqual(Object.fromEntries(headers), after, row.name);
  }
});

test('per-try idle timeout, alt timeout response and stream duration headers', () => {
  const headers = new Map([
    ['x-envoy-upstream-rq-timeout-alt-response', ''],
    ['x-envoy-upstream-stream-duration-ms', '1234'],
  ]);
  const result = computeTimeouts(action(0), retryPolicy(0, 40), headers, { isGrpc: false });
  assert.equal(result.perTryIdleTimeoutMs, 40);
  assert.equal(result.timeoutResponseCode, 204);
  assert.equal(result.maxStreamDurationMs, 1234);
  assert.equal(headers.size, 0);
  assert.equal(computeTimeouts(action(0), undefined, new Map(), { isGrpc: false }).timeoutResponseCode, 504);
});

test('expected timeout for later attempts shrinks with elapsed time and never reaches 0', () => {
  const table: Array<[number, number, number, boolean, number]> = [
    // global, perTry, elapsed, hedging -> expected
    [1000, 200, 0, false, 200],
    [1000, 200, 900, false, 100],
    [1000, 200, 1000, false, 1],
    [1000, 200, 5000, false, 1],
    [1000, 0, 300, false, 700],
    [1000, 200, 300, true, 700],
    [0, 200, 300, false, 200],
    [0, 0, 300, false, 0],
  ];
  for (const [globalTimeoutMs, perTryTimeoutMs, elapsed, hedging, expected] of table) {
    assert.equal(expectedTimeoutMs({ globalTimeoutMs, perTryTimeoutMs }, elapsed, hedging), expected);
  }
  const headers = new Map<string, string>();
  assert.equal(
    setTimeoutHeaders({ globalTimeoutMs: 1000, perTryTimeoutMs: 0 }, headers, 250, { isGrpc: false }),
    750,
  );
  assert.equal(headers.get('x-envoy-expected-rq-timeout-ms'), '750');
});

test('grpc-timeout parsing and formatting follow Grpc::Common', () => {
  const parsed: Array<[string | undefined, number | undefined]> = [
    ['5S', 5000],
    ['2M', 120000],
    ['1H', 3600000],
    ['250m', 250],
    ['1500u', 2],
    ['1000u', 1],
    ['1n', 1],
    ['0m', 0],
    ['100000000m', undefined],
    ['5x', undefined],
    ['S', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, ms] of parsed) assert.equal(parseGrpcTimeoutMs(value), ms, String(value));
  const formatted: Array<[number, string]> = [
    [250, '250m'],
    [99999999, '99999999m'],
    [100000000, '100000S'],
    [100000000000, '1666666M'],
    [1e13, '2777777H'],
    [1e20, '99999999H'],
  ];
  for (const [ms, text] of formatted) assert.equal(formatGrpcTimeout(ms), text, String(ms));
});

test('parseUint64 accepts what absl::SimpleAtoi accepts for uint64', () => {
  const table: Array<[string, bigint | undefined]> = [
    ['0', 0n],
    [' 42\t', 42n],
    ['+7', 7n],
    ['-1', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['18446744073709551615', 18446744073709551615n],
    ['18446744073709551616', undefined],
  ];
  for (const [text, value] of table) assert.equal(parseUint64(text), value, JSON.stringify(text));
});
