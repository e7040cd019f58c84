import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { RouteActionConfig } from '../config/route-config.js';
import { buildRouteConfiguration } from './route-config-builder.js';

const at = { file: 'r.yaml', documentIndex: 0, path: 'rc' };

function routeAction(entry: unknown): RouteActionConfig {
  const config = buildRouteConfiguration(
    { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [entry] }] },
    at,
  );
  const action = config.virtualHosts[0]?.routes[0]?.action;
  assert.equal(action?.kind, 'route');
  return action as RouteActionConfig;
}

function failure(config: unknown): { code: string; path: string; problem: string } {
  try {
    buildRouteConfiguration(config, at);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { code: e.code, path: e.location.path, problem: e.problem };
  }
  return assert.fail('expected the route configuration to be rejected');
}

test('route action defaults: 15 s timeout, 503 when the cluster is missing, no retries or rewrites', () => {
  assert.deepStrictEqual(routeAction({ match: { prefix: '/' }, route: { cluster: 'x' } }), {
    kind: 'route',
    cluster: { kind: 'cluster', name: 'x' },
    clusterNotFoundResponseCode: 503,
    timeoutMs: 15000,
    idleTimeoutMs: 0,
    retryPolicy: undefined,
    prefixRewrite: undefined,
    regexRewrite: undefined,
    hostRewriteLiteral: undefined,
    autoHostRewrite: false,
  });
});

test('route action settings', () => {
  const action = routeAction({
    match: { prefix: '/' },
    route: {
      cluster_header: 'X-Cluster',
      cluster_not_found_response_code: 'NOT_FOUND',
      timeout: '0s',
      idle_timeout: '2.5s',
      regex_rewrite: { pattern: { regex: '^/old/(.*)$' }, substitution: '/new/\\1' },
      auto_host_rewrite: true,
    },
  });
  assert.deepStrictEqual(action.cluster, { kind: 'header', header: 'x-cluster' });
  assert.equal(action.clusterNotFoundResponseCode, 404);
  assert.equal(action.timeoutMs, 0);
  assert.equal(action.idleTimeoutMs, 2500);
  assert.equal(action.autoHostRewrite, true);
  assert.ok(action.regexRewrite !== undefined);
  assert.equal('/old/a/b'.replace(action.regexRewrite.regex, action.regexRewrite.substitution), '/new/a/b');
});

test('weighted clusters: total is the sum; a declared total_weight must match it', () => {
  const action = routeAction({
    match: { prefix: '/' },
    route: {
      weighted_clusters: {
        total_weight: 100,
        clusters: [
          { name: 'a', weight: 70, request_headers_to_add: [{ header: { key: 'x-a', value: '1' } }] },
          { name: 'b', weight: 30 },
        ],
      },
    },
  });
  assert.equal(action.cluster.kind, 'weighted');
  assert.ok(action.cluster.kind === 'weighted');
  assert.equal(action.cluster.totalWeight, 100);
  assert.deepStrictEqual(
    action.cluster.clusters.map((c) => [c.name, c.weight, c.requestHeadersToAdd.length]),
    [
      ['a', 70, 1],
      ['b', 30, 0],
    ],
  );
});

const routeFailures: ReadonlyArray<{
  name: string;
  route: unknown;
  path: string;
  problem: RegExp;
  code?: string;
}> = [
  {
    name: 'a total_weight different from the sum',
    route: {
      weighted_clusters: {
        total_weight: 99,
        clusters: [
          { name: 'a', weight: 50 },
          { name: 'b', weight: 50 },
        ],
      },
    },
    path: 'route.weighted_clusters.total_weight',
    problem: /should add up to 99 \(got 100\)/,
  },
  {
    name: 'weights summing to 0',
    route: { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }] } },
    path: 'route.weighted_clusters.clusters',
    problem: /^Sum of weights in the weighted_cluster must be greater than 0\.$/,
  },
  {
    name: 'a weighted cluster without weight',
    route: { weighted_clusters: { clusters: [{ name: 'a' }] } },
    path: 'route.weighted_clusters.clusters[0].weight',
    problem: /weight is required/,
  },
  {
    name: 'prefix_rewrite with regex_rewrite',
    route: {
      cluster: 'x',
      prefix_rewrite: '/',
      regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' },
    },
    path: 'route.regex_rewrite',
    problem: /^Cannot specify both prefix_rewrite and regex_rewrite$/,
  },
  {
    name: 'a regex JS cannot express',
    route: { cluster: 'x', regex_rewrite: { pattern: { regex: '(?i:a)' }, substitution: 'b' } },
    path: 'route.regex_rewrite.pattern.regex',
    problem: /invalid regex "\(\?i:a\)"/,
  },
  {
    name: 'hash_policy',
    route: { cluster: 'x', hash_policy: [{ header: { header_name: 'x' } }] },
    path: 'route.hash_policy',
    problem: /"hash_policy" is not yet supported by Spillway/,
    code: ErrorCode.configUnsupported,
  },
  {
    name: 'an unknown retry_on token',
    route: { cluster: 'x', retry_policy: { retry_on: '5xx, conect-failure' } },
    path: 'route.retry_policy.retry_on',
    problem: /unknown retry_on token "conect-failure"/,
  },
  {
    name: 'retry back-off max below base',
    route: { cluster: 'x', retry_policy: { retry_back_off: { base_interval: '1s', max_interval: '0.5s' } } },
    path: 'route.retry_policy.retry_back_off.max_interval',
    problem: /max_interval must greater than or equal to the base_interval/,
  },
  {
    name: 'an unsupported retry host predicate',
    route: {
      cluster: 'x',
      retry_policy: { retry_host_predicate: [{ name: 'envoy.retry_host_predicates.omit_canary_hosts' }] },
    },
    path: 'route.retry_policy.retry_host_predicate[0]',
    problem: /not yet supported by Spillway/,
    code: ErrorCode.configUnsupported,
  },
  {
    name: 'a previous_priorities retry priority without update_frequency',
    route: {
      cluster: 'x',
      retry_policy: { retry_priority: { name: 'envoy.retry_priorities.previous_priorities' } },
    },
    path: 'route.retry_policy.retry_priority.typed_config',
    problem: /update_frequency must be greater than 0/,
    code: ErrorCode.configOutOfRange,
  },
];

for (const c of routeFailures) {
  test(`rejects ${c.name}`, () => {
    const f = failure({
      virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: c.route }] }],
    });
    assert.equal(f.code, c.code ?? ErrorCode.configInvalid);
    assert.equal(f.path, `rc.virtual_hosts[0].routes[0].${c.path}`);
    assert.match(f.problem, c.problem);
  });
}

test('retry policy with every supported field resolved', () => {
  const policy = routeAction({
    match: { prefix: '/' },
    route: {
      cluster: 'x',
      retry_policy: {
        retry_on: ' 5xx,reset,,retriable-status-codes,unavailable ',
        num_retries: 0,
        per_try_timeout: '0.5s',
        per_try_idle_timeout: '0.2s',
        retriable_status_codes: [503, 409],
        retry_priority: {
          name: 'envoy.retry_priorities.previous_priorities',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
            update_frequency: 2,
          },
        },
        retry_back_off: { base_interval: '0.0001s' },
        retriable_headers: [{ name: 'x-retry', present_match: true }],
      },
    },
  }).retryPolicy;
  assert.ok(policy !== undefined);
  assert.deepStrictEqual([...policy.retryOn], ['5xx', 'reset', 'retriable-status-codes', 'unavailable']);
  assert.equal(policy.numRetries, 0);
  assert.equal(policy.perTryTimeoutMs, 500);
  assert.equal(policy.perTryIdleTimeoutMs, 200);
  assert.deepStrictEqual(policy.retriableStatusCodes, [503, 409]);
  assert.deepStrictEqual(policy.retryPriority, { kind: 'previous_priorities', updateFrequency: 2 });
  // Sub-millisecond back-off rounds up to 1 ms; the max defaults to 10x the base.
  assert.deepStrictEqual(policy.backOff, { baseIntervalMs: 1, maxIntervalMs: 10 });
  assert.equal(policy.hostSelectionRetryMaxAttempts, 1);
  assert.equal(policy.retriableHeaders[0]?.name, 'x-retry');
});
