/**
 * kubectl's write verbs against the lab API server as they behave on a real cluster (kubectl 1.32):
 * server-side apply with field managers and conflicts, `patch` of each type, `edit` with a
 * non-interactive editor, and `get -w` showing updates and deletes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../support/wait-for.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

function deployment(replicas: number, image = 'example/web:1'): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: ${image}
        env:
        - {name: MODE, value: blue}
`;
}

interface Deployment {
  metadata: {
    resourceVersion: string;
    generation: number;
    labels?: Record<string, string>;
    managedFields?: {
      manager: string;
      operation: string;
      fieldsV1: { 'f:spec'?: Record<string, unknown> };
    }[];
  };
  spec: {
    replicas: number;
    template: {
      spec: { containers: { name: string; image: string; env?: { name: string; value: string }[] }[] };
    };
  };
}

async function getDeployment(cluster: TestCluster): Promise<Deployment> {
  const r = await cluster.kubectl(['get', 'deployment', 'web', '--show-managed-fields', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Deployment;
}

/** The managers (name/operation) whose managed fields include `spec.replicas`. */
function replicaOwners(d: Deployment): string[] {
  return (d.metadata.managedFields ?? [])
    .filter((m) => m.fieldsV1['f:spec']?.['f:replicas'] !== undefined)
    .map((m) => `${m.manager}/${m.operation}`);
}

async function withCluster(address: string, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await startTestCluster({ address });
  try {
    await body(cluster);
  } finally {
    await cluster.close();
  }
}

test('kubectl apply --server-side creates, re-applies, reports a conflict with another manager and --force-conflicts takes over', async () => {
  await withCluster('127.32.2.1', async (cluster) => {
    const created = await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment(2));
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'deployment.apps/web serverside-applied');
    const first = await getDeployment(cluster);
    assert.deepEqual(replicaOwners(first), ['kubectl/Apply']);

    const again = await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment(2));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'deployment.apps/web serverside-applied');
    assert.equal(
      (await getDeployment(cluster)).metadata.resourceVersion,
      first.metadata.resourceVersion,
      'a no-op apply stores nothing',
    );

    const other = ['apply', '--server-side', '--field-manager=other', '-f', '-'];
    const conflict = await cluster.kubectl(other, deployment(5));
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    assert.match(conflict.stderr, /re-run the apply\s+command with the `--force-conflicts` flag/);
    assert.equal((await getDeployment(cluster)).spec.replicas, 2);

    const forced = await cluster.kubectl([...other, '--force-conflicts'], deployment(5));
    assert.equal(forced.code, 0, forced.stderr);
    const taken = await getDeployment(cluster);
    assert.equal(taken.spec.replicas, 5);
    assert.deepEqual(replicaOwners(taken), ['other/Apply']);

    // kubectl lost the field: applying its old value is now a conflict with "other".
    const back = await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment(2));
    assert.equal(back.code, 1);
    assert.match(back.stderr, /conflict with "other": \.spec\.replicas/);
  });
});

test('kubectl patch applies JSON, merge and strategic merge patches as kube-apiserver does', async () => {
  await withCluster('127.32.2.2', async (cluster) => {
    assert.equal((await cluster.kubectl(['create', '-f', '-'], deployment(2))).code, 0);
    const patch = (type: string, body: string) =>
      cluster.kubectl(['patch', 'deployment', 'web', ...(type === '' ? [] : ['--type', type]), '-p', body]);

    const json = await patch(
      'json',
      '[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels/tier","value":"json"}]',
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout.trim(), 'deployment.apps/web patched');
    let d = await getDeployment(cluster);
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.metadata.labels, { app: 'web', tier: 'json' });
    const failedTest = await patch(
      'json',
      '[{"op":"test","path":"/spec/replicas","value":99},{"op":"replace","path":"/spec/replicas","value":4}]',
    );
    assert.notEqual(failedTest.code, 0);
    assert.equal((await getDeployment(cluster)).metadata.resourceVersion, d.metadata.resourceVersion);

    // A merge patch: null deletes a key, a list is replaced as a whole.
    const merge = await patch(
      'merge',
      '{"metadata":{"labels":{"tier":null,"merged":"yes"}},"spec":{"template":{"spec":{"containers":[{"name":"main","image":"example/web:2"}]}}}}',
    );
    assert.equal(merge.code, 0, merge.stderr);
    d = await getDeployment(cluster);
    assert.deepEqual(d.metadata.labels, { app: 'web', merged: 'yes' });
    assert.deepEqual(d.spec.template.spec.containers, [{ name: 'main', image: 'example/web:2' }]);

    // The default strategic merge patch merges containers and env by name.
    const strategic = await patch(
      '',
      '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"example/side:1"},{"name":"main","env":[{"name":"MODE","value":"green"}]}]}}}}',
    );
    assert.equal(strategic.code, 0, strategic.stderr);
    d = await getDeployment(cluster);
    assert.deepEqual(
      d.spec.template.spec.containers.map((c) => [c.name, c.image, c.env]),
      [
        ['side', 'example/side:1', undefined],
        ['main', 'example/web:2', [{ name: 'MODE', value: 'green' }]],
      ],
    );
    const generation = d.metadata.generation;
    const remove = await patch(
      'strategic',
      '{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}',
    );
    assert.equal(remove.code, 0, remove.stderr);
    d = await getDeployment(cluster);
    assert.deepEqual(
      d.spec.template.spec.containers.map((c) => c.name),
      ['main'],
    );
    assert.equal(d.metadata.generation, generation + 1);
  });
});

test('kubectl edit with a non-interactive editor saves the change; an invalid edit is refused with the reason', async () => {
  await withCluster('127.32.2.3', async (cluster) => {
    assert.equal((await cluster.kubectl(['create', '-f', '-'], deployment(2))).code, 0);
    const env = { TMPDIR: cluster.dir };
    const edited = await cluster.kubectl(['edit', 'deployment', 'web'], undefined, {
      ...env,
      KUBE_EDITOR: 'sed -i s#example/web:1#example/web:2#',
    });
    assert.equal(edited.code, 0, edited.stderr);
    assert.equal(edited.stdout.trim(), 'deployment.apps/web edited');
    const d = await getDeployment(cluster);
    assert.equal(d.spec.template.spec.containers[0]?.image, 'example/web:2');
    assert.equal(d.metadata.generation, 2);

    const invalid = await cluster.kubectl(['edit', 'deployment', 'web'], undefined, {
      ...env,
      // kubectl runs an editor command with spaces through `sh -c`.
      KUBE_EDITOR: "sed -i 's/replicas: 2/replicas: -1/'",
    });
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /deployments\.apps "web" is invalid/);
    // kubectl keeps the rejected edit, headed by the server's causes, in a file under TMPDIR.
    const copies = readdirSync(cluster.dir).filter((f) => f.startsWith('kubectl-edit-'));
    const saved = copies.map((f) => readFileSync(join(cluster.dir, f), 'utf8')).join('\n');
    assert.match(saved, /# \* spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    const after = await getDeployment(cluster);
    assert.equal(after.spec.replicas, 2);
    assert.equal(after.metadata.resourceVersion, d.metadata.resourceVersion);
  });
});

test('kubectl get -w --output-watch-events shows an update and a delete as they happen', async () => {
  await withCluster('127.32.2.4', async (cluster) => {
    const created = await cluster.kubectl(['create', 'configmap', 'watched', '--from-literal=a=1']);
    assert.equal(created.code, 0, created.stderr);
    const watch = cluster.spawnKubectl([
      'get',
      'configmap',
      'watched',
      '-w',
      '--output-watch-events',
      '--no-headers',
    ]);
    try {
      await waitFor('the initial ADDED line', () => /^ADDED\s+watched\s+1\s/m.test(watch.output()));
      const patched = await cluster.kubectl(['patch', 'configmap', 'watched', '-p', '{"data":{"b":"2"}}']);
      assert.equal(patched.code, 0, patched.stderr);
      await waitFor('a MODIFIED line with two data keys', () =>
        /^MODIFIED\s+watched\s+2\s/m.test(watch.output()),
      );
      const deleted = await cluster.kubectl(['delete', 'configmap', 'watched']);
      assert.equal(deleted.code, 0, deleted.stderr);
      await waitFor('a DELETED line', () => /^DELETED\s+watched\s/m.test(watch.output()));
      assert.deepEqual(
        watch
          .output()
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)[0]),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
    } finally {
      await watch.stop();
    }
  });
});
