import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultMeshConfig } from '../istio/istio-config.js';
import { ConfigIndex, type IndexedVirtualService } from './config-index.js';
import { virtualServiceRoutes, type RouteContext } from './http-route.js';
import { convertRetryPolicy } from './retry-policy.js';
import { configEntry, istioSnapshot, seedRegistry } from './testing/registry-builder.js';

const registry = seedRegistry().build();

function vs(spec: Record<string, unknown>, namespace = 'default'): IndexedVirtualService {
  const index = new ConfigIndex(
    istioSnapshot({ virtualServices: [configEntry('VirtualService', 'r', namespace, spec)] }),
    defaultMeshConfig,
  );
  return index.virtualServices[0] as IndexedVirtualService;
}

const ctx: RouteContext = {
  proxyNamespace: 'default',
  proxyLabels: { app: 'mocka', version: 'v1' },
  gatewayNames: new Set(['mesh']),
  listenerPort: 8000,
  domainSuffix: 'cluster.local',
  isProxylessGrpc: false,
  lookupService: (h) => registry.services.get(h),
};

const mockb = 'outbound|8000||mockb.default.svc.cluster.local';
const meta = {
  filter_metadata: { istio: { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/r' } },
};

test('matches: uri prefix, headers sorted by name then method/authority/scheme, query params, case sensitivity', () => {
  const routes = virtualServiceRoutes(
    vs({
      hosts: ['mockb'],
      http: [
        {
          name: 'api',
          match: [
            {
              name: 'm1',
              uri: { prefix: '/api' },
              headers: { 'x-b': { exact: 'b' }, 'x-a': { regex: 'a.*' }, 'x-any': { regex: '*' } },
              method: { exact: 'GET' },
              authority: { prefix: 'mockb' },
              queryParams: { q: { exact: '1' }, p: {} },
              ignoreUriCase: true,
            },
          ],
          route: [{ destination: { host: 'mockb' } }],
        },
      ],
    }),
    ctx,
  );
  assert.equal(routes?.length, 1);
  const r = routes?.[0] as Record<string, unknown>;
  assert.equal(r['name'], 'api.m1');
  assert.deepEqual(r['match'], {
    prefix: '/api',
    case_sensitive: false,
    headers: [
      { name: 'x-a', string_match: { safe_regex: { regex: 'a.*' } } },
      { name: 'x-any', present_match: true },
      { name: 'x-b', string_match: { exact: 'b' } },
      { name: ':method', string_match: { exact: 'GET' } },
      { name: ':authority', string_match: { prefix: 'mockb' } },
    ],
    query_parameters: [
      { name: 'p', present_match: true },
      { name: 'q', string_match: { exact: '1' } },
    ],
  });
  assert.deepEqual(r['metadata'], meta);
  assert.deepEqual(r['decorator'], { operation: 'mockb.default.svc.cluster.local:8000/api*' });
});

test('weighted destinations with subsets, a timeout, retries with status codes and a delay fault', () => {
  const routes = virtualServiceRoutes(
    vs({
      hosts: ['mockb'],
      http: [
        {
          route: [
            {
              destination: { host: 'mockb', subset: 'v2' },
              weight: 25,
              headers: { request: { set: { 'x-v': '2' } } },
            },
            { destination: { host: 'mockb.default.svc.cluster.local', port: { number: 8000 } }, weight: 75 },
            { destination: { host: 'mockc' }, weight: 0 },
          ],
          timeout: '2.5s',
          retries: {
            attempts: 4,
            retryOn: 'gateway-error,503,connect-failure',
            perTryTimeout: '500ms',
            retryRemoteLocalities: true,
          },
          fault: {
            delay: { fixedDelay: '1s', percentage: { value: 12.5 } },
            abort: { httpStatus: 503, percentage: { value: 1 } },
          },
        },
      ],
    }),
    ctx,
  );
  const r = routes?.[0] as Record<string, unknown>;
  assert.deepEqual(r['route'], {
    timeout: '2.5s',
    weighted_clusters: {
      clusters: [
        {
          name: 'outbound|8000|v2|mockb.default.svc.cluster.local',
          weight: 25,
          request_headers_to_add: [
            { header: { key: 'x-v', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          ],
        },
        { name: mockb, weight: 75 },
      ],
    },
    retry_policy: {
      retry_on: 'gateway-error,connect-failure,retriable-status-codes',
      num_retries: 4,
      retriable_status_codes: [503],
      per_try_timeout: '0.5s',
      host_selection_retry_max_attempts: 5,
      retry_host_predicate: [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
          },
        },
      ],
      retry_priority: {
        name: 'envoy.retry_priorities.previous_priorities',
        typed_config: {
          '@type':
            'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
          update_frequency: 2,
        },
      },
    },
  });
  assert.deepEqual(r['typed_per_filter_config'], {
    'envoy.filters.http.fault': {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: { fixed_delay: '1s', percentage: { numerator: 125000, denominator: 'MILLION' } },
      abort: { http_status: 503, percentage: { numerator: 10000, denominator: 'MILLION' } },
    },
  });
  // Two clusters: the operation names the VirtualService.
  assert.deepEqual(r['decorator'], { operation: 'r:8000/*' });
});

test('rewrites, header mutations and an authority header become host_rewrite_literal', () => {
  const routes = virtualServiceRoutes(
    vs({
      hosts: ['mockb'],
      http: [
        {
          rewrite: { uri: '/v2', authority: 'new.example' },
          headers: {
            request: { add: { 'x-a': '1' }, remove: ['x-drop', ':path'] },
            response: { set: { 'x-r': 'y' } },
          },
          route: [{ destination: { host: 'mockb' } }],
        },
      ],
    }),
    ctx,
  );
  const r = routes?.[0] as Record<string, unknown>;
  assert.deepEqual(r['request_headers_to_add'], [{ header: { key: 'x-a', value: '1' } }]);
  assert.deepEqual(r['request_headers_to_remove'], ['x-drop']);
  assert.deepEqual(r['response_headers_to_add'], [
    { header: { key: 'x-r', value: 'y' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
  ]);
  const action = r['route'] as Record<string, unknown>;
  assert.equal(action['prefix_rewrite'], '/v2');
  assert.equal(action['host_rewrite_literal'], 'new.example');
  assert.equal(action['cluster'], mockb);
});

test('a port match for another port, or source labels the proxy lacks, drop the condition; a catch-all ends the list', () => {
  // The third route's first condition (source labels only) translates to prefix "/", a catch-all:
  // Istio stops there, so its second condition and the later routes are never emitted.
  const routes = virtualServiceRoutes(
    vs({
      hosts: ['mockb'],
      http: [
        { match: [{ port: 9090 }], route: [{ destination: { host: 'mockc' } }] },
        { match: [{ sourceLabels: { app: 'other' } }], route: [{ destination: { host: 'mockc' } }] },
        {
          match: [{ sourceLabels: { app: 'mocka' } }, { uri: { exact: '/x' } }],
          route: [{ destination: { host: 'mockb' } }],
        },
        { route: [{ destination: { host: 'mockc' } }] },
        { route: [{ destination: { host: 'mocka' } }] },
      ],
    }),
    ctx,
  );
  assert.deepEqual(
    routes?.map((r) => ((r['route'] as Record<string, unknown>)['cluster'] as string).split('|')[3]),
    ['mockb.default.svc.cluster.local'],
  );
});

test('redirects and direct responses', () => {
  const routes = virtualServiceRoutes(
    vs({
      hosts: ['mockb'],
      http: [
        {
          match: [{ uri: { exact: '/old' } }],
          redirect: { uri: '/new', authority: 'b.example', redirectCode: 302, port: 80 },
        },
        { directResponse: { status: 418, body: { string: 'teapot' } } },
      ],
    }),
    ctx,
  );
  assert.deepEqual(routes?.[0]?.['redirect'], {
    host_redirect: 'b.example',
    path_redirect: '/new',
    response_code: 'FOUND',
  });
  assert.deepEqual(routes?.[1]?.['direct_response'], { status: 418, body: { inline_string: 'teapot' } });
});

test('retries: none given -> Istio default; attempts 0 -> no policy; retryIgnorePreviousHosts false drops the predicate', () => {
  assert.equal(convertRetryPolicy(undefined)?.['num_retries'], 2);
  assert.equal(convertRetryPolicy({ attempts: 0 }), undefined);
  assert.equal(convertRetryPolicy({ perTryTimeout: '1s' }), undefined);
  assert.equal(
    convertRetryPolicy({ attempts: 1, retryIgnorePreviousHosts: false })?.['retry_host_predicate'],
    undefined,
  );
  assert.deepEqual(
    convertRetryPolicy({ attempts: 1, retryOn: '503,504' })?.['retry_on'],
    'retriable-status-codes',
  );
  assert.deepEqual(convertRetryPolicy({ attempts: 1, backoff: '50ms' })?.['retry_back_off'], {
    base_interval: '0.05s',
  });
});
