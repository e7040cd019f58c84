/**
 * The lab API server driven by real kubectl (v1.32): discovery, create/get/list in every output
 * format, label selectors, apply idempotence, watch, delete, and kubectl's error texts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { waitFor } from '../support/wait-for.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: example/web:1
        ports:
        - containerPort: 8080
`;

function configMap(name: string, labels: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    data: { k: name },
  });
}

describe('real kubectl against the lab API server', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ address: '127.31.0.1' });
  });

  after(async () => {
    await cluster.close();
  });

  test('kubectl version reports the server version', async () => {
    const r = await cluster.kubectl(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server Version: v1\.32\.0-spillway/);
  });

  test('kubectl api-resources lists built-in and Istio kinds with short names', async () => {
    const r = await cluster.kubectl(['api-resources', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(r.stdout, /^destinationrules\s+dr\s+networking\.istio\.io\/v1\s+true\s+DestinationRule$/m);
    assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  });

  test('the default and kube-system namespaces exist on a fresh data dir', async () => {
    const r = await cluster.kubectl(['get', 'namespaces', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^namespace\/default$/m);
    assert.match(r.stdout, /^namespace\/kube-system$/m);
  });

  test('kubectl create -f, then get -o json, -o yaml and -o wide', async () => {
    const created = await cluster.kubectl(['create', '-f', '-'], deployment);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /deployment\.apps\/web created/);
    const json = await cluster.kubectl(['get', 'deployment', 'web', '-o', 'json']);
    const object = JSON.parse(json.stdout) as {
      metadata: Record<string, unknown>;
      spec: { replicas: number };
    };
    assert.equal(object.spec.replicas, 2);
    assert.equal(object.metadata['generation'], 1);
    assert.match(String(object.metadata['uid']), /^[0-9a-f-]{36}$/);
    assert.match(String(object.metadata['resourceVersion']), /^\d+$/);
    const yaml = await cluster.kubectl(['get', 'deploy', 'web', '-o', 'yaml']);
    assert.equal((parse(yaml.stdout) as { metadata: { name: string } }).metadata.name, 'web');
    const wide = await cluster.kubectl(['get', 'deployments', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /^NAME\b/);
    assert.match(wide.stdout, /^web\b/m);
  });

  test('label selectors select what kubectl -l asks for', async () => {
    for (const [name, labels] of [
      ['sel-a', { app: 'a', tier: 'front' }],
      ['sel-b', { app: 'b', tier: 'front' }],
      ['sel-c', { app: 'a', tier: 'back' }],
    ] as const) {
      const r = await cluster.kubectl(['create', '-f', '-'], configMap(name, labels));
      assert.equal(r.code, 0, r.stderr);
    }
    const eq = await cluster.kubectl(['get', 'cm', '-l', 'app=a', '-o', 'name']);
    assert.deepEqual(eq.stdout.trim().split('\n'), ['configmap/sel-a', 'configmap/sel-c']);
    const set = await cluster.kubectl(['get', 'cm', '-l', 'app in (a,b),tier!=back', '-o', 'name']);
    assert.deepEqual(set.stdout.trim().split('\n'), ['configmap/sel-a', 'configmap/sel-b']);
    const field = await cluster.kubectl([
      'get',
      'cm',
      '--field-selector',
      'metadata.name=sel-b',
      '-o',
      'name',
    ]);
    assert.deepEqual(field.stdout.trim().split('\n'), ['configmap/sel-b']);
  });

  test('kubectl apply twice reports unchanged the second time', async () => {
    const manifest = configMap('applied', { app: 'x' });
    const first = await cluster.kubectl(['apply', '-f', '-'], manifest);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /configmap\/applied created/);
    const second = await cluster.kubectl(['apply', '-f', '-'], manifest);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /configmap\/applied unchanged/);
  });

  test('kubectl get -w prints objects as they are created', async () => {
    const seed = await cluster.kubectl(['create', '-f', '-'], configMap('w-0', { watched: 'yes' }));
    assert.equal(seed.code, 0, seed.stderr);
    const child = spawn('kubectl', ['get', 'configmaps', '-w', '-o', 'name', '-l', 'watched=yes'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      // Once the initial list is printed, kubectl watches from that list's resourceVersion, so
      // everything created afterwards reaches it even if the watch request is still on its way.
      await waitFor('the initial list', () => out.includes('configmap/w-0'));
      for (const name of ['w-1', 'w-2']) {
        const r = await cluster.kubectl(['create', '-f', '-'], configMap(name, { watched: 'yes' }));
        assert.equal(r.code, 0, r.stderr);
      }
      await waitFor('both watched configmaps', () => /configmap\/w-1[\s\S]*configmap\/w-2/.test(out));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  test("kubectl delete removes the object and a second get is NotFound with kubectl's text", async () => {
    const del = await cluster.kubectl(['delete', 'configmap', 'sel-c']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /configmap "sel-c" deleted/);
    const get = await cluster.kubectl(['get', 'configmap', 'sel-c']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /Error from server \(NotFound\): configmaps "sel-c" not found/);
    const deploy = await cluster.kubectl(['get', 'deployment', 'nope']);
    assert.match(deploy.stderr, /Error from server \(NotFound\): deployments\.apps "nope" not found/);
  });

  test('creating an existing object is AlreadyExists', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], configMap('sel-a', { app: 'a' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(AlreadyExists\).*configmaps "sel-a" already exists/);
  });

  test('kubectl create/run generators (protobuf request bodies) create what they describe', async () => {
    const steps = [
      ['create', 'namespace', 'gen'],
      ['create', 'configmap', 'gen-cm', '-n', 'gen', '--from-literal=a=b'],
      ['create', 'secret', 'generic', 'gen-secret', '-n', 'gen', '--from-literal=pw=s3cret'],
      ['run', 'gen-pod', '-n', 'gen', '--image=example/app:1', '--port=80'],
      ['create', 'deployment', 'gen-deploy', '-n', 'gen', '--image=example/app:1', '--replicas=3'],
    ];
    for (const args of steps) {
      const r = await cluster.kubectl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const cm = await cluster.kubectl(['get', 'configmap', 'gen-cm', '-n', 'gen', '-o', 'jsonpath={.data.a}']);
    assert.equal(cm.stdout, 'b');
    const secret = await cluster.kubectl([
      'get',
      'secret',
      'gen-secret',
      '-n',
      'gen',
      '-o',
      'jsonpath={.data.pw}',
    ]);
    assert.equal(Buffer.from(secret.stdout, 'base64').toString(), 's3cret');
    const pod = await cluster.kubectl([
      'get',
      'pod',
      'gen-pod',
      '-n',
      'gen',
      '-o',
      'jsonpath={.spec.containers[0].image}',
    ]);
    assert.equal(pod.stdout, 'example/app:1');
    const deploy = await cluster.kubectl([
      'get',
      'deploy',
      'gen-deploy',
      '-n',
      'gen',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    assert.equal(deploy.stdout, '3');
  });

  test('a wrong bearer token is refused with 401 Unauthorized', async () => {
    const r = await cluster.kubectl(['--token', 'not-the-token', 'get', 'pods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /You must be logged in to the server \(Unauthorized\)/);
  });
});
