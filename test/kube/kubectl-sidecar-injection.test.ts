/**
 * Sidecar injection in the lab API server, seen with real kubectl: a Deployment's pod in `default`
 * gets `istio-proxy` (READY 0/2, then 2/2 once something runs both containers), a namespace without
 * the label and a pod that opts out keep one container.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sidecarInjectorAdmission } from '../../src/kube/apiserver/admission/sidecar-injector.js';
import { waitFor } from '../support/wait-for.js';
import { startFakeNodeAgent } from './support/fake-node-agent.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

const manifests = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', version: 'v1' } },
          spec: { containers: [{ name: 'web', image: 'example/web:1', ports: [{ containerPort: 8000 }] }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'opted-out',
        namespace: 'default',
        annotations: { 'sidecar.istio.io/inject': 'false' },
      },
      spec: { containers: [{ name: 'main', image: 'example/app:1' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'elsewhere', namespace: 'plain' },
      spec: { containers: [{ name: 'main', image: 'example/app:1' }] },
    },
  ],
});

/** `name READY` pairs of `kubectl get pods -A` (the web pod's generated name shortened to `web`). */
async function readyColumn(cluster: TestCluster): Promise<Record<string, string>> {
  const r = await cluster.kubectl(['get', 'pods', '-A', '--no-headers']);
  assert.equal(r.code, 0, r.stderr);
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [, name = '', ready = ''] = line.split(/\s+/);
    out[name.startsWith('web-') ? 'web' : name] = ready;
  }
  return out;
}

describe('sidecar injection through kubectl', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({
      address: '127.99.0.1',
      runControllers: true,
      admission: [sidecarInjectorAdmission({ policy: 'lab', clusterId: 'test-cluster' })],
    });
  });

  after(async () => {
    await cluster.close();
  });

  test('kubectl get pods shows READY 0/2 for injected pods, then 2/2 once both containers run', async () => {
    const applied = await cluster.kubectl(['apply', '-f', '-'], manifests);
    assert.equal(applied.code, 0, applied.stderr);
    const before = await waitFor('the deployment pod', async () => {
      const column = await readyColumn(cluster);
      return column['web'] !== undefined ? column : undefined;
    });
    assert.deepEqual(before, { web: '0/2', 'opted-out': '0/1', elsewhere: '0/1' });
    const names = await cluster.kubectl([
      'get',
      'pods',
      '-l',
      'app=web',
      '-o',
      'jsonpath={.items[0].spec.containers[*].name} {.items[0].metadata.labels.service\\.istio\\.io/canonical-name}',
    ]);
    assert.equal(names.stdout, 'web istio-proxy web');

    const agent = startFakeNodeAgent(cluster.kubeconfig, { ipOctet: 99 });
    try {
      const afterRun = await waitFor('every pod ready', async () => {
        const column = await readyColumn(cluster);
        return Object.values(column).every((r) => /^(\d+)\/\1$/.test(r)) ? column : undefined;
      });
      assert.deepEqual(afterRun, { web: '2/2', 'opted-out': '1/1', elsewhere: '1/1' });
    } finally {
      await agent.stop();
    }
  });
});
