/**
 * Checks every translated resource against Envoy's protos (`validateResource`: the output must be
 * exactly what the validator normalizes it to) and against the Spillway proxy's own builders, which
 * reject anything the proxy does not implement.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { validateResource } from '../../../src/envoy/proto-json-validator.js';
import { XdsTypeUrl, type XdsResourceSet } from '../../../src/envoy/xds-resource.js';
import { buildCluster } from '../../../src/proxy/bootstrap/cluster-builder.js';
import { buildListener } from '../../../src/proxy/bootstrap/listener-builder.js';
import { buildClusterLoadAssignment } from '../../../src/proxy/bootstrap/load-assignment-builder.js';
import { buildRouteConfiguration } from '../../../src/proxy/bootstrap/route-config-builder.js';
import { checkResourceSet } from '../../../src/translate/check-resource-set.js';

export function assertCanonicalProtoJson(set: XdsResourceSet): number {
  let count = 0;
  for (const [typeUrl, resources] of set) {
    for (const [name, resource] of resources) {
      const { '@type': declared, ...body } = resource;
      assert.equal(declared, typeUrl, `${name}: @type`);
      const normalized = validateResource(typeUrl, resource, { path: `${typeUrl}/${name}` });
      if (!isDeepStrictEqual(normalized, body)) {
        assert.deepEqual(body, normalized, `${typeUrl} ${name} is not in normalized proto JSON form`);
      }
      count++;
    }
  }
  assert.deepEqual(checkResourceSet(set), []);
  return count;
}

/** The proxy's bootstrap builders accept every listener, route, cluster and assignment (RDS/EDS as references). */
export function assertProxyAccepts(set: XdsResourceSet): void {
  const clusters = set.get(XdsTypeUrl.cluster) ?? new Map();
  const knownClusters = new Set(clusters.keys());
  for (const [name, c] of clusters) buildCluster(c, { path: `clusters[${name}]` });
  for (const [name, l] of set.get(XdsTypeUrl.listener) ?? [])
    buildListener(l, { path: `listeners[${name}]` }, { knownClusters });
  for (const [name, r] of set.get(XdsTypeUrl.routeConfiguration) ?? [])
    buildRouteConfiguration(
      r,
      { path: `routes[${name}]` },
      { knownClusters, validateClustersByDefault: true },
    );
  for (const [name, a] of set.get(XdsTypeUrl.clusterLoadAssignment) ?? [])
    buildClusterLoadAssignment(a, { path: `assignments[${name}]` });
}
