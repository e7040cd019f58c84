import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.js';
import { IstioConfigStore, type ConfigChange } from './istio-config-store.js';

function dr(
  name: string,
  outlierDetection: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: {
      name,
      namespace: 'default',
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...meta,
    },
    spec: { host: name, trafficPolicy: { outlierDetection } },
  };
}

const seedOutlier = {
  splitExternalLocalOriginErrors: true,
  consecutiveLocalOriginFailures: 1,
  baseEjectionTime: '5m',
  consecutive5xxErrors: 1,
  interval: '30s',
  maxEjectionPercent: 100,
};
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('IstioConfigStore', () => {
  it('serves valid resources as config entries, ordered by creation time, then name, then namespace', () => {
    const store = new IstioConfigStore();
    store.upsert('cluster-1', dr('mockc', seedOutlier));
    store.upsert(
      'cluster-1',
      dr('mockb', seedOutlier, { namespace: 'z', creationTimestamp: '2025-12-31T00:00:00Z' }),
    );
    store.upsert('cluster-1', dr('mocka', seedOutlier, { labels: { team: 'a' } }));
    const s = store.snapshot();
    assert.deepEqual(
      s.destinationRules.map((e) => `${e.namespace}/${e.name}`),
      ['z/mockb', 'default/mocka', 'default/mockc'],
    );
    const mocka = s.destinationRules[1];
    assert.equal(mocka?.kind, 'DestinationRule');
    assert.equal(mocka?.clusterId, 'cluster-1');
    assert.equal(mocka?.resourceVersion, '1');
    assert.deepEqual(mocka?.labels, { team: 'a' });
    assert.deepEqual(mocka?.spec.trafficPolicy?.outlierDetection, seedOutlier);
    assert.ok(Object.isFrozen(mocka?.spec.trafficPolicy), 'specs are deeply frozen');
  });

  it('skips an invalid resource as a whole with its kind, name, field and reason, and counts it', () => {
    const clock = new FakeClock(0, Date.UTC(2026, 5, 1));
    const store = new IstioConfigStore({ clock });
    store.upsert('cluster-1', dr('mocka', seedOutlier));
    const result = store.upsert(
      'cluster-1',
      dr('bad', { consecutiveLocalOriginFailures: 1, maxEjectionPercent: 150 }),
    );
    assert.equal(result, 'rejected');
    assert.deepEqual(
      store.snapshot().destinationRules.map((e) => e.name),
      ['mocka'],
    );
    assert.deepEqual(store.rejected(), [
      {
        kind: 'DestinationRule',
        namespace: 'default',
        name: 'bad',
        clusterId: 'cluster-1',
        resourceVersion: '1',
        issues: [
          {
            field: 'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures',
            message:
              'Invalid value: 1: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
          },
          {
            field: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent',
            message: 'Invalid value: 150: percentage 150 is not in range 0..100',
          },
        ],
        rejectedAtWallMs: Date.UTC(2026, 5, 1),
      },
    ]);
    assert.equal(store.rejectionCounts().DestinationRule, 1);
    // The same resourceVersion again (a relist) is not counted twice.
    assert.equal(store.upsert('cluster-1', dr('bad', { consecutiveLocalOriginFailures: 1 })), 'unchanged');
    assert.equal(store.rejectionCounts().DestinationRule, 1);
  });

  it('reports CRD schema errors (wrong types) the way kube-apiserver does', () => {
    const store = new IstioConfigStore();
    store.upsert('cluster-1', dr('typed', { consecutive5xxErrors: 'many' }));
    assert.deepEqual(store.rejected()[0]?.issues, [
      {
        field: 'spec.trafficPolicy.outlierDetection.consecutive5xxErrors',
        message:
          'Invalid value: "string": spec.trafficPolicy.outlierDetection.consecutive5xxErrors in body must be of type integer: "string"',
      },
    ]);
  });

  it('never half-applies: an invalid update removes the resource, a fixed one brings it back', () => {
    const store = new IstioConfigStore();
    store.upsert('cluster-1', dr('mocka', seedOutlier));
    const served = store.snapshot();
    store.upsert(
      'cluster-1',
      dr('mocka', { ...seedOutlier, splitExternalLocalOriginErrors: false }, { resourceVersion: '2' }),
    );
    const broken = store.snapshot();
    assert.ok(broken.version > served.version);
    assert.deepEqual(broken.destinationRules, []);
    assert.deepEqual(
      store.rejected().map((r) => [r.name, r.resourceVersion]),
      [['mocka', '2']],
    );
    assert.equal(store.upsert('cluster-1', dr('mocka', seedOutlier, { resourceVersion: '3' })), 'accepted');
    assert.equal(store.snapshot().destinationRules[0]?.resourceVersion, '3');
    assert.deepEqual(store.rejected(), []);
    assert.equal(store.rejectionCounts().DestinationRule, 1);
  });

  it('shares the lists of unchanged kinds between snapshots and keeps the version for no-op updates', () => {
    const store = new IstioConfigStore();
    store.upsert('cluster-1', dr('mocka', seedOutlier));
    store.upsert('cluster-1', {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'Gateway',
      metadata: { name: 'mocka', namespace: 'default' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ hosts: ['*'], port: { name: 'test', number: 80, protocol: 'HTTP' } }],
      },
    });
    const a = store.snapshot();
    assert.equal(store.upsert('cluster-1', dr('mocka', seedOutlier)), 'unchanged');
    assert.equal(store.snapshot(), a);
    store.upsert('cluster-1', dr('mockb', seedOutlier));
    const b = store.snapshot();
    assert.equal(b.gateways, a.gateways);
    assert.notEqual(b.destinationRules, a.destinationRules);
    assert.equal(b.gateways[0]?.name, 'mocka');
  });

  it('forgets deleted resources, served or rejected, and ignores kinds it does not hold', async () => {
    const store = new IstioConfigStore();
    const heard: ConfigChange[] = [];
    store.onChange((c) => heard.push(c));
    store.upsert('cluster-1', dr('mocka', seedOutlier));
    store.upsert('cluster-1', dr('bad', { maxEjectionPercent: 101 }));
    assert.equal(store.upsert('cluster-1', { kind: 'ConfigMap', metadata: { name: 'x' } }), 'ignored');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(heard.length, 1);
    assert.deepEqual(
      [...(heard[0]?.keys ?? [])],
      ['DestinationRule/default/mocka', 'DestinationRule/default/bad'],
    );
    store.delete({ kind: 'DestinationRule', metadata: { name: 'mocka', namespace: 'default' } });
    store.delete({ kind: 'DestinationRule', metadata: { name: 'bad', namespace: 'default' } });
    assert.deepEqual(store.snapshot().destinationRules, []);
    assert.deepEqual(store.rejected(), []);
    await settle();
    assert.equal(heard.length, 2);
  });

  it('refuses a resource without a namespace', () => {
    const store = new IstioConfigStore();
    store.upsert('cluster-1', dr('nons', seedOutlier, { namespace: undefined }));
    assert.deepEqual(store.rejected()[0]?.issues, [
      { field: 'metadata.namespace', message: 'Required value' },
    ]);
  });
});
