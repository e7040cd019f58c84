import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNamespace, parseService, type NamespaceRecord, type ServiceRecord } from './kube-records.js';
import { exportToOf, mergeMeshService, toClusterService, trafficDistributionOf } from './service-mapping.js';

function service(spec: Record<string, unknown>, annotations: Record<string, string> = {}): ServiceRecord {
  return parseService({
    metadata: { name: 'mockb', namespace: 'default', annotations },
    spec,
  }) as ServiceRecord;
}

function namespace(annotations: Record<string, string>): NamespaceRecord {
  return parseNamespace({ metadata: { name: 'default', annotations } }) as NamespaceRecord;
}

describe('Service -> mesh service', () => {
  it('keys the service by its FQDN and defaults targetPort and protocol', () => {
    const part = toClusterService(
      'cluster-1',
      service({ ports: [{ name: 'http', port: 8000 }], selector: { app: 'mockb' } }),
      undefined,
      'cluster.local',
    );
    assert.equal(part.hostname, 'mockb.default.svc.cluster.local');
    assert.deepEqual(part.ports, [{ name: 'http', port: 8000, protocol: 'TCP', targetPort: 8000 }]);
    assert.deepEqual(part.inCluster.selector, { app: 'mockb' });
    assert.deepEqual(part.exportTo, ['*']);
  });

  it('reads exportTo from the networking.istio.io/exportTo annotation', () => {
    assert.deepEqual(exportToOf({ 'networking.istio.io/exportTo': ' ., istio-system ,' }), [
      '.',
      'istio-system',
    ]);
    assert.deepEqual(exportToOf({ 'networking.istio.io/exportTo': '~' }), ['~']);
    assert.deepEqual(exportToOf({}), ['*']);
  });

  it('takes the traffic distribution from the spec, then the service annotation, then the namespace', () => {
    const annotation = 'networking.istio.io/traffic-distribution';
    assert.equal(
      trafficDistributionOf(service({ trafficDistribution: 'PreferClose' }), undefined),
      'PreferSameZone',
    );
    assert.equal(
      trafficDistributionOf(
        service({ trafficDistribution: 'PreferSameNode' }, { [annotation]: 'PreferClose' }),
        undefined,
      ),
      'PreferSameNode',
    );
    assert.equal(
      trafficDistributionOf(
        service({}, { [annotation]: 'prefersamenode' }),
        namespace({ [annotation]: 'PreferClose' }),
      ),
      'PreferSameNode',
    );
    assert.equal(
      trafficDistributionOf(service({}), namespace({ [annotation]: 'PreferSameZone' })),
      'PreferSameZone',
    );
    assert.equal(
      trafficDistributionOf(
        service({}, { [annotation]: 'Nonsense' }),
        namespace({ [annotation]: 'PreferClose' }),
      ),
      undefined,
    );
    assert.equal(trafficDistributionOf(service({}), undefined), undefined);
  });

  it('merges the same namespace/name of several clusters into one service with the union of ports', () => {
    const two = toClusterService(
      'cluster-2',
      service(
        {
          ports: [
            { name: 'http2', port: 8000 },
            { name: 'grpc', port: 9000 },
          ],
        },
        { 'networking.istio.io/exportTo': '.' },
      ),
      undefined,
      'cluster.local',
    );
    const one = toClusterService(
      'cluster-1',
      service({ ports: [{ name: 'http', port: 8000 }] }),
      undefined,
      'cluster.local',
    );
    const merged = mergeMeshService([two, one]);
    assert.ok(merged);
    assert.equal(merged.hostname, 'mockb.default.svc.cluster.local');
    assert.equal(merged.kind, 'kubernetes');
    assert.deepEqual([...merged.clusters.keys()], ['cluster-1', 'cluster-2']);
    assert.deepEqual(
      merged.ports.map((p) => [p.name, p.port]),
      [
        ['http', 8000],
        ['grpc', 9000],
      ],
    );
    // The first cluster (by id) decides exportTo.
    assert.deepEqual(merged.exportTo, ['*']);
    assert.equal(mergeMeshService([]), undefined);
  });
});
