import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  sealResourceMap,
  XdsTypeUrl,
  type XdsResourceJson,
  type XdsResourceSet,
} from '../envoy/xds-resource.js';
import { checkResourceSet, ResourceSetChecker } from './check-resource-set.js';

function cluster(name: string): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.cluster,
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: name },
  };
}

function assignment(name: string, priorities: number[] = [0]): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.clusterLoadAssignment,
    cluster_name: name,
    endpoints: priorities.map((priority, i) => ({
      locality: { region: 'r', zone: `z${i}` },
      load_balancing_weight: 1,
      lb_endpoints: [],
      ...(priority === 0 ? {} : { priority }),
    })),
  };
}

function routes(...clusters: string[]): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.routeConfiguration,
    name: 'http_proxy',
    virtual_hosts: clusters.map((c) => ({
      name: c,
      domains: [c, 'dup.example'],
      routes: [{ match: { prefix: '/' }, route: { cluster: c } }],
    })),
  };
}

function listener(routeName: string): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.listener,
    name: 'l',
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              rds: { route_config_name: routeName, config_source: { ads: {} } },
            },
          },
        ],
      },
    ],
  };
}

function byName(...resources: XdsResourceJson[]): Map<string, XdsResourceJson> {
  return sealResourceMap(new Map(resources.map((r) => [String(r['cluster_name'] ?? r['name']), r])));
}

function set(parts: Partial<Record<XdsTypeUrl, Map<string, XdsResourceJson>>>): XdsResourceSet {
  return new Map(Object.entries(parts)) as XdsResourceSet;
}

test('a remembering checker reports exactly what a fresh check reports, for maps shared between sets', () => {
  const checker = new ResourceSetChecker();
  const cds = byName(cluster('a'), cluster('b'));
  const cdsWithoutB = byName(cluster('a'));
  const eds = byName(assignment('a'), assignment('b', [0, 2]));
  const edsWithoutA = byName(assignment('b'));
  const rds = byName(routes('a', 'b'));
  const lds = byName(listener('http_proxy'));
  const ldsOther = byName(listener('missing'));
  const sets = [
    set({
      [XdsTypeUrl.cluster]: cds,
      [XdsTypeUrl.clusterLoadAssignment]: eds,
      [XdsTypeUrl.routeConfiguration]: rds,
      [XdsTypeUrl.listener]: lds,
    }),
    // The same route map against a cluster map without "b": its route to "b" is now dangling.
    set({
      [XdsTypeUrl.cluster]: cdsWithoutB,
      [XdsTypeUrl.clusterLoadAssignment]: eds,
      [XdsTypeUrl.routeConfiguration]: rds,
      [XdsTypeUrl.listener]: lds,
    }),
    // The same clusters against assignments without "a".
    set({
      [XdsTypeUrl.cluster]: cds,
      [XdsTypeUrl.clusterLoadAssignment]: edsWithoutA,
      [XdsTypeUrl.routeConfiguration]: rds,
      [XdsTypeUrl.listener]: ldsOther,
    }),
    // No CDS: routes are not checked against clusters.
    set({ [XdsTypeUrl.listener]: lds, [XdsTypeUrl.routeConfiguration]: rds }),
    set({
      [XdsTypeUrl.cluster]: cds,
      [XdsTypeUrl.clusterLoadAssignment]: eds,
      [XdsTypeUrl.routeConfiguration]: rds,
      [XdsTypeUrl.listener]: lds,
    }),
  ];
  const summaries = sets.map((s) => checker.check(s).map((p) => `${p.name} ${p.path}: ${p.problem}`));
  sets.forEach((s, i) =>
    assert.deepEqual(
      summaries[i],
      checkResourceSet(s).map((p) => `${p.name} ${p.path}: ${p.problem}`),
    ),
  );
  assert.ok(summaries[0]?.some((p) => p.includes('priorities are not contiguous from 0: 0, 2')));
  assert.ok(summaries[0]?.some((p) => p.includes('duplicate domain "dup.example"')));
  assert.ok(!summaries[0]?.some((p) => p.includes('which is not in the set')));
  assert.ok(summaries[1]?.some((p) => p.includes('route names cluster "b", which is not in the set')));
  assert.ok(summaries[2]?.some((p) => p.includes('EDS cluster has no ClusterLoadAssignment "a"')));
  assert.ok(summaries[2]?.some((p) => p.includes('listener uses RouteConfiguration "missing"')));
  assert.ok(!summaries[3]?.some((p) => p.includes('listener uses RouteConfiguration')));
  assert.ok(!summaries[3]?.some((p) => p.includes('route names cluster')));
  assert.deepEqual(summaries[4], summaries[0]);
});

test('a resource filed under the wrong key or type is reported in the order a fresh check uses', () => {
  const checker = new ResourceSetChecker();
  const wrong = { ...cluster('y'), '@type': XdsTypeUrl.listener } as XdsResourceJson;
  const s = set({ [XdsTypeUrl.cluster]: new Map([['x', wrong]]) });
  const problems = checker.check(s).map((p) => p.problem);
  assert.deepEqual(
    problems,
    checkResourceSet(s).map((p) => p.problem),
  );
  assert.match(problems[0] ?? '', /has @type .*Listener/);
  assert.match(problems[1] ?? '', /named "y" but keyed "x"/);
  assert.match(problems[2] ?? '', /no ClusterLoadAssignment "y"/);
});
