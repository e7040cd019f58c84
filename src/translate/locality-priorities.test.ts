import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeLocality, type Locality } from '../core/locality.js';
import { TopologyLabel, type MeshEndpoint } from '../registry/mesh-model.js';
import {
  applyFailoverPriorities,
  applyLocalityFailover,
  applyLocalityWeights,
  compactPriorities,
  failoverPriorityOf,
  lbPriority,
  type LocalityGroup,
} from './locality-priorities.js';

function group(
  locality: Locality,
  labels: Record<string, string>[] = [{}],
  weight = labels.length,
): LocalityGroup {
  return {
    locality,
    endpoints: labels.map((l, i) => ({
      endpoint: { labels: l, address: `10.0.0.${i}` } as unknown as MeshEndpoint,
      resource: {},
      weight: weight / labels.length,
    })),
    weight,
    priority: 0,
  };
}

const proxy = makeLocality('r1', 'z1', 's1');

test('lbPriority: 0 same subzone, 1 same zone, 2 same region, 3 otherwise', () => {
  assert.equal(lbPriority(proxy, makeLocality('r1', 'z1', 's1')), 0);
  assert.equal(lbPriority(proxy, makeLocality('r1', 'z1', 's2')), 1);
  assert.equal(lbPriority(proxy, makeLocality('r1', 'z2', 's1')), 2);
  assert.equal(lbPriority(proxy, makeLocality('r2', 'z1', 's1')), 3);
});

test('default failover with a failover rule: raw 0, 2, 3, 4 are compacted to 0, 1, 2, 3', () => {
  const groups = [
    group(makeLocality('r1', 'z1', 's1')),
    group(makeLocality('r1', 'z2')),
    group(makeLocality('r2', 'z1')),
    group(makeLocality('r3', 'z1')),
  ];
  const out = applyLocalityFailover(proxy, groups, [{ from: 'r1', to: 'r2' }]);
  assert.deepEqual(
    out.map((g) => g.priority),
    [0, 1, 2, 3],
  );
});

test('without failover rules every other region shares the last priority', () => {
  const groups = [
    group(makeLocality('r2', 'a')),
    group(makeLocality('r1', 'z1', 's1')),
    group(makeLocality('r3', 'b')),
  ];
  assert.deepEqual(
    applyLocalityFailover(proxy, groups, undefined).map((g) => g.priority),
    [1, 0, 1],
  );
});

test('a proxy with an empty locality puts every located endpoint at priority 0', () => {
  const groups = [group(makeLocality('r1', 'z1')), group(makeLocality('r2', 'z2'))];
  assert.deepEqual(
    applyLocalityFailover(makeLocality(), groups, undefined).map((g) => g.priority),
    [0, 0],
  );
});

test('compaction renumbers distinct priorities without gaps and keeps equal ones equal', () => {
  const groups = [5, 0, 5, 12].map((priority) => ({ ...group(makeLocality('r')), priority }));
  assert.deepEqual(
    compactPriorities(groups).map((g) => g.priority),
    [1, 0, 1, 2],
  );
});

const fp = [TopologyLabel.network, TopologyLabel.region, TopologyLabel.zone];
const proxyLabels = {
  [TopologyLabel.network]: 'n1',
  [TopologyLabel.region]: 'r1',
  [TopologyLabel.zone]: 'z1',
};
const labelsOf = (network: string, region: string, zone: string) => ({
  [TopologyLabel.network]: network,
  [TopologyLabel.region]: region,
  [TopologyLabel.zone]: zone,
});

test('failoverPriority [network, region, zone]: same 0, zone differs 1, region differs 2, network differs but same region/zone 3', () => {
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r1', 'z1'), fp), 0);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r1', 'z2'), fp), 1);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r2', 'z1'), fp), 2);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n2', 'r1', 'z1'), fp), 3);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n2', 'r1', 'z2'), fp), 4);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n2', 'r2', 'z9'), fp), 5);
});

test('failoverPriority splits a locality group by priority, weights each part by its endpoints, and compacts', () => {
  const g = group(
    makeLocality('r1', 'z1'),
    [labelsOf('n1', 'r1', 'z1'), labelsOf('n2', 'r1', 'z1'), labelsOf('n1', 'r1', 'z1')],
    3,
  );
  const out = applyFailoverPriorities([g], proxyLabels, fp);
  assert.deepEqual(
    out.map((x) => [x.priority, x.endpoints.length, x.weight]),
    [
      [0, 2, 2],
      [1, 1, 1],
    ],
  );
});

test('failoverPriority key=value overrides the proxy value for that label', () => {
  const wanted = ['topology.kubernetes.io/region=r2', TopologyLabel.zone];
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r2', 'z1'), wanted), 0);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r1', 'z1'), wanted), 2);
  assert.equal(failoverPriorityOf(proxyLabels, labelsOf('n1', 'r2', 'z7'), wanted), 1);
});

test('failoverPriority then failover: priorities compose as existing * 5 + raw and are compacted', () => {
  const groups = applyFailoverPriorities(
    [
      group(makeLocality('r1', 'z1', 's1'), [labelsOf('n1', 'r1', 'z1')]),
      group(makeLocality('r2', 'x'), [labelsOf('n1', 'r2', 'x')]),
    ],
    proxyLabels,
    fp,
  );
  assert.deepEqual(
    groups.map((g) => g.priority),
    [0, 1],
  );
  assert.deepEqual(
    applyLocalityFailover(proxy, groups, [{ from: 'r1', to: 'r3' }]).map((g) => g.priority),
    [0, 1],
  );
});

test('distribute splits each pattern weight over its groups by original weight (ceil) and drops unmatched groups', () => {
  const groups = [
    group(makeLocality('r1', 'z1'), [{}, {}], 2),
    group(makeLocality('r1', 'z2'), [{}], 1),
    group(makeLocality('r2', 'z1'), [{}], 1),
  ];
  const out = applyLocalityWeights(proxy, groups, [{ from: 'r1/z1/*', to: { 'r1/*': 80, 'r3/*': 20 } }]);
  assert.deepEqual(
    out.map((g) => [g.locality.zone, g.weight]),
    [
      ['z1', 54],
      ['z2', 27],
    ],
  );
});

test('distribute without a rule for the proxy locality leaves weights alone', () => {
  const groups = [group(makeLocality('r1', 'z1'))];
  assert.deepEqual(applyLocalityWeights(proxy, groups, [{ from: 'r9', to: { 'r1/*': 100 } }]), groups);
});
