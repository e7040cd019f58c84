import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregateRegistry, type RegistryChange } from './aggregate-registry.js';

const host = (name: string): string => `${name}.default.svc.cluster.local`;

function service(name: string, port = 8000): unknown {
  return {
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ name: 'http', port }] },
  };
}

function slice(name: string, ips: readonly string[], ready = true): unknown {
  return {
    metadata: { name: `${name}-slice`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8000 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready }, zone: 'z1' })),
  };
}

/** Lets queued change notifications run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AggregateRegistry', () => {
  it('merges a service of two clusters into one, endpoints of both, in cluster-id order', () => {
    const r = new AggregateRegistry();
    r.addCluster('cluster-2', 'net-2');
    r.addCluster('cluster-1', 'net-1');
    r.apply('cluster-2', 'Service', 'upsert', service('mockb'));
    r.apply('cluster-2', 'EndpointSlice', 'upsert', slice('mockb', ['127.81.12.1', '127.81.12.2']));
    r.apply('cluster-1', 'Service', 'upsert', service('mockb'));
    r.apply('cluster-1', 'EndpointSlice', 'upsert', slice('mockb', ['127.81.11.1']));
    const s = r.snapshot();
    assert.deepEqual([...(s.services.get(host('mockb'))?.clusters.keys() ?? [])], ['cluster-1', 'cluster-2']);
    assert.deepEqual(
      s.endpoints.get(host('mockb'))?.map((e) => [e.clusterId, e.address, e.network]),
      [
        ['cluster-1', '127.81.11.1', 'net-1'],
        ['cluster-2', '127.81.12.1', 'net-2'],
        ['cluster-2', '127.81.12.2', 'net-2'],
      ],
    );
    assert.deepEqual(
      s.clusters.map((c) => [c.clusterId, c.network, c.hasSynced]),
      [
        ['cluster-1', 'net-1', false],
        ['cluster-2', 'net-2', false],
      ],
    );
  });

  it('returns the same snapshot until something changes, then one with a higher version', () => {
    const r = new AggregateRegistry();
    r.addCluster('c1');
    const a = r.snapshot();
    assert.equal(r.snapshot(), a);
    r.apply('c1', 'Service', 'upsert', service('x'));
    const b = r.snapshot();
    assert.ok(b.version > a.version);
    assert.equal(a.services.size, 0, 'an old snapshot never changes');
    assert.equal(b.services.size, 1);
    r.setSyncState('c1', { hasSynced: true, isConnected: true });
    const c = r.snapshot();
    assert.ok(c.version > b.version);
    assert.equal(c.services, b.services, 'a sync state change shares the service map');
    assert.equal(c.clusters[0]?.hasSynced, true);
  });

  it('after a one-endpoint change of 10,000 endpoints, rebuilds only that service and shares the rest', () => {
    const r = new AggregateRegistry();
    r.addCluster('c1');
    for (let s = 0; s < 1000; s++) {
      r.apply('c1', 'Service', 'upsert', service(`svc-${s}`));
      const ips = Array.from(
        { length: 10 },
        (_, i) => `127.81.${Math.floor(s / 25)}.${(s % 25) * 10 + i + 1}`,
      );
      r.apply('c1', 'EndpointSlice', 'upsert', slice(`svc-${s}`, ips));
    }
    const before = r.snapshot();
    let total = 0;
    for (const eps of before.endpoints.values()) total += eps.length;
    assert.equal(total, 10_000);

    const changedIps = Array.from({ length: 10 }, (_, i) => `127.81.0.${i + 1}`);
    r.apply('c1', 'EndpointSlice', 'upsert', slice('svc-0', changedIps.slice(0, 9)));
    const after = r.snapshot();
    assert.ok(after.version > before.version);
    assert.equal(after.endpoints.get(host('svc-0'))?.length, 9);
    let shared = 0;
    for (const [hostname, eps] of after.endpoints) if (eps === before.endpoints.get(hostname)) shared++;
    assert.equal(shared, 999);
    let sameServices = 0;
    for (const [hostname, svc] of after.services) if (svc === before.services.get(hostname)) sameServices++;
    assert.equal(sameServices, 999);
    assert.equal(after.workloads, before.workloads);
    assert.equal(after.clusters, before.clusters);
  });

  it('tells listeners once per burst which services changed', async () => {
    const r = new AggregateRegistry();
    const heard: RegistryChange[] = [];
    r.onChange((c) => heard.push(c));
    r.addCluster('c1');
    r.apply('c1', 'Service', 'upsert', service('a'));
    r.apply('c1', 'Service', 'upsert', service('b'));
    r.apply('c1', 'EndpointSlice', 'upsert', slice('a', ['127.81.0.1']));
    assert.equal(heard.length, 0, 'not synchronously');
    await settle();
    assert.equal(heard.length, 1);
    assert.deepEqual([...(heard[0]?.services ?? [])].sort(), [host('a'), host('b')]);
    assert.deepEqual([...(heard[0]?.clusters ?? [])], ['c1']);
    assert.equal(heard[0]?.version, r.snapshot().version);

    r.apply('c1', 'EndpointSlice', 'upsert', slice('a', ['127.81.0.1'], false));
    await settle();
    assert.equal(heard.length, 2);
    assert.deepEqual([...(heard[1]?.services ?? [])], [host('a')]);
    assert.deepEqual([...(heard[1]?.clusters ?? [])], []);
  });

  it('a listener that throws does not stop the others', async () => {
    const r = new AggregateRegistry();
    let heard = 0;
    r.onChange(() => {
      throw new Error('boom');
    });
    r.onChange(() => heard++);
    r.addCluster('c1');
    await settle();
    assert.equal(heard, 1);
  });

  it('removing a cluster removes its endpoints and the services only it had', () => {
    const r = new AggregateRegistry();
    r.addCluster('c1');
    r.addCluster('c2');
    r.apply('c1', 'Service', 'upsert', service('both'));
    r.apply('c2', 'Service', 'upsert', service('both'));
    r.apply('c2', 'Service', 'upsert', service('only-c2'));
    r.apply('c2', 'EndpointSlice', 'upsert', slice('both', ['127.81.2.1']));
    r.apply('c2', 'Pod', 'upsert', {
      metadata: { name: 'p', namespace: 'default' },
      status: { podIP: '127.81.2.1', phase: 'Running' },
    });
    assert.equal(r.snapshot().workloads.size, 1);
    r.removeCluster('c2');
    const s = r.snapshot();
    assert.deepEqual([...s.services.keys()], [host('both')]);
    assert.deepEqual(s.endpoints.get(host('both')), []);
    assert.equal(s.workloads.size, 0);
    assert.deepEqual(
      s.clusters.map((c) => c.clusterId),
      ['c1'],
    );
    assert.equal(r.hasCluster('c2'), false);
    assert.throws(() => r.addCluster('c1'), /already/);
  });
});
