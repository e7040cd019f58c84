import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  HeaderMatcherConfig,
  QueryParameterMatcherConfig,
  RouteConfigEntry,
  RouteMatchConfig,
  StringMatcher,
  VirtualHostConfig,
} from '../config/route-config.js';
import type { HeaderMap } from '../http/stream-info.js';
import {
  compileStringMatcher,
  compiledRouteTableFor,
  isGrpcRequest,
  matchHeaders,
  matchRoute,
  parseQueryParameters,
} from './route-matcher.js';

function route(
  name: string,
  path: RouteMatchConfig['path'],
  extra: Partial<RouteMatchConfig> = {},
): RouteConfigEntry {
  return {
    name,
    match: { path, caseSensitive: true, headers: [], queryParameters: [], grpcOnly: false, ...extra },
    action: { kind: 'direct_response', status: 200, body: undefined },
    requestHeadersToAdd: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToRemove: [],
    faultOverride: undefined,
  };
}

function vhost(routes: RouteConfigEntry[]): VirtualHostConfig {
  return {
    name: 'vh',
    domains: ['*'],
    routes,
    retryPolicy: undefined,
    includeRequestAttemptCount: false,
    includeAttemptCountInResponse: false,
    requestHeadersToAdd: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToRemove: [],
    faultOverride: undefined,
  };
}

function request(path: string | undefined, extra: Record<string, string> = {}): HeaderMap {
  const headers: HeaderMap = new Map([
    [':method', 'GET'],
    [':authority', 'example.com'],
    [':scheme', 'http'],
  ]);
  if (path !== undefined) headers.set(':path', path);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return headers;
}

/** Whether a virtual host holding only `r` routes `path`. */
function matches(r: RouteConfigEntry, path: string, extra: Record<string, string> = {}): boolean {
  return matchRoute(vhost([r]), request(path, extra)) !== undefined;
}

test('path specifiers match like Envoy, ignoring the query string and fragment', () => {
  const prefix = route('prefix', { kind: 'prefix', value: '/api' });
  const exact = route('path', { kind: 'path', value: '/api' });
  const regex = route('regex', { kind: 'safe_regex', regex: /\/a./g });
  const separated = route('sep', { kind: 'path_separated_prefix', value: '/api' });
  const cases: [RouteConfigEntry, string, boolean][] = [
    [prefix, '/api', true],
    [prefix, '/api/x', true],
    [prefix, '/apix', true],
    [prefix, '/ap', false],
    [prefix, '/API', false],
    [prefix, '/ap?i', false],
    [exact, '/api', true],
    [exact, '/api?x=1', true],
    [exact, '/api#frag', true],
    [exact, '/api/', false],
    [exact, '/API', false],
    [regex, '/ab', true],
    [regex, '/ab', true], // a `g` regex must not keep state between requests
    [regex, '/abc', false], // full match, not search
    [regex, 'x/ab', false],
    [regex, '/ab?query=long', true],
    [separated, '/api', true],
    [separated, '/api/', true],
    [separated, '/api/x', true],
    [separated, '/api?x=1', true],
    [separated, '/api#f', true],
    [separated, '/apix', false],
    [separated, '/ap', false],
  ];
  for (const [r, path, expected] of cases) assert.equal(matches(r, path), expected, `${r.name} ${path}`);
});

test('case_sensitive false folds ASCII case for prefix, path and path_separated_prefix', () => {
  const cases: [RouteMatchConfig['path'], string, boolean][] = [
    [{ kind: 'prefix', value: '/API' }, '/api/x', true],
    [{ kind: 'path', value: '/Api' }, '/aPI?Q=1', true],
    [{ kind: 'path_separated_prefix', value: '/API' }, '/api/x', true],
    [{ kind: 'path_separated_prefix', value: '/API' }, '/apix', false],
  ];
  for (const [path, requestPath, expected] of cases) {
    assert.equal(matches(route('r', path, { caseSensitive: false }), requestPath), expected, requestPath);
  }
});

test('the first matching route wins and nothing matches without :path', () => {
  const vh = vhost([
    route('specific', { kind: 'path', value: '/a/b' }),
    route('catch-all', { kind: 'prefix', value: '/' }),
    route('never', { kind: 'prefix', value: '/a' }),
  ]);
  assert.equal(matchRoute(vh, request('/a/b'))?.name, 'specific');
  assert.equal(matchRoute(vh, request('/a/c'))?.name, 'catch-all');
  assert.equal(matchRoute(vh, request(undefined)), undefined);
  assert.equal(compiledRouteTableFor(vh), compiledRouteTableFor(vh));
});

function header(
  name: string,
  match: HeaderMatcherConfig['match'],
  more: Partial<HeaderMatcherConfig> = {},
): HeaderMatcherConfig {
  return { name, invert: false, treatMissingAsEmpty: false, match, ...more };
}
const str = (matcher: StringMatcher): HeaderMatcherConfig['match'] => ({ kind: 'string', matcher });

test('header matchers: presence, inversion, missing headers and treat_missing_header_as_empty', () => {
  const present = { kind: 'present', present: true } as const;
  const absent = { kind: 'present', present: false } as const;
  const range = { kind: 'range', start: 0, end: 10 } as const;
  const exactA = str({ kind: 'exact', value: 'a', ignoreCase: false });
  const cases: [HeaderMatcherConfig, string | undefined, boolean][] = [
    [header('X-Env', present), 'v', true],
    [header('x-env', present), undefined, false],
    [header('x-env', absent), undefined, true],
    [header('x-env', absent), 'v', false],
    [header('x-env', present, { invert: true }), undefined, true],
    [header('x-env', present, { invert: true }), 'v', false],
    [header('x-env', absent, { invert: true }), undefined, false],
    [header('x-env', exactA), 'a', true],
    [header('x-env', exactA), 'b', false],
    [header('x-env', exactA, { invert: true }), 'b', true],
    [header('x-env', exactA, { invert: true }), undefined, false], // missing fails even inverted
    [header('x-env', range, { invert: true, treatMissingAsEmpty: true }), undefined, true],
    [header('x-env', range, { treatMissingAsEmpty: true }), undefined, false],
    [
      header('x-env', str({ kind: 'exact', value: '', ignoreCase: false }), { treatMissingAsEmpty: true }),
      undefined,
      true,
    ],
    [header('x-env', present, { treatMissingAsEmpty: true }), undefined, true],
  ];
  for (const [m, value, expected] of cases) {
    const headers = request('/', value === undefined ? {} : { 'x-env': value });
    assert.equal(matchHeaders(headers, [m]), expected, `${JSON.stringify(m)} on ${String(value)}`);
  }
});

test('range matchers take [start, end) on values that parse fully as int64', () => {
  const m = header('x-n', { kind: 'range', start: -5, end: 10 });
  const cases: [string, boolean][] = [
    ['0', true],
    ['9', true],
    ['10', false],
    ['-5', true],
    ['-6', false],
    [' 7 ', true],
    ['+7', true],
    ['7.0', false],
    ['0x7', false],
    ['abc', false],
    ['', false],
    ['9223372036854775808', false],
  ];
  for (const [value, expected] of cases)
    assert.equal(matchHeaders(request('/', { 'x-n': value }), [m]), expected, value);
});

test('string matchers: exact, prefix, suffix, contains, full-match regex, ASCII ignore_case', () => {
  const cases: [StringMatcher, string, boolean][] = [
    [{ kind: 'exact', value: 'Foo', ignoreCase: false }, 'foo', false],
    [{ kind: 'exact', value: 'Foo', ignoreCase: true }, 'fOO', true],
    [{ kind: 'prefix', value: 'ab', ignoreCase: false }, 'abc', true],
    [{ kind: 'prefix', value: 'AB', ignoreCase: true }, 'abc', true],
    [{ kind: 'suffix', value: 'bc', ignoreCase: false }, 'abc', true],
    [{ kind: 'suffix', value: 'BC', ignoreCase: false }, 'abc', false],
    [{ kind: 'contains', value: 'B', ignoreCase: true }, 'abc', true],
    [{ kind: 'contains', value: 'x', ignoreCase: false }, 'abc', false],
    [{ kind: 'regex', regex: /b+/ }, 'abbc', false],
    [{ kind: 'regex', regex: /a.*c/ }, 'abbc', true],
    [{ kind: 'exact', value: 'ı', ignoreCase: true }, 'I', false], // no Unicode folding
  ];
  for (const [m, value, expected] of cases)
    assert.equal(compileStringMatcher(m)(value), expected, `${JSON.stringify(m)} ${value}`);
});

test('header matchers all have to match, on the comma-joined value of a repeated header', () => {
  const both = [
    header('x-a', str({ kind: 'exact', value: '1', ignoreCase: false })),
    header('x-b', str({ kind: 'contains', value: 'two', ignoreCase: false })),
  ];
  const r = route('r', { kind: 'prefix', value: '/' }, { headers: both });
  assert.equal(matches(r, '/', { 'x-a': '1', 'x-b': 'one,two' }), true);
  assert.equal(matches(r, '/', { 'x-a': '1' }), false);
  assert.equal(matches(r, '/', { 'x-a': '1,1', 'x-b': 'two' }), false);
});

test('query parameter matchers use the first raw value of each name', () => {
  const q = (name: string, match: QueryParameterMatcherConfig['match']): QueryParameterMatcherConfig => ({
    name,
    match,
  });
  const exact = (value: string): QueryParameterMatcherConfig['match'] => ({
    kind: 'string',
    matcher: { kind: 'exact', value, ignoreCase: false },
  });
  const cases: [QueryParameterMatcherConfig, string, boolean][] = [
    [q('debug', { kind: 'present' }), '/p?debug', true],
    [q('debug', { kind: 'present' }), '/p?debugx=1', false],
    [q('debug', { kind: 'present' }), '/p', false],
    [q('v', exact('2')), '/p?a=1&v=2', true],
    [q('v', exact('2')), '/p?v=1&v=2', false],
    [q('v', exact('')), '/p?v', true],
    [q('v', exact('a b')), '/p?v=a%20b', false],
    [q('v', exact('a%20b')), '/p?v=a%20b', true],
    [q('v', exact('1#frag')), '/p?v=1#frag', true],
  ];
  for (const [m, path, expected] of cases) {
    assert.equal(
      matches(route('r', { kind: 'prefix', value: '/' }, { queryParameters: [m] }), path),
      expected,
      path,
    );
  }
  assert.deepEqual(
    [...parseQueryParameters('/x?a=1&b&&c=3=4&a=9')],
    [
      ['a', '1'],
      ['b', ''],
      ['', ''],
      ['c', '3=4'],
    ],
  );
});

test('grpc routes match only application/grpc and application/grpc+...', () => {
  const r = route('grpc', { kind: 'prefix', value: '/' }, { grpcOnly: true });
  const cases: [string | undefined, boolean][] = [
    ['application/grpc', true],
    ['application/grpc+proto', true],
    ['application/grpc-web', false],
    ['application/grpc;charset=utf-8', false],
    ['application/json', false],
    [undefined, false],
  ];
  for (const [contentType, expected] of cases) {
    const extra = contentType === undefined ? {} : { 'content-type': contentType };
    assert.equal(matches(r, '/svc/Method', extra), expected, String(contentType));
  }
  assert.equal(isGrpcRequest(new Map([['content-type', 'application/grpc']])), false, 'no :path, not gRPC');
});
