import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../kube-object.js';
import type { KubeObject } from '../kube-object.js';
import { resourceTypes } from '../resource-registry.js';
import { applyPatch } from './index.js';

function resource(kind: string) {
  const found = resourceTypes.find((r) => r.kind === kind);
  assert.ok(found, kind);
  return found;
}

const deployments = resource('Deployment');

const oldImage = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';
const curlImage = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';

/** The seed's mockb-ap-northeast-1a as `kubectl apply` wrote it, with server defaults filled in. */
function liveDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'mockb-ap-northeast-1a',
      namespace: 'default',
      labels: { app: 'mockb' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' },
      finalizers: ['a', 'b'],
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'mockb' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'mockb', locality: 'ap-northeast-1a' } },
        spec: {
          nodeSelector: { 'topology.kubernetes.io/zone': 'ap-northeast-1a' },
          containers: [
            {
              name: 'default',
              image: oldImage,
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'version', value: 'ap-northeast-1a' },
                { name: 'app', value: 'mockb' },
                { name: 'upstream_url', value: 'http://mockc:8000/' },
              ],
              ports: [{ containerPort: 8000, protocol: 'TCP' }],
              resources: {},
              terminationMessagePath: '/dev/termination-log',
            },
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 1 },
  };
}

function podSpecOf(object: KubeObject): Record<string, unknown> {
  const spec = object['spec'] as { template: { spec: Record<string, unknown> } };
  return spec.template.spec;
}

function containersOf(object: KubeObject): Array<Record<string, unknown>> {
  return podSpecOf(object)['containers'] as Array<Record<string, unknown>>;
}

test('kubectl apply of the seed change "image -> curl, add command" patches only that container', () => {
  // kubectl's three-way patch (last-applied = seed manifest, live above, new = seed with the image
  // changed and `command` added): the changed container by merge key, its element order, and the
  // new last-applied annotation.
  const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{}}\n';
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'default' }],
          containers: [{ command: ['sleep', '36000'], image: curlImage, name: 'default' }],
        },
      },
    },
  };
  const live = liveDeployment();
  const result = applyPatch('strategic', live, patch, deployments);
  const expected = liveDeployment();
  expected.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
  const container = containersOf(expected)[0];
  assert.ok(container);
  container['image'] = curlImage;
  container['command'] = ['sleep', '36000'];
  assert.deepEqual(result, expected);
  assert.deepEqual(live, liveDeployment(), 'input not modified');
});

test('containers merge by name; env merges by name, new entries placed as mergeSortedSlice does', () => {
  const twoContainers = liveDeployment();
  containersOf(twoContainers).push({ name: 'sidecar', image: 'proxy:1' });
  const result = applyPatch(
    'strategic',
    twoContainers,
    {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'default',
                env: [
                  { name: 'app', value: 'other' },
                  { name: 'new', value: 'x' },
                ],
              },
            ],
          },
        },
      },
    },
    deployments,
  );
  const [first, second] = containersOf(result);
  assert.equal(first?.['image'], oldImage);
  assert.deepEqual(first?.['env'], [
    { name: 'version', value: 'ap-northeast-1a' },
    { name: 'app', value: 'other' },
    // strategicpatch mergeSortedSlice: a patch item the server does not have goes before the
    // remaining server-only items (server-only `upstream_url` cannot be compared with `new`).
    { name: 'new', value: 'x' },
    { name: 'upstream_url', value: 'http://mockc:8000/' },
  ]);
  assert.deepEqual(second, { name: 'sidecar', image: 'proxy:1' });
});

test('$patch: delete removes a list item by merge key', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    {
      spec: {
        template: { spec: { containers: [{ name: 'default', env: [{ name: 'app', $patch: 'delete' }] }] } },
      },
    },
    deployments,
  );
  assert.deepEqual(
    (containersOf(result)[0]?.['env'] as Array<{ name: string }>).map((e) => e.name),
    ['version', 'upstream_url'],
  );
});

test('$patch: replace in a list replaces the whole list; in a map replaces the map', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    {
      metadata: { labels: { $patch: 'replace', tier: 'db' } },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'default', env: [{ $patch: 'replace' }, { name: 'only', value: '1' }] }],
          },
        },
      },
    },
    deployments,
  );
  assert.deepEqual(result.metadata.labels, { tier: 'db' });
  assert.deepEqual(containersOf(result)[0]?.['env'], [{ name: 'only', value: '1' }]);
});

test('$setElementOrder reorders the list, keeping server-only items by server position', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'default',
                '$setElementOrder/env': [{ name: 'upstream_url' }, { name: 'version' }],
                env: [{ name: 'upstream_url', value: 'http://mockd:8000/' }],
              },
            ],
          },
        },
      },
    },
    deployments,
  );
  // `app` is only on the server; mergeSortedSlice compares server positions: app (1) is before
  // upstream_url (2), so it goes first; version then follows the patch order.
  assert.deepEqual(containersOf(result)[0]?.['env'], [
    { name: 'app', value: 'mockb' },
    { name: 'upstream_url', value: 'http://mockd:8000/' },
    { name: 'version', value: 'ap-northeast-1a' },
  ]);
});

test('$retainKeys clears the strategy keys not listed (switching to Recreate)', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    deployments,
  );
  assert.deepEqual((result['spec'] as Record<string, unknown>)['strategy'], { type: 'Recreate' });
  assert.throws(
    () =>
      applyPatch(
        'strategic',
        liveDeployment(),
        { spec: { strategy: { $retainKeys: ['x'], type: 'Recreate' } } },
        deployments,
      ),
    (error: unknown) => error instanceof KubeApiError && error.code === 422,
  );
});

test('primitive merge lists merge as sets; $deleteFromPrimitiveList removes values', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    deployments,
  );
  assert.deepEqual(result.metadata.finalizers, ['c', 'a']);
  const added = applyPatch('strategic', liveDeployment(), { metadata: { finalizers: ['z'] } }, deployments);
  // New values go ahead of server-only ones (mergeSortedSlice cannot place them by server order).
  assert.deepEqual(added.metadata.finalizers, ['z', 'a', 'b']);
});

test('lists without a merge strategy are replaced; null deletes a field', () => {
  const result = applyPatch(
    'strategic',
    liveDeployment(),
    {
      spec: {
        replicas: null,
        template: {
          spec: { nodeSelector: null, containers: [{ name: 'default', command: ['a'], resources: null }] },
        },
      },
    },
    deployments,
  );
  assert.equal((result['spec'] as Record<string, unknown>)['replicas'], undefined);
  assert.equal(podSpecOf(result)['nodeSelector'], undefined);
  assert.deepEqual(containersOf(result)[0]?.['command'], ['a']);
  assert.equal(containersOf(result)[0]?.['resources'], undefined);
  const again = applyPatch(
    'strategic',
    result,
    { spec: { template: { spec: { containers: [{ name: 'default', command: ['b', 'c'] }] } } } },
    deployments,
  );
  assert.deepEqual(containersOf(again)[0]?.['command'], ['b', 'c']);
});

test('service ports merge by port; a new port goes first as in strategicpatch', () => {
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'mocka' },
    spec: { ports: [{ port: 8000, name: 'http', protocol: 'TCP' }], selector: { app: 'mocka' } },
  };
  const result = applyPatch(
    'strategic',
    service,
    { spec: { ports: [{ port: 9000, name: 'grpc' }] } },
    resource('Service'),
  );
  assert.deepEqual((result['spec'] as Record<string, unknown>)['ports'], [
    { port: 9000, name: 'grpc' },
    { port: 8000, name: 'http', protocol: 'TCP' },
  ]);
  const renamed = applyPatch(
    'strategic',
    service,
    { spec: { ports: [{ port: 8000, name: 'web' }] } },
    resource('Service'),
  );
  assert.deepEqual((renamed['spec'] as Record<string, unknown>)['ports'], [
    { port: 8000, name: 'web', protocol: 'TCP' },
  ]);
});

test('a list item without its merge key is refused', () => {
  assert.throws(
    () =>
      applyPatch(
        'strategic',
        liveDeployment(),
        { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
        deployments,
      ),
    (error: unknown) =>
      error instanceof KubeApiError && /does not contain declared merge key: name/.test(error.message),
  );
});

test('strategic merge patch on an Istio custom resource is 415', () => {
  const destinationRules = resource('DestinationRule');
  const rule: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'r' },
  };
  assert.throws(
    () => applyPatch('strategic', rule, { spec: {} }, destinationRules),
    (error: unknown) =>
      error instanceof KubeApiError && error.code === 415 && error.reason === 'UnsupportedMediaType',
  );
  const merged = applyPatch('merge', rule, { spec: { host: 'h' } }, destinationRules);
  assert.deepEqual(merged['spec'], { host: 'h' });
});

test('kubectl rollout undo replaces the pod template with $patch: replace', () => {
  const template = {
    metadata: { labels: { app: 'mockb', locality: 'ap-northeast-1a' } },
    spec: { containers: [{ name: 'default', image: oldImage }] },
  };
  const current = applyPatch(
    'strategic',
    liveDeployment(),
    {
      spec: {
        template: {
          spec: { containers: [{ name: 'default', image: curlImage, command: ['sleep', '36000'] }] },
        },
      },
    },
    deployments,
  );
  const undone = applyPatch(
    'strategic',
    current,
    {
      metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: { template: { $patch: 'replace', ...template } },
    },
    deployments,
  );
  assert.deepEqual((undone['spec'] as Record<string, unknown>)['template'], template);
  assert.equal(undone.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
});

test('a $setElementOrder without its list reorders only merging lists', () => {
  const live = liveDeployment();
  podSpecOf(live)['tolerations'] = [{ key: 'k', operator: 'Exists' }];
  const result = applyPatch(
    'strategic',
    live,
    {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'default',
                '$setElementOrder/env': [{ name: 'app' }, { name: 'version' }, { name: 'upstream_url' }],
              },
            ],
            '$setElementOrder/tolerations': [],
          },
        },
      },
    },
    deployments,
  );
  assert.deepEqual(
    (containersOf(result)[0]?.['env'] as Array<{ name: string }>).map((e) => e.name),
    ['app', 'version', 'upstream_url'],
  );
  assert.deepEqual(podSpecOf(result)['tolerations'], [{ key: 'k', operator: 'Exists' }]);
});
