/**
 * Invalid objects are refused the way kube-apiserver and Istio's validating webhook refuse them:
 * kubectl exits non-zero and prints the field path and the reason, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

const rulesFile = '/work/shared/seed/destination-rules.yaml';

function deployment(name: string, templateLabel: string, container: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: ${templateLabel}}
    spec:
      containers:
      - ${container}
`;
}

function destinationRule(name: string, outlierDetection: string): string {
  return `
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: ${name}
spec:
  host: mockb
  trafficPolicy:
    outlierDetection:
${outlierDetection
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
}

async function withCluster(address: string, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await startTestCluster({ address });
  try {
    await body(cluster);
  } finally {
    await cluster.close();
  }
}

async function names(cluster: TestCluster, kind: string): Promise<string[]> {
  const r = await cluster.kubectl(['get', kind, '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n');
}

test('an invalid Deployment is refused with the field path and reason, and nothing is stored', async () => {
  await withCluster('127.32.3.1', async (cluster) => {
    const cases: Array<[string, string[], string, RegExp]> = [
      [
        'a selector that does not match the template labels',
        ['apply', '-f', '-'],
        deployment('mismatch', 'other', '{name: main, image: example/web:1}'),
        /The Deployment "mismatch" is invalid: spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"other"\}: `selector` does not match template `labels`/,
      ],
      [
        'a container without image',
        ['apply', '-f', '-'],
        deployment('noimage', 'web', '{name: main}'),
        /The Deployment "noimage" is invalid: spec\.template\.spec\.containers\[0\]\.image: Required value/,
      ],
      [
        'the same through server-side apply',
        ['apply', '--server-side', '-f', '-'],
        deployment('noimage-ssa', 'web', '{name: main}'),
        /The Deployment "noimage-ssa" is invalid: spec\.template\.spec\.containers\[0\]\.image: Required value/,
      ],
      [
        'an unknown field (kubectl asks for strict field validation)',
        ['create', '-f', '-'],
        deployment('typo', 'web', '{name: main, image: example/web:1, imagePullPolicyy: Always}'),
        /Error from server \(BadRequest\).*strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/,
      ],
    ];
    for (const [what, args, manifest, message] of cases) {
      const r = await cluster.kubectl(args, manifest);
      assert.equal(r.code, 1, what);
      assert.match(r.stderr, message, what);
    }
    assert.deepEqual(await names(cluster, 'deployments'), []);
    assert.deepEqual(await names(cluster, 'replicasets'), []);
  });
});

test("DestinationRules that Istio's validation rejects are refused with the field path and reason; the seed's rules are accepted", async () => {
  await withCluster('127.32.3.2', async (cluster) => {
    const path = 'spec\\.trafficPolicy\\.outlierDetection';
    const cases: Array<[string, string, RegExp]> = [
      [
        'local-origin-without-split',
        'consecutiveLocalOriginFailures: 1\nconsecutive5xxErrors: 1',
        new RegExp(
          `The DestinationRule "local-origin-without-split" is invalid: ${path}\\.consecutiveLocalOriginFailures: Invalid value: 1: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false`,
        ),
      ],
      [
        'ejection-over-100',
        'maxEjectionPercent: 150',
        new RegExp(
          `The DestinationRule "ejection-over-100" is invalid: ${path}\\.maxEjectionPercent: Invalid value: 150: percentage 150 is not in range 0\\.\\.100`,
        ),
      ],
      [
        'malformed-duration',
        'interval: 30 seconds\nbaseEjectionTime: 5m',
        new RegExp(
          `The DestinationRule "malformed-duration" is invalid: ${path}\\.interval: Invalid value: "string": must be a valid duration greater than 1ms`,
        ),
      ],
    ];
    for (const [name, outlierDetection, message] of cases) {
      const r = await cluster.kubectl(['apply', '-f', '-'], destinationRule(name, outlierDetection));
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, message, name);
    }
    assert.deepEqual(await names(cluster, 'destinationrules'), []);

    const seed = await cluster.kubectl(['apply', '-f', rulesFile]);
    assert.equal(seed.code, 0, seed.stderr);
    assert.deepEqual(await names(cluster, 'destinationrules'), [
      'destinationrule.networking.istio.io/mocka',
      'destinationrule.networking.istio.io/mockb',
      'destinationrule.networking.istio.io/mockc',
    ]);
  });
});
