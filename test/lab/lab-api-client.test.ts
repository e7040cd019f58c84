/**
 * The supervisor's small API client and its gateway pod watch against a real lab API server:
 * server-side apply creates then updates, the status subresource, API errors with their code, and
 * a watch that follows readiness changes and survives an API server restart (list again, go on).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { clientFor } from '../../src/lab/supervisor/cluster-setup.js';
import { GatewayTargetWatch } from '../../src/lab/supervisor/gateway-targets.js';
import { LabApiError, type LabApiClient } from '../../src/lab/supervisor/lab-api-client.js';
import type { LoadBalancerTarget } from '../../src/lab/supervisor/network-load-balancer.js';
import { startTestCluster, type TestCluster } from '../kube/support/kube-fixture.js';
import { waitFor } from '../support/wait-for.js';

function gatewayPod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
    spec: { containers: [{ name: 'istio-proxy', image: 'spillway/proxyv2' }] },
  };
}

describe('the lab API client against the lab API server', () => {
  let cluster: TestCluster;
  let client: LabApiClient;

  before(async () => {
    cluster = await startTestCluster({ address: '127.94.0.1' });
    client = clientFor(cluster.kubeconfig, 'test-cluster');
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } }, 'test');
  });

  after(async () => {
    client.close();
    await cluster.close();
  });

  test('server-side apply creates, then updates in place; status goes through the subresource', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { a: '1' } } };
    await client.apply(node, 'spillway-lab');
    await client.apply({ ...node, metadata: { name: 'n1', labels: { a: '2' } } }, 'spillway-lab');
    const current = await client.get('/api/v1/nodes/n1');
    assert.deepEqual((current['metadata'] as { labels: unknown }).labels, { a: '2' });
    await client.replaceStatus('/api/v1/nodes/n1', {
      ...current,
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const after = await cluster.kubectl([
      'get',
      'node',
      'n1',
      '-o',
      'jsonpath={.status.conditions[0].status}',
    ]);
    assert.equal(after.stdout, 'True');
  });

  test('an API error keeps the HTTP code and the server message', async () => {
    await assert.rejects(client.get('/api/v1/nodes/missing'), (err: unknown) => {
      assert.ok(err instanceof LabApiError);
      assert.equal(err.code, 404);
      assert.match(err.message, /nodes "missing" not found/);
      return true;
    });
  });

  test('the gateway watch follows readiness, deletion, and an API server restart', async () => {
    let targets: LoadBalancerTarget[] = [];
    const watch = new GatewayTargetWatch(client, (t) => (targets = t), createLogger('test'));
    const setReady = async (name: string, ip: string): Promise<void> => {
      const path = `/api/v1/namespaces/istio-system/pods/${name}`;
      const pod = await client.get(path);
      await client.replaceStatus(path, {
        ...pod,
        status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
      });
    };
    try {
      await watch.start();
      assert.deepEqual(targets, []);
      await client.request('POST', '/api/v1/namespaces/istio-system/pods', gatewayPod('gw-a'));
      await setReady('gw-a', '127.94.1.2');
      await waitFor('gw-a as target', () => targets.length === 1);
      assert.deepEqual(targets, [{ host: '127.94.1.2', port: 8080 }]);

      await cluster.restart();
      await client
        .request('POST', '/api/v1/namespaces/istio-system/pods', gatewayPod('gw-b'))
        .catch(async () => {
          // The client's pooled connection may have died with the old server: one retry.
          await client.request('POST', '/api/v1/namespaces/istio-system/pods', gatewayPod('gw-b'));
        });
      await setReady('gw-b', '127.94.2.2');
      await waitFor('gw-b as target after the restart', () => targets.length === 2, { timeoutMs: 15_000 });
      await client.delete('/api/v1/namespaces/istio-system/pods/gw-a');
      await waitFor('gw-a gone', () => targets.length === 1 && targets[0]?.host === '127.94.2.2');
    } finally {
      watch.stop();
    }
  });
});
