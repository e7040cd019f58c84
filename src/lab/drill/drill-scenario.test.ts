import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLab } from '../topology/address-plan.js';
import { defaultTopology } from '../topology/default-topology.js';
import { parseTopology } from '../topology/parse-topology.js';
import { drillScenario, failoverZones } from './drill-scenario.js';

test("the default topology drills the seed's mockb-ap-northeast-1a, failing over to 1b, then to cn-hangzhou", () => {
  const s = drillScenario(planLab(defaultTopology()));
  assert.equal(s.drillCluster.name, 'cluster-2');
  assert.equal(s.brokenZone, 'ap-northeast-1a');
  assert.deepEqual(failoverZones(s, ['ap-northeast-1a']), ['ap-northeast-1b']);
  assert.deepEqual(failoverZones(s, ['ap-northeast-1a', 'ap-northeast-1b']), [
    'cn-hangzhou-h',
    'cn-hangzhou-k',
  ]);
});

const oneZone = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata: { name: small }
spec:
  regions: [{ name: r1, zones: [z1] }]
  clusters: [{ name: c1, region: r1 }]
  meshes: [{ name: m1, region: r1, configCluster: c1 }]
`;

test('a topology without a two-zone cluster, or with a cluster no control plane serves, is refused with the field', () => {
  assert.throws(
    () => drillScenario(planLab(parseTopology(oneZone, 'small.yaml')), 'small.yaml'),
    (err: Error & { code?: string }) =>
      err.code === 'SPILLWAY_ERR_DEMO_TOPOLOGY_UNSUPPORTED' &&
      err.message.startsWith('small.yaml: spec.clusters: the demo needs a cluster with at least two zones'),
  );
  const noMesh = oneZone
    .replace('zones: [z1]', 'zones: [z1, z2]')
    .replace(/ {2}meshes:.*\n/, '  meshes: []\n');
  assert.throws(
    () => drillScenario(planLab(parseTopology(noMesh, 'x.yaml')), 'x.yaml'),
    /x\.yaml: spec\.meshes: the demo needs a control plane for every cluster .* none serves c1/,
  );
});
