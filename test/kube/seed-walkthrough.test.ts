/**
 * The seed's walkthrough on the lab API server with real kubectl (v1.32): cluster-2's app and
 * DestinationRules applied as the article applies them, pods placed in their zones, the drill (a bad
 * image + command rolled out, then rolled back), and `kubectl delete -f` cascading to ReplicaSets and
 * Pods. Nobody runs pods yet, so a fake node agent writes pod status through the API.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../support/wait-for.js';
import { startFakeNodeAgent, type FakeNodeAgent } from './support/fake-node-agent.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

const appFile = '/work/shared/seed/cluster-2-app.yaml';
const rulesFile = '/work/shared/seed/destination-rules.yaml';
const ZONE = 'topology.kubernetes.io/zone';
const zones = ['ap-northeast-1a', 'ap-northeast-1b'] as const;
const services = ['mocka', 'mockb', 'mockc'] as const;
const deployments = services.flatMap((s) => zones.map((z) => `${s}-${z}`));
const drilled = 'mockb-ap-northeast-1a';
const curlImage = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';
const seedImage = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';

interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}
interface Container {
  name: string;
  image: string;
  command?: string[];
}
interface Pod {
  metadata: Meta;
  spec: { nodeName?: string; nodeSelector?: Record<string, string>; containers: Container[] };
  status?: { podIP?: string };
}
interface ReplicaSet {
  metadata: Meta & { uid: string };
  spec: { replicas: number; template: { spec: { containers: Container[] } } };
}
interface Slice {
  metadata: Meta;
  ports: { name: string; port: number; protocol: string }[];
  endpoints: { addresses: string[]; zone?: string; nodeName?: string; conditions: { ready: boolean } }[];
}

/** A cluster with controllers and four Nodes, two per zone of ap-northeast-1. */
async function startZonedCluster(address: string): Promise<TestCluster> {
  const cluster = await startTestCluster({ address, runControllers: true });
  const nodes = {
    apiVersion: 'v1',
    kind: 'List',
    items: [0, 1, 2, 3].map((i) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}`, labels: { [ZONE]: zones[i < 2 ? 0 : 1] } },
    })),
  };
  try {
    // A v1 List, as `kubectl get -o json` prints: kubectl validates it against /openapi/v2.
    const r = await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(nodes));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node\/node-3 created$/m);
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

async function applySeed(cluster: TestCluster): Promise<string[]> {
  const lines: string[] = [];
  for (const file of [appFile, rulesFile]) {
    const r = await cluster.kubectl(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    lines.push(...r.stdout.trim().split('\n'));
  }
  return lines;
}

async function getItems<T>(cluster: TestCluster, args: readonly string[]): Promise<T[]> {
  const r = await cluster.kubectl(['get', ...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: T[] }).items;
}

const ownedBy = (meta: Meta, kind: string, name: string): boolean =>
  meta.ownerReferences?.some((o) => o.kind === kind && o.name === name) ?? false;

/** The pods of one Deployment, through the ReplicaSets it owns. */
async function podsOf(cluster: TestCluster, deployment: string): Promise<Pod[]> {
  const sets = (await getItems<ReplicaSet>(cluster, ['rs'])).filter((rs) =>
    ownedBy(rs.metadata, 'Deployment', deployment),
  );
  const pods = await getItems<Pod>(cluster, ['pods']);
  return pods.filter((p) => sets.some((rs) => ownedBy(p.metadata, 'ReplicaSet', rs.metadata.name)));
}

async function rolloutStatus(cluster: TestCluster, agent: FakeNodeAgent, deployment: string): Promise<void> {
  const r = await cluster.kubectl(['rollout', 'status', `deployment/${deployment}`, '--timeout=30s']);
  assert.equal(r.code, 0, `${r.stderr} (agent: ${agent.lastError() ?? 'no error'})`);
  assert.match(r.stdout, new RegExp(`deployment "${deployment}" successfully rolled out`));
}

/** Waits until the Deployment has exactly one pod and returns it. */
async function onlyPodOf(cluster: TestCluster, deployment: string): Promise<Pod> {
  const pods = await waitFor(`exactly one pod of ${deployment}`, async () => {
    const found = await podsOf(cluster, deployment);
    return found.length === 1 ? found : undefined;
  });
  return pods[0] as Pod;
}

test('kubectl apply of the seed creates everything, each pod lands in its nodeSelector zone, re-apply is unchanged', async () => {
  const cluster = await startZonedCluster('127.32.1.1');
  try {
    const created = await applySeed(cluster);
    const expected = [
      ...services.map((s) => `service/${s}`),
      ...deployments.map((d) => `deployment.apps/${d}`),
      'gateway.networking.istio.io/mocka',
      'virtualservice.networking.istio.io/demoapp-vs',
      ...services.map((s) => `destinationrule.networking.istio.io/${s}`),
    ].sort();
    assert.deepEqual(
      [...created].sort(),
      expected.map((name) => `${name} created`),
    );

    const nodeZone = new Map(
      (await getItems<{ metadata: Meta }>(cluster, ['nodes'])).map((n) => [
        n.metadata.name,
        n.metadata.labels?.[ZONE],
      ]),
    );
    const pods = await waitFor('six scheduled pods', async () => {
      const all = await getItems<Pod>(cluster, ['pods']);
      return all.length === 6 && all.every((p) => p.spec.nodeName !== undefined) ? all : undefined;
    });
    for (const deployment of deployments) {
      const own = await podsOf(cluster, deployment);
      assert.equal(own.length, 1, `one pod of ${deployment}`);
    }
    for (const pod of pods) {
      const wanted = pod.spec.nodeSelector?.[ZONE];
      assert.ok(wanted !== undefined && pod.metadata.name.includes(wanted), pod.metadata.name);
      assert.equal(
        nodeZone.get(pod.spec.nodeName ?? ''),
        wanted,
        `${pod.metadata.name} on ${pod.spec.nodeName}`,
      );
    }

    const again = await applySeed(cluster);
    assert.deepEqual(
      [...again].sort(),
      expected.map((name) => `${name} unchanged`),
    );

    const wide = await cluster.kubectl(['get', 'pods', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(
      wide.stdout,
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    for (const pod of pods) {
      assert.match(
        wide.stdout,
        new RegExp(`^${pod.metadata.name}\\s+0/1\\s+Pending\\s.*\\s${pod.spec.nodeName}\\s`, 'm'),
      );
    }

    const kinds = 'deploy,svc,endpointslices,destinationrules,gateways,virtualservices';
    const all = await cluster.kubectl(['get', kinds]);
    assert.equal(all.code, 0, all.stderr);
    for (const d of deployments)
      assert.match(all.stdout, new RegExp(`^deployment\\.apps/${d}\\s+0/1\\s+1\\s+0\\s`, 'm'));
    for (const s of services) {
      assert.match(all.stdout, new RegExp(`^service/${s}\\s+ClusterIP\\s.*\\s8000/TCP\\s`, 'm'));
      assert.match(
        all.stdout,
        new RegExp(`^endpointslice\\.discovery\\.k8s\\.io/${s}-[a-z0-9]{5}\\s+IPv4\\s`, 'm'),
      );
      assert.match(all.stdout, new RegExp(`^destinationrule\\.networking\\.istio\\.io/${s}\\s+${s}\\s`, 'm'));
    }
    assert.match(all.stdout, /^NAME\s+HOST\s+AGE$/m);
    assert.match(all.stdout, /^gateway\.networking\.istio\.io\/mocka\s/m);
    assert.match(all.stdout, /^NAME\s+GATEWAYS\s+HOSTS\s+AGE$/m);
    assert.match(
      all.stdout,
      /^virtualservice\.networking\.istio\.io\/demoapp-vs\s+\["mocka"\]\s+\["\*"\]\s/m,
    );
  } finally {
    await cluster.close();
  }
});

test("once the node agent marks pods ready, deployments are Available and mockb's EndpointSlice lists both zones on http 8000", async () => {
  const cluster = await startZonedCluster('127.32.1.2');
  const agent = startFakeNodeAgent(cluster.kubeconfig, { ipOctet: 32 });
  try {
    await applySeed(cluster);
    const wait = await cluster.kubectl([
      'wait',
      '--for=condition=Available',
      'deployment',
      '--all',
      '--timeout=30s',
    ]);
    assert.equal(wait.code, 0, `${wait.stderr} (agent: ${agent.lastError() ?? 'no error'})`);
    for (const d of deployments)
      assert.match(wait.stdout, new RegExp(`deployment\\.apps/${d} condition met`));

    const mockbPods = (await getItems<Pod>(cluster, ['pods', '-l', 'app=mockb'])).sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name),
    );
    assert.equal(mockbPods.length, 2);
    const slice = await waitFor('the mockb slice with two ready endpoints', async () => {
      const slices = await getItems<Slice>(cluster, [
        'endpointslices',
        '-l',
        'kubernetes.io/service-name=mockb',
      ]);
      const only = slices.length === 1 ? slices[0] : undefined;
      return only !== undefined && only.endpoints.filter((e) => e.conditions.ready).length === 2
        ? only
        : undefined;
    });
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8000, protocol: 'TCP' }]);
    const endpoints = slice.endpoints
      .map((e) => ({ ip: e.addresses[0], zone: e.zone, node: e.nodeName }))
      .sort((a, b) => String(a.zone).localeCompare(String(b.zone)));
    assert.deepEqual(
      endpoints,
      mockbPods.map((p) => ({
        ip: p.status?.podIP,
        zone: p.spec.nodeSelector?.[ZONE],
        node: p.spec.nodeName,
      })),
    );
    for (const e of endpoints) assert.match(String(e.ip), /^127\.0\.32\.\d+$/);

    const wide = await cluster.kubectl(['get', 'pods', '-o', 'wide', '-l', 'app=mockb']);
    for (const p of mockbPods) {
      const ip = (p.status?.podIP ?? '').replaceAll('.', '\\.');
      assert.match(
        wide.stdout,
        new RegExp(
          `^${p.metadata.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip}\\s+${p.spec.nodeName}\\s`,
          'm',
        ),
      );
    }
  } finally {
    await agent.stop();
    await cluster.close();
  }
});

test('the drill: set image + patch command rolls mockb-1a to one new pod; rollout undo restores earlier templates reusing their ReplicaSets', async () => {
  const cluster = await startZonedCluster('127.32.1.3');
  const agent = startFakeNodeAgent(cluster.kubeconfig, { ipOctet: 33 });
  try {
    await applySeed(cluster);
    await rolloutStatus(cluster, agent, drilled);
    const original = await onlyPodOf(cluster, drilled);
    const originalSet = (await getItems<ReplicaSet>(cluster, ['rs'])).find((rs) =>
      ownedBy(original.metadata, 'ReplicaSet', rs.metadata.name),
    );
    assert.ok(originalSet !== undefined);

    const setImage = await cluster.kubectl(['set', 'image', `deployment/${drilled}`, `default=${curlImage}`]);
    assert.equal(setImage.code, 0, setImage.stderr);
    assert.match(setImage.stdout, /deployment\.apps\/mockb-ap-northeast-1a image updated/);
    // As on a real cluster, the controller sees this change on its own (revision 2) before the patch.
    await waitFor(
      'revision 2',
      async () => (await getItems<ReplicaSet>(cluster, ['rs', '-l', 'app=mockb'])).length === 3,
    );
    const patch =
      '{"spec":{"template":{"spec":{"containers":[{"name":"default","command":["sleep","36000"]}]}}}}';
    const patched = await cluster.kubectl(['patch', `deployment/${drilled}`, '-p', patch]);
    assert.equal(patched.code, 0, patched.stderr);
    assert.match(patched.stdout, /deployment\.apps\/mockb-ap-northeast-1a patched/);
    await rolloutStatus(cluster, agent, drilled);
    const bad = await onlyPodOf(cluster, drilled);
    assert.deepEqual(
      bad.spec.containers.map((c) => [c.name, c.image, c.command]),
      [['default', curlImage, ['sleep', '36000']]],
    );
    const history = await cluster.kubectl(['rollout', 'history', `deployment/${drilled}`]);
    assert.deepEqual(history.stdout.match(/^\d+(?=\s)/gm), ['1', '2', '3']);

    // `rollout undo` returns to the previous revision (the image change without the command) ...
    const undo = await cluster.kubectl(['rollout', 'undo', `deployment/${drilled}`]);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, /deployment\.apps\/mockb-ap-northeast-1a rolled back/);
    await rolloutStatus(cluster, agent, drilled);
    const previous = await onlyPodOf(cluster, drilled);
    assert.deepEqual(
      previous.spec.containers.map((c) => [c.image, c.command]),
      [[curlImage, undefined]],
    );

    // ... and `--to-revision=1` brings the seed's template back on the original ReplicaSet.
    const toFirst = await cluster.kubectl(['rollout', 'undo', `deployment/${drilled}`, '--to-revision=1']);
    assert.equal(toFirst.code, 0, toFirst.stderr);
    await rolloutStatus(cluster, agent, drilled);
    const restored = await onlyPodOf(cluster, drilled);
    assert.deepEqual(
      restored.spec.containers.map((c) => [c.image, c.command]),
      [[seedImage, undefined]],
    );
    assert.ok(
      ownedBy(restored.metadata, 'ReplicaSet', originalSet.metadata.name),
      'the original ReplicaSet runs it',
    );
    const sets = await getItems<ReplicaSet>(cluster, ['rs', '-l', 'app=mockb']);
    const reused = sets.find((rs) => rs.metadata.name === originalSet.metadata.name);
    assert.equal(reused?.metadata.uid, originalSet.metadata.uid);
    assert.equal(reused?.spec.replicas, 1);
    assert.equal(sets.length, 4, 'no new ReplicaSet was created by the undos');
    const template = await cluster.kubectl([
      'get',
      `deployment/${drilled}`,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].command}',
    ]);
    assert.equal(template.stdout, `${seedImage} `);
  } finally {
    await agent.stop();
    await cluster.close();
  }
});

test('kubectl delete -f of the seed files removes Deployments, their ReplicaSets and Pods, Services and slices', async () => {
  const cluster = await startZonedCluster('127.32.1.4');
  try {
    await applySeed(cluster);
    await waitFor('six pods', async () => (await getItems<Pod>(cluster, ['pods'])).length === 6);
    const kept = await cluster.kubectl(['create', 'configmap', 'bystander', '--from-literal=a=b']);
    assert.equal(kept.code, 0, kept.stderr);

    const deleted = await cluster.kubectl(['delete', '-f', appFile, '-f', rulesFile]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /^deployment\.apps "mockb-ap-northeast-1a" deleted$/m);
    assert.match(deleted.stdout, /^service "mockc" deleted$/m);
    assert.match(deleted.stdout, /^destinationrule\.networking\.istio\.io "mocka" deleted$/m);
    assert.equal(deleted.stdout.trim().split('\n').length, 14);

    await waitFor('the cascade to finish', async () => {
      const left = await cluster.kubectl(['get', 'deploy,rs,pods,svc,endpointslices,dr,gw,vs', '-o', 'name']);
      return left.code === 0 && left.stdout.trim() === '';
    });
    const cm = await cluster.kubectl(['get', 'configmap', 'bystander', '-o', 'name']);
    assert.equal(cm.stdout.trim(), 'configmap/bystander');
  } finally {
    await cluster.close();
  }
});
