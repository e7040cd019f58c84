import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  HeaderValueOptionConfig,
  RouteConfigEntry,
  RouteConfiguration,
  VirtualHostConfig,
  WeightedClusterConfig,
} from '../config/route-config.js';
import { StreamInfo, type HeaderMap } from '../http/stream-info.js';
import {
  applyHeaderMutationLayers,
  applyHeaderMutations,
  formatHeaderValue,
  requestHeaderMutationLayers,
  responseHeaderMutationLayers,
  type HeaderFormatterContext,
} from './header-mutation.js';

const ctx: HeaderFormatterContext = {
  downstreamRemoteAddress: '10.1.2.3:45678',
  downstreamLocalAddress: '[fd00::1]:8080',
  protocol: 'HTTP/1.1',
  routeName: 'r1',
};

const append = (key: string, value: string): HeaderValueOptionConfig => ({
  key,
  value,
  append: true,
  onlyIfAbsent: false,
});
const overwrite = (key: string, value: string): HeaderValueOptionConfig => ({
  key,
  value,
  append: false,
  onlyIfAbsent: false,
});
const ifAbsent = (key: string, value: string): HeaderValueOptionConfig => ({
  key,
  value,
  append: true,
  onlyIfAbsent: true,
});

function mutate(
  start: Record<string, string>,
  toAdd: HeaderValueOptionConfig[],
  toRemove: string[] = [],
): Record<string, string> {
  const headers: HeaderMap = new Map(Object.entries(start));
  applyHeaderMutations(headers, toAdd, toRemove, ctx);
  return Object.fromEntries(headers);
}

test('append, overwrite and add-if-absent follow Envoy append_action rules', () => {
  const cases: [
    string,
    Record<string, string>,
    HeaderValueOptionConfig[],
    string[],
    Record<string, string>,
  ][] = [
    ['append to an existing header joins with a comma', { x: '0' }, [append('x', '1')], [], { x: '0,1' }],
    ['append to a missing header adds it', {}, [append('x', '1')], [], { x: '1' }],
    ['overwrite replaces every value', { x: '0,9' }, [overwrite('x', '1')], [], { x: '1' }],
    ['overwrite adds a missing header', {}, [overwrite('x', '1')], [], { x: '1' }],
    ['add-if-absent leaves a present header alone', { x: '0' }, [ifAbsent('x', '1')], [], { x: '0' }],
    ['add-if-absent adds a missing header', {}, [ifAbsent('x', '1')], [], { x: '1' }],
    [
      'two add-if-absent entries for one missing name both land',
      {},
      [ifAbsent('x', 'a'), ifAbsent('x', 'b')],
      [],
      { x: 'a,b' },
    ],
    [
      'overwrites apply before appends, whatever the config order',
      { x: '0' },
      [append('x', '1'), overwrite('x', '2')],
      [],
      { x: '2,1' },
    ],
    ['removal happens before additions', { x: '0', y: '5' }, [append('x', '1')], ['x', 'Y'], { x: '1' }],
    ['add-if-absent sees the removals', { x: '0' }, [ifAbsent('x', '1')], ['x'], { x: '1' }],
    ['an empty value is not added', { x: '0' }, [overwrite('x', ''), append('z', '')], [], { x: '0' }],
    ['header names are lower-cased', {}, [append('X-Custom', 'v')], [], { 'x-custom': 'v' }],
    [
      'pseudo-headers and host are never modified or removed',
      { ':path': '/a', host: 'h' },
      [overwrite(':path', '/b'), overwrite('host', 'x')],
      [':path', 'Host'],
      { ':path': '/a', host: 'h' },
    ],
  ];
  for (const [why, start, toAdd, toRemove, expected] of cases) {
    assert.deepEqual(mutate(start, toAdd, toRemove), expected, why);
  }
});

test('values are formatted against the headers after removal and before this level adds', () => {
  assert.deepEqual(mutate({ 'x-a': 'A' }, [append('x-copy', '%REQ(X-A)%'), overwrite('x-a', 'B')]), {
    'x-a': 'B',
    'x-copy': 'A',
  });
  assert.deepEqual(
    mutate({ 'x-a': 'A' }, [append('x-copy', '%REQ(x-a)%')], ['x-a']),
    {},
    'removed, so empty, so skipped',
  );
});

test('formatHeaderValue substitutes the supported commands and leaves others literal', () => {
  const headers: HeaderMap = new Map([
    ['x-b', 'bee'],
    ['x-long', 'abcdef'],
    ['x-request-id', 'rid-1'],
  ]);
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['%DOWNSTREAM_REMOTE_ADDRESS%', '10.1.2.3:45678'],
    ['ip=%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%;', 'ip=10.1.2.3;'],
    ['%DOWNSTREAM_LOCAL_ADDRESS%', '[fd00::1]:8080'],
    ['%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%', 'fd00::1'],
    ['%PROTOCOL%', 'HTTP/1.1'],
    ['%ROUTE_NAME%', 'r1'],
    ['%REQUEST_ID%', 'rid-1'],
    ['%REQ(x-a?x-b)%', 'bee'],
    ['%REQ(x-missing)%', ''],
    ['%REQ(x-long):3%', 'abc'],
    ['100%%', '100%'],
    ['100%', '100%'],
    ['%UPSTREAM_METADATA(["a","b"])%', '%UPSTREAM_METADATA(["a","b"])%'],
    ['%NOT_A_COMMAND% and %PROTOCOL%', '%NOT_A_COMMAND% and HTTP/1.1'],
  ];
  for (const [template, expected] of cases)
    assert.equal(formatHeaderValue(template, headers, ctx), expected, template);
  const response: HeaderMap = new Map();
  assert.equal(
    formatHeaderValue('%REQ(x-b)%', response, { ...ctx, requestHeadersForResponse: headers }),
    'bee',
  );
});

function level(name: string): {
  requestHeadersToAdd: HeaderValueOptionConfig[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderValueOptionConfig[];
  responseHeadersToRemove: string[];
} {
  return {
    requestHeadersToAdd: [overwrite('x-level', name), append('x-trail', name)],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [overwrite('x-level', name)],
    responseHeadersToRemove: [],
  };
}

const config: RouteConfiguration = { name: 'rc', virtualHosts: [], ...level('config') };
const vhost: VirtualHostConfig = {
  name: 'vh',
  domains: ['*'],
  routes: [],
  retryPolicy: undefined,
  includeRequestAttemptCount: false,
  includeAttemptCountInResponse: false,
  faultOverride: undefined,
  ...level('vhost'),
};
const route: RouteConfigEntry = {
  name: 'r',
  match: {
    path: { kind: 'prefix', value: '/' },
    caseSensitive: true,
    headers: [],
    queryParameters: [],
    grpcOnly: false,
  },
  action: { kind: 'direct_response', status: 200, body: undefined },
  faultOverride: undefined,
  ...level('route'),
};
const weighted: WeightedClusterConfig = {
  name: 'c1',
  weight: 1,
  requestHeadersToAdd: [overwrite('x-level', 'cluster'), append('x-trail', 'cluster')],
  responseHeadersToAdd: [overwrite('x-level', 'cluster')],
};

test('request header levels: route, vhost, route config by default, so the route config wins', () => {
  const headers: HeaderMap = new Map();
  applyHeaderMutationLayers(headers, requestHeaderMutationLayers(config, vhost, route), ctx);
  assert.deepEqual(Object.fromEntries(headers), { 'x-level': 'config', 'x-trail': 'route,vhost,config' });
});

test('most_specific_header_mutations_wins reverses the order so the route wins', () => {
  const headers: HeaderMap = new Map();
  const layers = requestHeaderMutationLayers(config, vhost, route, { mostSpecificHeaderMutationsWins: true });
  applyHeaderMutationLayers(headers, layers, ctx);
  assert.deepEqual(Object.fromEntries(headers), { 'x-level': 'route', 'x-trail': 'config,vhost,route' });
});

test('weighted cluster headers are applied before every other level', () => {
  const headers: HeaderMap = new Map();
  applyHeaderMutationLayers(
    headers,
    requestHeaderMutationLayers(config, vhost, route, { weightedCluster: weighted }),
    ctx,
  );
  assert.deepEqual(Object.fromEntries(headers), {
    'x-level': 'config',
    'x-trail': 'cluster,route,vhost,config',
  });
  const response: HeaderMap = new Map();
  const layers = responseHeaderMutationLayers(config, vhost, route, {
    weightedCluster: weighted,
    mostSpecificHeaderMutationsWins: true,
  });
  applyHeaderMutationLayers(response, layers, ctx);
  assert.equal(response.get('x-level'), 'route');
  assert.deepEqual(
    responseHeaderMutationLayers(config, vhost, route).map((l) => l.toAdd[0]?.value),
    ['route', 'vhost', 'config'],
  );
});

test('a StreamInfo serves as the formatter context', () => {
  const info = new StreamInfo(0, 0, 'HTTP/2');
  info.downstreamRemoteAddress = '192.0.2.7:4000';
  const headers: HeaderMap = new Map();
  applyHeaderMutations(
    headers,
    [append('x-client', '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %PROTOCOL%')],
    [],
    info,
  );
  assert.equal(headers.get('x-client'), '192.0.2.7 HTTP/2');
});
