import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XdsTypeUrl, type XdsResourceJson } from '../envoy/xds-resource.js';
import { defaultMeshConfig } from '../istio/istio-config.js';
import { checkResourceSet } from './check-resource-set.js';
import { generateProxyResources } from './generate-proxy-resources.js';
import { resolveProxyContext } from './resolve-proxy-context.js';
import { configEntry, istioSnapshot, seedRegistry } from './testing/registry-builder.js';
import { Translator } from './translator.js';

type Json = Record<string, unknown>;
const registry = seedRegistry().build();
const defaults = { clusterId: 'cluster-2', network: '' };
const node = (pod: string, ip: string) => ({ id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local` });
const mockb = 'outbound|8000||mockb.default.svc.cluster.local';

function translate(istio = istioSnapshot(), pod = 'mocka-ap-northeast-1a-6d9f7c-x3', ip = '127.84.1.3') {
  const proxy = resolveProxyContext(node(pod, ip), registry, defaults);
  return generateProxyResources({ registry, istio, mesh: defaultMeshConfig, proxy });
}

function cluster(istio: ReturnType<typeof istioSnapshot>, name = mockb): Json {
  return translate(istio).get(XdsTypeUrl.cluster)?.get(name) as Json;
}

test('proxies of one namespace and zone share cluster and assignment objects; another zone shares clusters only', () => {
  const translator = new Translator();
  const istio = istioSnapshot({
    destinationRules: [
      configEntry('DestinationRule', 'mockb', 'default', {
        host: 'mockb',
        trafficPolicy: { outlierDetection: {} },
      }),
    ],
  });
  const run = (pod: string, ip: string) =>
    translator.translate({
      registry,
      istio,
      mesh: defaultMeshConfig,
      proxy: resolveProxyContext(node(pod, ip), registry, defaults),
    }).resources;
  const a = run('mocka-ap-northeast-1a-6d9f7c-x3', '127.84.1.3');
  const c = run('mockc-ap-northeast-1a-6d9f7c-x3', '127.84.3.3');
  const b = run('mocka-ap-northeast-1b-6d9f7c-x4', '127.84.1.4');
  assert.equal(a.get(XdsTypeUrl.clusterLoadAssignment), c.get(XdsTypeUrl.clusterLoadAssignment));
  assert.notEqual(a.get(XdsTypeUrl.clusterLoadAssignment), b.get(XdsTypeUrl.clusterLoadAssignment));
  assert.equal(a.get(XdsTypeUrl.cluster)?.get(mockb), b.get(XdsTypeUrl.cluster)?.get(mockb));
  // Without failover the assignment is the same object for every zone.
  assert.equal(
    a.get(XdsTypeUrl.clusterLoadAssignment)?.get('outbound|8000||mocka.default.svc.cluster.local'),
    b.get(XdsTypeUrl.clusterLoadAssignment)?.get('outbound|8000||mocka.default.svc.cluster.local'),
  );
});

test('a new endpoints array for one service recomputes only that service', () => {
  const translator = new Translator();
  const istio = istioSnapshot();
  const proxy = resolveProxyContext(
    node('mocka-ap-northeast-1a-6d9f7c-x3', '127.84.1.3'),
    registry,
    defaults,
  );
  const before = translator.translate({ registry, istio, mesh: defaultMeshConfig, proxy }).resources;
  const endpoints = new Map(registry.endpoints);
  endpoints.set(
    'mockb.default.svc.cluster.local',
    (registry.endpoints.get('mockb.default.svc.cluster.local') ?? []).slice(1),
  );
  const after = translator.translate({
    registry: { ...registry, version: 2, endpoints },
    istio,
    mesh: defaultMeshConfig,
    proxy,
  }).resources;
  const cla = (set: typeof before, name: string) =>
    set.get(XdsTypeUrl.clusterLoadAssignment)?.get(name) as Json;
  assert.notDeepEqual(cla(after, mockb), cla(before, mockb));
  assert.equal(
    cla(after, 'outbound|8000||mockc.default.svc.cluster.local'),
    cla(before, 'outbound|8000||mockc.default.svc.cluster.local'),
  );
  assert.equal(after.get(XdsTypeUrl.cluster)?.get(mockb), before.get(XdsTypeUrl.cluster)?.get(mockb));
});

test('an endpoint change in a copied registry keeps the namespace view and every other assignment', () => {
  // The registry copies its services map (and rebuilds the changed service) on endpoint changes.
  const translator = new Translator();
  const istio = istioSnapshot({
    destinationRules: [
      configEntry('DestinationRule', 'all', 'default', {
        host: '*.default.svc.cluster.local',
        trafficPolicy: { outlierDetection: {} },
      }),
    ],
  });
  const proxy = resolveProxyContext(
    node('mocka-ap-northeast-1a-6d9f7c-x3', '127.84.1.3'),
    registry,
    defaults,
  );
  const before = translator.translate({ registry, istio, mesh: defaultMeshConfig, proxy }).resources;
  const services = new Map(registry.services);
  const mockbHost = 'mockb.default.svc.cluster.local';
  const mockbService = registry.services.get(mockbHost);
  if (mockbService !== undefined)
    services.set(mockbHost, { ...mockbService, ports: [...mockbService.ports] });
  const endpoints = new Map(registry.endpoints);
  endpoints.set(mockbHost, (registry.endpoints.get(mockbHost) ?? []).slice(1));
  const copied = { ...registry, version: 2, services, endpoints };
  const after = translator.translate({ registry: copied, istio, mesh: defaultMeshConfig, proxy }).resources;
  // Outbound clusters and routes come from the namespace view (inbound ones are the proxy's own).
  for (const type of [XdsTypeUrl.cluster, XdsTypeUrl.routeConfiguration])
    for (const [name, resource] of after.get(type) ?? [])
      if (!name.startsWith('inbound|'))
        assert.equal(resource, before.get(type)?.get(name), `${name}: the same object`);
  const cla = (set: typeof before, name: string) => set.get(XdsTypeUrl.clusterLoadAssignment)?.get(name);
  const mockc = 'outbound|8000||mockc.default.svc.cluster.local';
  assert.equal(cla(after, mockc), cla(before, mockc));
  assert.notDeepEqual(cla(after, mockb), cla(before, mockb));
  // The same as a translator that never saw the old snapshot.
  const fresh = new Translator().translate({
    registry: copied,
    istio,
    mesh: defaultMeshConfig,
    proxy,
  }).resources;
  assert.deepEqual(
    [...(after.get(XdsTypeUrl.clusterLoadAssignment) ?? [])],
    [...(fresh.get(XdsTypeUrl.clusterLoadAssignment) ?? [])],
  );
  assert.deepEqual([...(after.get(XdsTypeUrl.cluster) ?? [])], [...(fresh.get(XdsTypeUrl.cluster) ?? [])]);
  // A real service change (another port) is not mistaken for the same services.
  const changedServices = new Map(services);
  if (mockbService !== undefined)
    changedServices.set(mockbHost, {
      ...mockbService,
      ports: [...mockbService.ports, { name: 'http-admin', port: 9000, protocol: 'TCP', targetPort: 9000 }],
    });
  const changed = translator.translate({
    registry: { ...copied, version: 3, services: changedServices },
    istio,
    mesh: defaultMeshConfig,
    proxy,
  }).resources;
  assert.ok(changed.get(XdsTypeUrl.cluster)?.has('outbound|9000||mockb.default.svc.cluster.local'));
});

test('DestinationRule lookup: the proxy namespace first, then the service namespace, then the root namespace', () => {
  const policy = (n: number) => ({ trafficPolicy: { connectionPool: { tcp: { maxConnections: n } } } });
  const limit = (c: Json) =>
    (((c['circuit_breakers'] as Json)['thresholds'] as Json[])[0] as Json)['max_connections'];
  const root = configEntry('DestinationRule', 'root', 'istio-system', {
    host: '*.default.svc.cluster.local',
    ...policy(3),
  });
  const service = configEntry('DestinationRule', 'svc', 'default', {
    host: 'mockb',
    ...policy(2),
    exportTo: ['*'],
  });
  assert.equal(limit(cluster(istioSnapshot({ destinationRules: [root] }))), 3);
  assert.equal(limit(cluster(istioSnapshot({ destinationRules: [root, service] }))), 2);
  const privateRule = configEntry('DestinationRule', 'other', 'other', {
    host: 'mockb.default.svc.cluster.local',
    ...policy(9),
    exportTo: ['.'],
  });
  assert.equal(limit(cluster(istioSnapshot({ destinationRules: [root, privateRule] }))), 3);
});

test('two rules for one host merge: the oldest traffic policy wins, subsets are joined', () => {
  const older = configEntry(
    'DestinationRule',
    'a',
    'default',
    {
      host: 'mockb',
      trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
      subsets: [{ name: 'v1', labels: { v: '1' } }],
    },
    '2025-01-01T00:00:00Z',
  );
  const newer = configEntry(
    'DestinationRule',
    'b',
    'default',
    {
      host: 'mockb',
      trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } },
      subsets: [{ name: 'v2', labels: { v: '2' } }],
    },
    '2025-02-01T00:00:00Z',
  );
  const set = translate(istioSnapshot({ destinationRules: [newer, older] }));
  assert.equal((set.get(XdsTypeUrl.cluster)?.get(mockb) as Json)['lb_policy'], 'RANDOM');
  assert.ok(set.get(XdsTypeUrl.cluster)?.has('outbound|8000|v1|mockb.default.svc.cluster.local'));
  assert.ok(set.get(XdsTypeUrl.cluster)?.has('outbound|8000|v2|mockb.default.svc.cluster.local'));
});

test('connection pool settings become circuit breakers and protocol options; ROUND_ROBIN is the implicit lb_policy', () => {
  const c = cluster(
    istioSnapshot({
      destinationRules: [
        configEntry('DestinationRule', 'mockb', 'default', {
          host: 'mockb',
          trafficPolicy: {
            loadBalancer: { simple: 'ROUND_ROBIN' },
            connectionPool: {
              tcp: { maxConnections: 10, connectTimeout: '250ms' },
              http: {
                http1MaxPendingRequests: 5,
                http2MaxRequests: 20,
                maxRetries: 1,
                idleTimeout: '30s',
                maxRequestsPerConnection: 7,
                h2UpgradePolicy: 'UPGRADE',
                maxConcurrentStreams: 9,
              },
            },
          },
        }),
      ],
    }),
  );
  assert.equal(c['lb_policy'], undefined);
  assert.equal(c['connect_timeout'], '0.25s');
  assert.deepEqual(c['circuit_breakers'], {
    thresholds: [
      {
        max_connections: 10,
        max_pending_requests: 5,
        max_requests: 20,
        max_retries: 1,
        track_remaining: true,
      },
    ],
  });
  assert.deepEqual(c['typed_extension_protocol_options'], {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 7 },
      explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 9 } },
    },
  });
});

test('a subset replaces the destination outlier detection; a port-level policy replaces everything', () => {
  const set = translate(
    istioSnapshot({
      destinationRules: [
        configEntry('DestinationRule', 'mockb', 'default', {
          host: 'mockb',
          trafficPolicy: {
            outlierDetection: { consecutive5xxErrors: 7 },
            loadBalancer: { simple: 'RANDOM' },
            portLevelSettings: [{ port: { number: 9999 }, loadBalancer: { simple: 'ROUND_ROBIN' } }],
          },
          subsets: [
            {
              name: 'v2',
              labels: { locality: 'ap-northeast-1b' },
              trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2 } },
            },
          ],
        }),
      ],
    }),
  );
  const subset = set.get(XdsTypeUrl.cluster)?.get('outbound|8000|v2|mockb.default.svc.cluster.local') as Json;
  assert.deepEqual(subset['outlier_detection'], {
    consecutive_gateway_failure: 2,
    enforcing_consecutive_gateway_failure: 100,
    enforcing_success_rate: 0,
  });
  assert.equal(subset['lb_policy'], 'RANDOM');
  assert.equal(((subset['metadata'] as Json)['filter_metadata'] as Json)['istio'] !== undefined, true);
  const cla = set
    .get(XdsTypeUrl.clusterLoadAssignment)
    ?.get('outbound|8000|v2|mockb.default.svc.cluster.local') as Json;
  assert.deepEqual(
    (cla['endpoints'] as Json[]).map((g) => (g['locality'] as Json)['zone']),
    ['ap-northeast-1b'],
  );
});

test('explicit failover rules or failoverPriority turn on locality-weighted LB; outlier detection alone does not', () => {
  const withSetting = (localityLbSetting: unknown) =>
    cluster(
      istioSnapshot({
        destinationRules: [
          configEntry('DestinationRule', 'mockb', 'default', {
            host: 'mockb',
            trafficPolicy: { outlierDetection: {}, loadBalancer: { localityLbSetting } },
          }),
        ],
      }),
    );
  assert.deepEqual(
    withSetting({ failover: [{ from: 'ap-northeast-1', to: 'cn-hangzhou' }] })['common_lb_config'],
    { healthy_panic_threshold: {}, locality_weighted_lb_config: {} },
  );
  assert.deepEqual(withSetting({ enabled: true })['common_lb_config'], { healthy_panic_threshold: {} });
});

test('unhealthy endpoints are left out; trafficDistribution sends them, forces failover and disables panic mode', () => {
  const b = seedRegistry();
  b.service({ name: 'tdist', trafficDistribution: 'PreferClose' });
  b.pod({
    name: 'tdist-1',
    clusterId: 'cluster-2',
    ip: '127.84.7.1',
    zone: 'ap-northeast-1a',
    labels: { app: 'tdist' },
  });
  b.pod({
    name: 'tdist-2',
    clusterId: 'cluster-2',
    ip: '127.84.7.2',
    zone: 'ap-northeast-1b',
    labels: { app: 'tdist' },
    health: 'unhealthy',
  });
  b.pod({
    name: 'mockb-sick',
    clusterId: 'cluster-2',
    ip: '127.84.2.9',
    zone: 'ap-northeast-1a',
    labels: { app: 'mockb' },
    health: 'unhealthy',
  });
  const reg = b.build();
  const proxy = resolveProxyContext(node('mocka-ap-northeast-1a-6d9f7c-x3', '127.84.1.3'), reg, defaults);
  const set = generateProxyResources({
    registry: reg,
    istio: istioSnapshot(),
    mesh: defaultMeshConfig,
    proxy,
  });
  const addresses = (name: string) =>
    ((set.get(XdsTypeUrl.clusterLoadAssignment)?.get(name) as Json)['endpoints'] as Json[]).flatMap((g) =>
      (g['lb_endpoints'] as Json[]).map((e) => [
        (((e['endpoint'] as Json)['address'] as Json)['socket_address'] as Json)['address'],
        e['health_status'],
        g['priority'] ?? 0,
      ]),
    );
  assert.ok(!addresses(mockb).some(([a]) => a === '127.84.2.9'));
  assert.deepEqual(addresses('outbound|8000||tdist.default.svc.cluster.local'), [
    ['127.84.7.1', 'HEALTHY', 0],
    ['127.84.7.2', 'UNHEALTHY', 1],
  ]);
  // The forced failoverPriority also turns on locality-weighted LB (applyLocalityLoadBalancer).
  assert.deepEqual(
    (set.get(XdsTypeUrl.cluster)?.get('outbound|8000||tdist.default.svc.cluster.local') as Json)[
      'common_lb_config'
    ],
    {
      healthy_panic_threshold: {},
      locality_weighted_lb_config: {},
    },
  );
});

test('checkResourceSet reports missing assignments, routes and clusters, gaps, unweighted and duplicate localities', () => {
  const set = translate();
  const broken = new Map(set);
  const claName = 'outbound|8000||mockc.default.svc.cluster.local';
  const assignments = new Map(set.get(XdsTypeUrl.clusterLoadAssignment));
  assignments.delete(claName);
  const loc = { region: 'r', zone: 'z' };
  const ep = (priority: number, weight?: number) => ({
    locality: loc,
    lb_endpoints: [],
    ...(weight === undefined ? {} : { load_balancing_weight: weight }),
    ...(priority === 0 ? {} : { priority }),
  });
  assignments.set(mockb, {
    '@type': XdsTypeUrl.clusterLoadAssignment,
    cluster_name: mockb,
    endpoints: [ep(0, 1), ep(0, 1), ep(2)],
  } as XdsResourceJson);
  broken.set(XdsTypeUrl.clusterLoadAssignment, assignments);
  broken.set(XdsTypeUrl.routeConfiguration, new Map());
  const clusters = new Map(set.get(XdsTypeUrl.cluster));
  clusters.delete('outbound|8000||mocka.default.svc.cluster.local');
  broken.set(XdsTypeUrl.cluster, clusters);
  const problems = checkResourceSet(broken).map((p) => `${p.name} ${p.path}: ${p.problem}`);
  assert.ok(
    problems.includes(
      `${claName} eds_cluster_config.service_name: EDS cluster has no ClusterLoadAssignment "${claName}"`,
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => p.includes('uses RouteConfiguration "http_proxy", which is not in the set')),
  );
  assert.ok(
    problems.some((p) => p.startsWith(`${mockb} endpoints[1]: locality r/z/ appears twice in priority 0`)),
  );
  assert.ok(problems.some((p) => p.startsWith(`${mockb} endpoints[2].load_balancing_weight`)));
  assert.ok(problems.some((p) => p.includes('priorities are not contiguous from 0: 0, 2')));
  assert.deepEqual(checkResourceSet(set), []);
  assert.ok(
    checkResourceSet(
      new Map([
        [XdsTypeUrl.cluster, new Map([['x', { '@type': XdsTypeUrl.cluster, name: 'y' } as XdsResourceJson]])],
      ]),
    ).some((p) => p.problem.includes('named "y" but keyed "x"')),
  );
});
