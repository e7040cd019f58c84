import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandReferences, resolveContainer, type PodNetwork } from './container-env.js';
import { parsePodSpec } from './pod-spec.js';

const net: PodNetwork = {
  podIP: '127.87.1.2',
  hostIP: '127.87.1.1',
  localhost: '127.187.1.2',
  hasSidecar: true,
  path: '/usr/bin:/bin',
};

function podWith(container: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parsePodSpec({
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
    spec: { nodeName: 'node-a', containers: [container], ...extra },
  });
}

describe('$(VAR) expansion', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const lookup = (n: string): string | undefined => vars[n];
  const cases: Array<[string, string]> = [
    ['$(A)-$(B)', 'x-y'],
    ['$$(A)', '$(A)'],
    ['$(MISSING)', '$(MISSING)'],
    ['cost $5', 'cost $5'],
    ['$(A', '$(A'],
    ['end$', 'end$'],
    ['$$$(A)', '$x'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(expandReferences(input, lookup), expected);
    });
  }
});

describe('container environment', () => {
  test('values, downward API fields, earlier-variable references and the lab variables', () => {
    const pod = podWith({
      name: 'app',
      image: 'curl:8.1.2',
      command: ['sh', '-c', 'echo $(GREETING) from $(POD_NAME)'],
      args: ['$(UNSET)', '$$(POD_IP)'],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'GREETING', value: 'hello $(POD_NAME) $(LATER)' },
        { name: 'LATER', value: 'late' },
      ],
    });
    const container = pod.containers[0];
    assert.ok(container !== undefined && container.configProblem === undefined);
    const r = resolveContainer(pod, container, net);
    assert.equal(r.env['POD_NAME'], 'web-1');
    assert.equal(r.env['POD_IP'], '127.87.1.2');
    assert.equal(r.env['NS'], 'shop');
    assert.equal(r.env['APP'], 'web');
    assert.equal(r.env['GREETING'], 'hello web-1 $(LATER)', 'only variables declared before are visible');
    assert.deepEqual(r.command, ['sh', '-c', 'echo hello web-1 $(LATER) from web-1']);
    assert.deepEqual(r.args, ['$(UNSET)', '$(POD_IP)']);
    assert.equal(r.env['HOSTNAME'], 'web-1');
    assert.equal(r.env['PATH'], '/usr/bin:/bin');
    assert.equal(r.env['SPILLWAY_LISTEN_HOST'], '127.187.1.2');
    assert.equal(r.env['http_proxy'], 'http://127.187.1.2:15001');
    assert.equal(r.env['HTTP_PROXY'], 'http://127.187.1.2:15001');
    assert.equal(r.env['no_proxy'], '127.187.1.2,127.87.1.2,localhost,127.0.0.1');
    assert.deepEqual(Object.keys(r.declaredEnv), ['POD_NAME', 'POD_IP', 'NS', 'APP', 'GREETING', 'LATER']);
  });

  test('without a sidecar: no proxy variables, the app listens on the pod IP; own variables win', () => {
    const pod = podWith({
      name: 'app',
      image: 'x',
      command: ['true'],
      env: [{ name: 'PATH', value: '/opt' }],
    });
    const r = resolveContainer(pod, pod.containers[0] as never, { ...net, hasSidecar: false });
    assert.equal(r.env['http_proxy'], undefined);
    assert.equal(r.env['SPILLWAY_LISTEN_HOST'], '127.87.1.2');
    assert.equal(r.env['PATH'], '/opt');
  });

  test('unsupported valueFrom sources make the container a CreateContainerConfigError', () => {
    const pod = podWith({
      name: 'app',
      image: 'x',
      command: ['true'],
      env: [
        { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    });
    assert.equal(
      pod.containers[0]?.configProblem,
      'env SECRET: valueFrom secretKeyRef is not supported by the lab node agent',
    );
  });
});
