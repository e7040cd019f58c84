/**
 * Proxyless gRPC clients (`GENERATOR: grpc`) get Istio's grpcgen shapes, and every resource obeys
 * what the real grpc-js-xds 1.14 client accepts (real-peers.md §1.3): the rules are walked here, and
 * each resource is also encoded to protobuf and run through grpc-js-xds's own resource decoders
 * (the code that ACKs or NACKs on the wire).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from '@grpc/grpc-js-xds';
import { ClusterResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/cluster-resource-type.js';
import { EndpointResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/endpoint-resource-type.js';
import { ListenerResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type.js';
import { RouteConfigurationResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/route-config-resource-type.js';
import { encodeAnyJson } from '../../src/envoy/proto-json-codec.js';
import { XdsTypeUrl, type XdsResourceSet } from '../../src/envoy/xds-resource.js';
import { defaultMeshConfig } from '../../src/istio/istio-config.js';
import { resolveProxyContext } from '../../src/translate/resolve-proxy-context.js';
import { configEntry, istioSnapshot } from '../../src/translate/testing/registry-builder.js';
import { Translator } from '../../src/translate/translator.js';
import { seedIstio, seedRegistry } from './support/seed-lab.js';
import { assertCanonicalProtoJson } from './support/resource-validity.js';

type Json = Record<string, unknown>;

// The client's HTTP filters and LB policies validate only once registered, as in a real client.
register();

const registry = seedRegistry();
const node = {
  id: 'grpc-client-in-1a',
  locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
  metadata: { GENERATOR: 'grpc', NAMESPACE: 'default', CLUSTER_ID: 'cluster-2' },
};
const proxy = resolveProxyContext(node, registry, { clusterId: 'cluster-2', network: '' });

function resourcesWith(istio = seedIstio(true)): XdsResourceSet {
  return new Translator().translate({ registry, istio, mesh: defaultMeshConfig, proxy }).resources;
}

function values(set: XdsResourceSet, type: XdsTypeUrl): Json[] {
  return [...(set.get(type)?.values() ?? [])] as Json[];
}

const routerType = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const knownFilterTypes = new Set([
  routerType,
  'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
]);

/** real-peers.md §1.3, rule by rule; returns the violations. */
function grpcViolations(set: XdsResourceSet): string[] {
  const bad: string[] = [];
  for (const l of values(set, XdsTypeUrl.listener)) {
    const hcm = (l['api_listener'] as Json | undefined)?.['api_listener'] as Json | undefined;
    if (hcm === undefined) bad.push(`${l['name']}: no api_listener HCM`);
    if (l['listener_filters'] !== undefined || l['use_original_dst'] !== undefined)
      bad.push(`${l['name']}: listener_filters/use_original_dst`);
    const filters = (hcm?.['http_filters'] as Json[] | undefined) ?? [];
    const names = filters.map((f) => f['name']);
    if (new Set(names).size !== names.length) bad.push(`${l['name']}: duplicate filter names`);
    filters.forEach((f, i) => {
      const type = (f['typed_config'] as Json | undefined)?.['@type'] as string;
      if (!knownFilterTypes.has(type) && f['is_optional'] !== true)
        bad.push(`${l['name']}: unknown filter ${type}`);
      if ((type === routerType) !== (i === filters.length - 1))
        bad.push(`${l['name']}: router not (only) last`);
    });
    const source = ((hcm?.['rds'] as Json | undefined)?.['config_source'] as Json | undefined) ?? {};
    if (source['ads'] === undefined && source['self'] === undefined)
      bad.push(`${l['name']}: rds config_source not ads/self`);
  }
  for (const rc of values(set, XdsTypeUrl.routeConfiguration)) {
    for (const vh of (rc['virtual_hosts'] as Json[] | undefined) ?? []) {
      for (const d of vh['domains'] as string[]) {
        const stars = d.split('*').length - 1;
        if (stars > 1 || (stars === 1 && !d.startsWith('*') && !d.endsWith('*')))
          bad.push(`${rc['name']}: domain ${d}`);
      }
      for (const r of vh['routes'] as Json[]) {
        const m = r['match'] as Json;
        if (!['prefix', 'path', 'safe_regex'].some((k) => k in m)) bad.push(`${rc['name']}: path matcher`);
        const action = r['route'] as Json | undefined;
        if (action === undefined && r['non_forwarding_action'] === undefined)
          bad.push(`${rc['name']}: action`);
        if (
          action !== undefined &&
          !['cluster', 'weighted_clusters', 'cluster_header'].some((k) => k in action)
        )
          bad.push(`${rc['name']}: cluster specifier`);
        const retry = action?.['retry_policy'] as Json | undefined;
        if (retry !== undefined && ((retry['num_retries'] as number | undefined) ?? 1) < 1)
          bad.push(`${rc['name']}: num_retries`);
        if (
          retry?.['retry_back_off'] !== undefined &&
          (retry['retry_back_off'] as Json)['base_interval'] === undefined
        )
          bad.push(`${rc['name']}: base_interval`);
      }
    }
  }
  for (const c of values(set, XdsTypeUrl.cluster)) {
    if (c['type'] !== 'EDS') bad.push(`${c['name']}: type ${c['type']}`);
    if (((c['eds_cluster_config'] as Json)['eds_config'] as Json)['ads'] === undefined)
      bad.push(`${c['name']}: eds_config not ads`);
    if (c['lb_policy'] !== undefined && c['lb_policy'] !== 'RING_HASH')
      bad.push(`${c['name']}: lb_policy ${c['lb_policy']}`);
    if (c['outlier_detection'] !== undefined)
      bad.push(`${c['name']}: outlier_detection (grpcgen never sets it)`);
  }
  for (const cla of values(set, XdsTypeUrl.clusterLoadAssignment)) {
    const priorities = new Set<number>();
    const localities = new Set<string>();
    const addresses = new Set<string>();
    for (const g of (cla['endpoints'] as Json[] | undefined) ?? []) {
      const p = (g['priority'] as number | undefined) ?? 0;
      priorities.add(p);
      if (g['locality'] === undefined) bad.push(`${cla['cluster_name']}: locality missing`);
      if (typeof g['load_balancing_weight'] !== 'number' || (g['load_balancing_weight'] as number) < 1)
        bad.push(`${cla['cluster_name']}: unweighted locality`);
      const key = `${p}|${JSON.stringify(g['locality'])}`;
      if (localities.has(key)) bad.push(`${cla['cluster_name']}: locality twice in a priority`);
      localities.add(key);
      for (const e of g['lb_endpoints'] as Json[]) {
        const sa = ((e['endpoint'] as Json)['address'] as Json)['socket_address'] as Json;
        const address = `${sa['address']}:${sa['port_value']}`;
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(sa['address'] as string)) bad.push(`${address}: not an IP literal`);
        if (addresses.has(address)) bad.push(`${address}: duplicate`);
        addresses.add(address);
        if (e['health_status'] !== undefined && e['health_status'] !== 'HEALTHY')
          bad.push(`${address}: health ${e['health_status']}`);
      }
    }
    const sorted = [...priorities].sort((a, b) => a - b);
    if (sorted.some((p, i) => p !== i)) bad.push(`${cla['cluster_name']}: priorities ${sorted.join(',')}`);
  }
  return bad;
}

const decoders = new Map<string, { decode(context: never, resource: never): { error?: string } }>([
  [XdsTypeUrl.listener, ListenerResourceType.get()],
  [XdsTypeUrl.routeConfiguration, RouteConfigurationResourceType.get()],
  [XdsTypeUrl.cluster, ClusterResourceType.get()],
  [XdsTypeUrl.clusterLoadAssignment, EndpointResourceType.get()],
] as never);

/** What grpc-js-xds would NACK: each resource through the client's own decoder. */
function grpcJsXdsErrors(set: XdsResourceSet): string[] {
  const errors: string[] = [];
  const context = { server: {}, bootstrap: { certificateProviders: {} } };
  for (const [type, resources] of set) {
    const decoder = decoders.get(type);
    assert.ok(decoder);
    for (const [name, resource] of resources) {
      const any = encodeAnyJson(resource as Json);
      const result = decoder.decode(
        context as never,
        { type_url: any.type_url, value: Buffer.from(any.value) } as never,
      );
      if (result.error !== undefined) errors.push(`${name}: ${result.error}`);
    }
  }
  return errors;
}

test('a proxyless gRPC client gets api_listeners for the FQDN and its namespace short forms, routed by RDS', () => {
  const set = resourcesWith();
  const names = [...(set.get(XdsTypeUrl.listener)?.keys() ?? [])].filter((n) => n.includes('mockb'));
  assert.deepEqual(
    names.sort(),
    [
      'mockb.default.svc.cluster.local:8000',
      'mockb.default.svc:8000',
      'mockb.default:8000',
      'mockb:8000',
    ].sort(),
  );
  const hcm = ((set.get(XdsTypeUrl.listener)?.get('mockb:8000') as Json)['api_listener'] as Json)[
    'api_listener'
  ] as Json;
  assert.deepEqual(hcm['rds'], {
    config_source: { ads: {} },
    route_config_name: 'outbound|8000||mockb.default.svc.cluster.local',
  });
  const route = set
    .get(XdsTypeUrl.routeConfiguration)
    ?.get('outbound|8000||mockb.default.svc.cluster.local') as Json;
  const vh = (route['virtual_hosts'] as Json[]).find(
    (v) => v['name'] === 'mockb.default.svc.cluster.local:8000',
  ) as Json;
  assert.ok((vh['domains'] as string[]).includes('mockb:8000'), 'gRPC matches the authority with its port');
});

test('gRPC clusters are EDS with the default round robin and no outlier detection, even with the seed DestinationRule', () => {
  const cluster = resourcesWith()
    .get(XdsTypeUrl.cluster)
    ?.get('outbound|8000||mockb.default.svc.cluster.local') as Json;
  assert.deepEqual(cluster, {
    '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    name: 'outbound|8000||mockb.default.svc.cluster.local',
    type: 'EDS',
    eds_cluster_config: {
      service_name: 'outbound|8000||mockb.default.svc.cluster.local',
      eds_config: { ads: {} },
    },
    alt_stat_name: 'outbound|8000||mockb.default.svc.cluster.local;',
  });
});

test('gRPC assignments follow the DestinationRule failover with contiguous priorities, every locality weighted', () => {
  const cla = resourcesWith()
    .get(XdsTypeUrl.clusterLoadAssignment)
    ?.get('outbound|8000||mockb.default.svc.cluster.local') as Json;
  const byZone = Object.fromEntries(
    (cla['endpoints'] as Json[]).map((g) => [(g['locality'] as Json)['zone'], g['priority'] ?? 0]),
  );
  assert.deepEqual(byZone, {
    'ap-northeast-1a': 0,
    'ap-northeast-1b': 1,
    'cn-hangzhou-h': 2,
    'cn-hangzhou-k': 2,
  });
});

const scenarios: ReadonlyArray<[string, () => XdsResourceSet]> = [
  ['the seed with DestinationRules', () => resourcesWith()],
  ['the seed without DestinationRules', () => resourcesWith(seedIstio(false))],
  [
    'a VirtualService with weights, retries, a timeout and a fault, and failoverPriority',
    () =>
      resourcesWith(
        istioSnapshot({
          destinationRules: [
            configEntry('DestinationRule', 'mockb', 'default', {
              host: 'mockb',
              trafficPolicy: {
                outlierDetection: { consecutive5xxErrors: 2 },
                loadBalancer: {
                  localityLbSetting: {
                    failoverPriority: ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone'],
                  },
                },
              },
              subsets: [{ name: 'east', labels: { locality: 'cn-hangzhou-h' } }],
            }),
          ],
          virtualServices: [
            configEntry('VirtualService', 'mockb', 'default', {
              hosts: ['mockb'],
              http: [
                {
                  name: 'split',
                  match: [{ uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'a' } } }],
                  route: [
                    { destination: { host: 'mockb', subset: 'east' }, weight: 20 },
                    { destination: { host: 'mockb' }, weight: 80 },
                  ],
                  timeout: '3s',
                  retries: { attempts: 3, retryOn: 'unavailable,503', perTryTimeout: '1s' },
                  fault: { delay: { fixedDelay: '1s', percentage: { value: 10 } } },
                },
              ],
            }),
          ],
        }),
      ),
  ],
];

for (const [name, build] of scenarios) {
  test(`grpcgen resources obey every grpc-js-xds rule and decode without a NACK: ${name}`, () => {
    const set = build();
    assertCanonicalProtoJson(set);
    assert.deepEqual(grpcViolations(set), []);
    assert.deepEqual(grpcJsXdsErrors(set), []);
  });
}

test('the rule walker and the real decoders catch what grpc-js-xds rejects', () => {
  const set = resourcesWith();
  const bad = new Map(set);
  const cluster = set.get(XdsTypeUrl.cluster)?.get('outbound|8000||mockb.default.svc.cluster.local') as Json;
  bad.set(
    XdsTypeUrl.cluster,
    new Map([[cluster['name'] as string, { ...cluster, lb_policy: 'LEAST_REQUEST' } as never]]),
  );
  bad.set(XdsTypeUrl.clusterLoadAssignment, new Map());
  bad.set(XdsTypeUrl.listener, new Map());
  bad.set(XdsTypeUrl.routeConfiguration, new Map());
  assert.deepEqual(grpcViolations(bad), [
    'outbound|8000||mockb.default.svc.cluster.local: lb_policy LEAST_REQUEST',
  ]);
  assert.equal(grpcJsXdsErrors(bad).length, 1);
});
