import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { RouteConfigEntry, RouteConfiguration } from '../config/route-config.js';
import { buildRouteConfiguration } from './route-config-builder.js';

const at = { file: 'r.yaml', documentIndex: 0, path: 'rc' };

function routes(...entries: unknown[]): RouteConfiguration {
  return buildRouteConfiguration(
    { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: entries }] },
    at,
  );
}

function firstRoute(entry: unknown): RouteConfigEntry {
  const route = routes(entry).virtualHosts[0]?.routes[0];
  assert.ok(route !== undefined);
  return route;
}

function failure(config: unknown, options = {}): { code: string; path: string; problem: string } {
  try {
    buildRouteConfiguration(config, at, options);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { code: e.code, path: e.location.path, problem: e.problem };
  }
  return assert.fail('expected the route configuration to be rejected');
}

const vhosts = (...hosts: Array<{ name: string; domains: string[] }>): unknown => ({
  name: 'rc',
  virtual_hosts: hosts.map((h) => ({ ...h, routes: [] })),
});
test('domain rules: one "*" per route config, no duplicate domain in any virtual host, case-insensitive', () => {
  assert.deepEqual(failure(vhosts({ name: 'a', domains: ['*'] }, { name: 'b', domains: ['*'] })), {
    code: ErrorCode.configInvalid,
    path: 'rc.virtual_hosts[1].domains[0]',
    problem: 'Only a single wildcard domain is permitted in route rc',
  });
  assert.deepEqual(
    failure(
      vhosts(
        { name: 'a', domains: ['api.example.com', '*.example.com'] },
        { name: 'b', domains: ['API.example.com'] },
      ),
    ),
    {
      code: ErrorCode.configInvalid,
      path: 'rc.virtual_hosts[1].domains[0]',
      problem:
        'Only unique values for domains are permitted. Duplicate entry of domain api.example.com in route rc',
    },
  );
  const ok = buildRouteConfiguration(
    vhosts(
      { name: 'a', domains: ['*.example.com', 'api.*', 'a*b', 'Mixed.Case'] },
      { name: 'b', domains: ['*'] },
    ),
    at,
  );
  assert.deepEqual(ok.virtualHosts[0]?.domains, ['*.example.com', 'api.*', 'a*b', 'mixed.case']);
});

const matchCases: ReadonlyArray<{ name: string; match: unknown; expected: unknown }> = [
  { name: 'prefix', match: { prefix: '/api' }, expected: { kind: 'prefix', value: '/api' } },
  {
    name: 'empty prefix (matches everything)',
    match: { prefix: '' },
    expected: { kind: 'prefix', value: '' },
  },
  { name: 'path', match: { path: '/health' }, expected: { kind: 'path', value: '/health' } },
  {
    name: 'path_separated_prefix',
    match: { path_separated_prefix: '/api' },
    expected: { kind: 'path_separated_prefix', value: '/api' },
  },
];

for (const c of matchCases) {
  test(`route match by ${c.name}`, () => {
    assert.deepStrictEqual(firstRoute({ match: c.match, route: { cluster: 'x' } }).match.path, c.expected);
  });
}

test('route match with a regex, case sensitivity, headers, query parameters and grpc', () => {
  const match = firstRoute({
    match: {
      safe_regex: { regex: '/v[0-9]+/.*' },
      case_sensitive: false,
      grpc: {},
      headers: [
        { name: 'X-Env', string_match: { exact: 'Prod', ignore_case: true }, invert_match: true },
        { name: 'x-legacy', prefix_match: 'a' },
        { name: 'x-range', range_match: { start: 1, end: 10 } },
        { name: 'x-absent', present_match: false },
        { name: 'x-any' },
      ],
      query_parameters: [{ name: 'debug' }, { name: 'v', string_match: { safe_regex: { regex: '[0-9]+' } } }],
    },
    route: { cluster: 'x' },
  }).match;
  assert.equal(match.path.kind, 'safe_regex');
  assert.ok(
    match.path.kind === 'safe_regex' &&
      match.path.regex.test('/v2/users') &&
      !match.path.regex.test('/x/v2/users'),
  );
  assert.equal(match.caseSensitive, false);
  assert.equal(match.grpcOnly, true);
  assert.deepStrictEqual(
    match.headers.map((h) => [h.name, h.invert, h.match]),
    [
      ['x-env', true, { kind: 'string', matcher: { kind: 'exact', value: 'Prod', ignoreCase: true } }],
      ['x-legacy', false, { kind: 'string', matcher: { kind: 'prefix', value: 'a', ignoreCase: false } }],
      ['x-range', false, { kind: 'range', start: 1, end: 10 }],
      ['x-absent', false, { kind: 'present', present: false }],
      ['x-any', false, { kind: 'present', present: true }],
    ],
  );
  assert.deepStrictEqual(match.queryParameters[0], { name: 'debug', match: { kind: 'present' } });
  const v = match.queryParameters[1];
  assert.ok(
    v?.match.kind === 'string' && v.match.matcher.kind === 'regex' && v.match.matcher.regex.test('42'),
  );
});
test('header mutations at route, virtual host and config level', () => {
  const config = buildRouteConfiguration(
    {
      request_headers_to_add: [{ header: { key: 'x-a', value: '1' }, append: false }],
      response_headers_to_remove: ['X-Powered-By'],
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          request_headers_to_add: [{ header: { key: 'x-b', value: '2' }, append_action: 'ADD_IF_ABSENT' }],
          routes: [
            {
              match: { prefix: '/' },
              direct_response: { status: 200 },
              response_headers_to_add: [{ header: { key: 'x-c', value: '3' } }],
            },
          ],
        },
      ],
    },
    at,
  );
  assert.deepStrictEqual(config.requestHeadersToAdd, [
    { key: 'x-a', value: '1', append: false, onlyIfAbsent: false },
  ]);
  assert.deepStrictEqual(config.responseHeadersToRemove, ['x-powered-by']);
  assert.deepStrictEqual(config.virtualHosts[0]?.requestHeadersToAdd, [
    { key: 'x-b', value: '2', append: false, onlyIfAbsent: true },
  ]);
  assert.deepStrictEqual(config.virtualHosts[0]?.routes[0]?.responseHeadersToAdd, [
    { key: 'x-c', value: '3', append: true, onlyIfAbsent: false },
  ]);
  const hostRemoval = failure({ request_headers_to_remove: ['host'] });
  assert.deepEqual(
    [hostRemoval.path, hostRemoval.problem],
    ['rc.request_headers_to_remove[0]', '":-prefixed" or host headers may not be removed (got "host")'],
  );
  const both = failure({
    request_headers_to_add: [
      { header: { key: 'x', value: 'y' }, append: true, append_action: 'ADD_IF_ABSENT' },
    ],
  });
  assert.equal(both.path, 'rc.request_headers_to_add[0].append_action');
});

test('direct responses, redirects and fault overrides', () => {
  const config = routes(
    { match: { path: '/hello' }, direct_response: { status: 200, body: { inline_string: 'hi' } } },
    {
      match: { path: '/moved' },
      redirect: {
        https_redirect: true,
        host_redirect: 'example.com',
        port_redirect: 8443,
        response_code: 'PERMANENT_REDIRECT',
        strip_query: true,
      },
    },
    {
      match: { prefix: '/' },
      route: { cluster: 'x' },
      typed_per_filter_config: {
        'envoy.filters.http.fault': {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          abort: { http_status: 503, percentage: { numerator: 5, denominator: 'TEN_THOUSAND' } },
          delay: { fixed_delay: '0.1s' },
        },
      },
    },
  );
  const [direct, redirect, faulty] = config.virtualHosts[0]?.routes ?? [];
  assert.deepStrictEqual(direct?.action, { kind: 'direct_response', status: 200, body: 'hi' });
  assert.deepStrictEqual(redirect?.action, {
    kind: 'redirect',
    schemeRedirect: 'https',
    hostRedirect: 'example.com',
    portRedirect: 8443,
    pathRedirect: undefined,
    prefixRewrite: undefined,
    responseCode: 308,
    stripQuery: true,
  });
  assert.deepStrictEqual(faulty?.faultOverride, {
    delay: { fixedDelayMs: 100, percentage: { numerator: 0, denominator: 100 } },
    abort: { httpStatus: 503, grpcStatus: undefined, percentage: { numerator: 5, denominator: 10000 } },
    headers: [],
    upstreamCluster: undefined,
    downstreamNodes: [],
    maxActiveFaults: undefined,
  });
  const tooBig = failure({
    max_direct_response_body_size_bytes: 4,
    virtual_hosts: [
      {
        name: 'vh',
        domains: ['*'],
        routes: [
          { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'hello' } } },
        ],
      },
    ],
  });
  assert.deepEqual(
    [tooBig.path, tooBig.problem],
    ['rc.virtual_hosts[0].routes[0].direct_response.body', 'response body size is 5 bytes; maximum is 4'],
  );
});

test('validate_clusters: checked against known clusters only when in effect', () => {
  const config = {
    virtual_hosts: [
      {
        name: 'vh',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/' },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'a', weight: 1 },
                  { name: 'ghost', weight: 1 },
                ],
              },
            },
          },
        ],
      },
    ],
  };
  const known = new Set(['a']);
  const f = failure(config, { knownClusters: known, validateClustersByDefault: true });
  assert.deepEqual(
    [f.path, f.problem],
    [
      'rc.virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name',
      "route: unknown weighted cluster 'ghost'",
    ],
  );
  assert.doesNotThrow(() => buildRouteConfiguration(config, at, { knownClusters: known }));
  assert.doesNotThrow(() =>
    buildRouteConfiguration({ ...config, validate_clusters: false }, at, {
      knownClusters: known,
      validateClustersByDefault: true,
    }),
  );
  assert.throws(
    () => buildRouteConfiguration({ ...config, validate_clusters: true }, at, { knownClusters: known }),
    /unknown weighted cluster/,
  );
});
