/**
 * examples/demo holds what the demo applies for the default topology, so that a user applying it by
 * hand gets the demo's app; and the retry VirtualService passes the lab API server's Istio
 * validation shape (the fields Istio's HTTPRetry has).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { planLab } from '../topology/address-plan.js';
import { defaultTopology } from '../topology/default-topology.js';
import {
  clusterAppObjects,
  destinationRuleObjects,
  objectUrlPath,
  retryVirtualServiceObject,
} from './demo-manifests.js';

const examples = fileURLToPath(new URL('../../../../examples/demo/', import.meta.url));
const load = (name: string): unknown[] =>
  parseAllDocuments(readFileSync(`${examples}${name}`, 'utf8')).map((d) => d.toJS() as unknown);

test('examples/demo/<cluster>-app.yaml is what the demo applies to each cluster of the default topology', () => {
  for (const cluster of planLab(defaultTopology()).clusters) {
    assert.deepEqual(load(`${cluster.name}-app.yaml`), clusterAppObjects(cluster), cluster.name);
  }
});

test('examples/demo/destination-rules.yaml and mockb-retries.yaml are what the demo applies', () => {
  assert.deepEqual(load('destination-rules.yaml'), destinationRuleObjects());
  assert.deepEqual(load('mockb-retries.yaml'), [retryVirtualServiceObject()]);
});

test('one Deployment per service and zone, pinned to its zone, mocka calling mockb calling mockc', () => {
  const objects = clusterAppObjects({ zones: ['z1', 'z2'] });
  const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  assert.deepEqual(deployments, ['mocka-z1', 'mocka-z2', 'mockb-z1', 'mockb-z2', 'mockc-z1', 'mockc-z2']);
  assert.equal(
    objectUrlPath(objects.find((o) => o.kind === 'VirtualService') ?? objects[0]!),
    '/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/demoapp-vs',
  );
  assert.equal(objectUrlPath(objects[0]!), '/api/v1/namespaces/default/services/mocka');
});
