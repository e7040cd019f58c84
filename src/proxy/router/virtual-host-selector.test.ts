import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteConfiguration, VirtualHostConfig } from '../config/route-config.js';
import {
  hostPortStart,
  normalizeHost,
  selectVirtualHost,
  virtualHostTableFor,
  type HostNormalizationOptions,
} from './virtual-host-selector.js';

function vhost(name: string, domains: string[]): VirtualHostConfig {
  return {
    name,
    domains,
    routes: [],
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

function routeConfig(virtualHosts: VirtualHostConfig[]): RouteConfiguration {
  return {
    name: 'rc',
    virtualHosts,
    requestHeadersToAdd: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToRemove: [],
  };
}

const config = routeConfig([
  vhost('exact', ['api.foo.com', 'api.foo.com:8080', '[::1]:8080', 'Mixed.Case.COM']),
  vhost('suffix-short', ['*.foo.com']),
  vhost('suffix-long', ['*-v2.foo.com']),
  vhost('prefix-short', ['api.*']),
  vhost('prefix-long', ['api.foo.*']),
  vhost('default', ['*']),
]);

const defaultCases: [authority: string | undefined, expected: string | undefined, why: string][] = [
  ['api.foo.com', 'exact', 'exact beats every wildcard'],
  ['API.Foo.COM', 'exact', 'the host is lower-cased'],
  ['mixed.case.com', 'exact', 'domains are lower-cased'],
  ['web-v2.foo.com', 'suffix-long', 'the longest suffix wildcard wins'],
  ['web.foo.com', 'suffix-short', 'a shorter suffix wildcard matches when the longer does not'],
  ['-v2.foo.com', 'suffix-short', 'a wildcard never matches an empty remainder, so *-v2 is skipped'],
  ['.foo.com', 'default', '*.foo.com does not match .foo.com'],
  ['api.foo.com:8080', 'exact', 'a port in the host matches a domain with the same port'],
  ['api.foo.com:9090', 'prefix-long', 'no port retry: the longest prefix wildcard catches it'],
  ['api.bar.org', 'prefix-short', 'prefix wildcard'],
  ['web.foo.com:80', 'default', 'the port is part of the compared host, so *.foo.com misses'],
  ['[::1]:8080', 'exact', 'IPv6 literal with port'],
  ['[::1]', 'default', 'IPv6 literal without port does not match the domain with port'],
  ['other.org', 'default', '* is the last resort'],
  [undefined, undefined, 'no :authority, no virtual host'],
];

test('selects virtual hosts in Envoy order: exact, longest suffix, longest prefix, then *', () => {
  for (const [authority, expected, why] of defaultCases) {
    assert.equal(selectVirtualHost(config, authority)?.name, expected, `${String(authority)}: ${why}`);
  }
});

test('ignore_port_in_host_matching cuts the port from the host but not from the domains', () => {
  const cases: [string, string][] = [
    ['web.foo.com:80', 'suffix-short'],
    ['api.foo.com:9090', 'exact'],
    ['[::1]:8080', 'default'],
    ['[::1]', 'default'],
  ];
  for (const [authority, expected] of cases) {
    assert.equal(
      selectVirtualHost(config, authority, { ignorePortInHostMatching: true })?.name,
      expected,
      authority,
    );
  }
});

test('returns undefined when nothing matches and there is no * virtual host', () => {
  const noDefault = routeConfig([vhost('a', ['a.com'])]);
  assert.equal(selectVirtualHost(noDefault, 'b.com'), undefined);
  assert.equal(selectVirtualHost(noDefault, 'a.com')?.name, 'a');
});

test('a lone * virtual host is chosen even without an :authority (Envoy fast path)', () => {
  const onlyDefault = routeConfig([vhost('all', ['*'])]);
  assert.equal(selectVirtualHost(onlyDefault, undefined)?.name, 'all');
  assert.equal(selectVirtualHost(routeConfig([]), 'x'), undefined);
});

test('the first definition of a duplicated domain wins', () => {
  const dup = routeConfig([vhost('first', ['a.com', '*']), vhost('second', ['A.com', '*'])]);
  assert.equal(selectVirtualHost(dup, 'a.com')?.name, 'first');
  assert.equal(selectVirtualHost(dup, 'zzz')?.name, 'first');
});

test('builds the lookup table once per configuration object', () => {
  assert.equal(virtualHostTableFor(config), virtualHostTableFor(config));
});

test('hostPortStart finds the port colon the way Envoy getPortStart does', () => {
  const cases: [string, number][] = [
    ['foo.com', -1],
    ['foo.com:80', 7],
    ['[::1]', -1],
    ['[::1]:80', 5],
    ['::1', 1],
    ['foo:', 3],
  ];
  for (const [host, expected] of cases) assert.equal(hostPortStart(host), expected, host);
});

test('normalizeHost strips the trailing dot and the port as the HCM options say', () => {
  const cases: [string, HostNormalizationOptions, string, number | undefined][] = [
    ['foo.com:80', {}, 'foo.com:80', undefined],
    ['foo.com:80', { stripPort: 'any' }, 'foo.com', 80],
    ['foo.com:80', { stripPort: 'matching', listenerPort: 80 }, 'foo.com', 80],
    ['foo.com:8080', { stripPort: 'matching', listenerPort: 80 }, 'foo.com:8080', undefined],
    ['[::1]:80', { stripPort: 'any' }, '[::1]', 80],
    ['[::1]', { stripPort: 'any' }, '[::1]', undefined],
    ['foo.com:abc', { stripPort: 'any' }, 'foo.com:abc', undefined],
    ['foo.com:99999999999', { stripPort: 'any' }, 'foo.com:99999999999', undefined],
    ['foo.com.', { stripTrailingHostDot: true }, 'foo.com', undefined],
    ['foo.com.:80', { stripTrailingHostDot: true }, 'foo.com:80', undefined],
    ['foo.com.:80', { stripTrailingHostDot: true, stripPort: 'any' }, 'foo.com', 80],
    ['foo.com.', {}, 'foo.com.', undefined],
  ];
  for (const [authority, options, host, port] of cases) {
    const result = normalizeHost(authority, options);
    assert.deepEqual(
      result,
      { authority: host, strippedPort: port },
      `${authority} ${JSON.stringify(options)}`,
    );
  }
});
