import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteActionConfig, RouteConfigEntry, RouteMatchConfig } from '../config/route-config.js';
import { computePathRewrite, regexReplaceAll, rewritePath } from './path-rewrite.js';

function action(
  rewrite: Partial<Pick<RouteActionConfig, 'prefixRewrite' | 'regexRewrite'>>,
): RouteActionConfig {
  return {
    kind: 'route',
    cluster: { kind: 'cluster', name: 'c' },
    clusterNotFoundResponseCode: 503,
    timeoutMs: 15000,
    idleTimeoutMs: 0,
    retryPolicy: undefined,
    prefixRewrite: undefined,
    regexRewrite: undefined,
    hostRewriteLiteral: undefined,
    autoHostRewrite: false,
    ...rewrite,
  };
}

function route(path: RouteMatchConfig['path'], caseSensitive = true): RouteConfigEntry {
  return {
    name: 'r',
    match: { path, caseSensitive, headers: [], queryParameters: [], grpcOnly: false },
    action: action({}),
    requestHeadersToAdd: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToRemove: [],
    faultOverride: undefined,
  };
}

test('prefix_rewrite replaces what the route matched and keeps the rest, query included', () => {
  const cases: [RouteConfigEntry, string, string, string][] = [
    [route({ kind: 'prefix', value: '/api/' }), '/', '/api/users?id=7', '/users?id=7'],
    [route({ kind: 'prefix', value: '/api' }), '/v2', '/api?x=1&y=2', '/v2?x=1&y=2'],
    [route({ kind: 'prefix', value: '/api' }, false), '/internal', '/API/v1?X=Y', '/internal/v1?X=Y'],
    [route({ kind: 'path_separated_prefix', value: '/api' }), '/v2', '/api/users', '/v2/users'],
    [route({ kind: 'path_separated_prefix', value: '/api' }), '/v2', '/api?x=1', '/v2?x=1'],
    [route({ kind: 'path_separated_prefix', value: '/api' }), '/', '/api/users', '//users'],
    [route({ kind: 'path', value: '/old' }), '/new', '/old?q=1#frag', '/new?q=1#frag'],
    [route({ kind: 'safe_regex', regex: /\/foo\/[0-9]+/ }), '/bar', '/foo/123?x=1', '/bar?x=1'],
  ];
  for (const [r, prefixRewrite, path, expected] of cases) {
    assert.equal(rewritePath(path, r, action({ prefixRewrite })), expected, `${path} -> ${prefixRewrite}`);
  }
});

test('regex_rewrite replaces every match in the path only, with RE2 substitution syntax', () => {
  const r = route({ kind: 'prefix', value: '/' });
  const cases: [RegExp, string, string, string][] = [
    [/^\/service\/([^/]+)(\/.*)$/, '\\2/instance/\\1', '/service/foo/v1/api?x=1', '/v1/api/instance/foo?x=1'],
    [/one/, 'two', '/xxx/one/yyy/one/zzz', '/xxx/two/yyy/two/zzz'],
    [/one/, 'two', '/one?q=one#one', '/two?q=one#one'],
    [/a(b)?/, '[\\1]', '/ac', '/[]c'],
    [/b+/, '<\\0>', '/abbc', '/a<bb>c'],
    [/x/, 'a\\\\b', '/x', '/a\\b'],
    [/x/, '$1$&', '/x', '/$1$&'],
    [/^\/$/, '/index', '/?a=b', '/index?a=b'],
  ];
  for (const [regex, substitution, path, expected] of cases) {
    assert.equal(
      rewritePath(path, r, action({ regexRewrite: { regex, substitution } })),
      expected,
      `${regex} on ${path}`,
    );
  }
  const global = { regex: /o/g, substitution: '0' };
  assert.equal(regexReplaceAll(global, 'foo'), 'f00');
  assert.equal(regexReplaceAll(global, 'boo'), 'b00', 'no lastIndex carried over');
});

test('x-envoy-original-path carries the full original path unless suppress_envoy_headers', () => {
  const r = route({ kind: 'prefix', value: '/a' });
  assert.deepEqual(
    computePathRewrite('/a/b?c=d', r, action({ prefixRewrite: '/z' }), { suppressEnvoyHeaders: false }),
    {
      path: '/z/b?c=d',
      originalPath: '/a/b?c=d',
    },
  );
  assert.deepEqual(
    computePathRewrite('/a/b', r, action({ prefixRewrite: '/z' }), { suppressEnvoyHeaders: true }),
    {
      path: '/z/b',
      originalPath: undefined,
    },
  );
  assert.deepEqual(
    computePathRewrite('/a/b', r, action({ prefixRewrite: '/a' }), { suppressEnvoyHeaders: false }),
    { path: '/a/b', originalPath: '/a/b' },
    'set even when the rewrite changes nothing',
  );
});

test('without a rewrite nothing changes and no original-path header is due', () => {
  const r = route({ kind: 'prefix', value: '/a' });
  assert.equal(computePathRewrite('/a/b', r, action({}), { suppressEnvoyHeaders: false }), undefined);
  assert.equal(
    computePathRewrite('/a/b', r, action({ prefixRewrite: '' }), { suppressEnvoyHeaders: false }),
    undefined,
  );
  assert.equal(rewritePath('/a/b?x', r, action({})), '/a/b?x');
});

test('prefix_rewrite wins when a route carries both rewrites', () => {
  const r = route({ kind: 'prefix', value: '/a' });
  const both = action({ prefixRewrite: '/p', regexRewrite: { regex: /a/, substitution: 'r' } });
  assert.equal(rewritePath('/a/b', r, both), '/p/b');
});
