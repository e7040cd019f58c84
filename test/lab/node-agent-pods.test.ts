/**
 * Pod lifecycle on one lab node (podCIDR 127.88.1.0/24, a real lab API server, real kubectl):
 * probes (httpGet, tcpSocket, exec; readiness and liveness), restarts with back-off, restart
 * policies, images the lab cannot run, the downward API, pods the agent cannot run, deletion, and an
 * API server restart. The agent runs with a short crash back-off (1 s doubling to 4 s) so that the
 * kubelet's sequence is seen within seconds; the real 10 s .. 5 min numbers are unit-tested.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeAgent } from '../../src/lab/node-agent/node-agent.js';
import { waitFor } from '../support/wait-for.js';
import { startLabNodeCluster, type LabNode, type LabNodeCluster } from './support/lab-node-fixture.js';
import {
  condition,
  containerStatus,
  control,
  isAlive,
  isPodReady,
  podManifest,
  PodReader,
} from './support/pod-helpers.js';

const zone = 'ap-northeast-1a';
const sample = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';

describe('node agent: pod lifecycle', () => {
  let lab: LabNodeCluster;
  let node: LabNode;
  let agent: NodeAgent;
  let pods: PodReader;

  async function apply(manifest: string): Promise<void> {
    const r = await lab.cluster.kubectl(['apply', '-f', '-'], manifest);
    assert.equal(r.code, 0, r.stderr);
  }

  function podDir(name: string): string {
    const info = agent
      .pods()
      .find((w) => w.spec.name === name)
      ?.info();
    return String(info?.['podDir'] ?? '');
  }

  before(async () => {
    lab = await startLabNodeCluster({
      octet: 88,
      zones: [zone],
      agentOptions: {
        crashBackoff: { initialMs: 1000, maxMs: 4000 },
        imageBackoff: { initialMs: 1000, maxMs: 4000 },
      },
    });
    node = lab.nodes[0] as LabNode;
    agent = await lab.startAgent(node);
    pods = new PodReader(lab.kubeConfig);
  });

  after(async () => {
    await lab?.close();
  });

  test("the Node turns Ready with the agent's address, version and pod capacity", async () => {
    const r = await waitFor(
      'node Ready',
      async () => {
        const out = await lab.cluster.kubectl(['get', 'node', node.name, '-o', 'wide', '--no-headers']);
        return /\sReady\s/.test(out.stdout) ? out.stdout : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    assert.match(
      r,
      new RegExp(`^${node.name}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-spillway\\s+127\\.88\\.1\\.1\\s`),
    );
    const json = JSON.parse((await lab.cluster.kubectl(['get', 'node', node.name, '-o', 'json'])).stdout) as {
      status: { capacity: Record<string, string>; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
    };
    assert.equal(json.status.capacity['pods'], '253');
    assert.equal(json.status.daemonEndpoints.kubeletEndpoint.Port, Number(new URL(agent.controlUrl).port));
  });

  test('readiness probes: a failing httpGet keeps the pod NotReady, tcpSocket and exec pass when they can', async () => {
    const marker = join(lab.stateDir, 'ready-marker');
    await apply(
      podManifest('probed', zone, {
        containers: [
          {
            name: 'web',
            image: sample,
            env: [
              { name: 'app', value: 'probed' },
              { name: 'version', value: 'v1' },
            ],
            ports: [{ containerPort: 8000, name: 'http' }],
            readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
          },
          {
            name: 'file',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            readinessProbe: {
              exec: { command: ['test', '-f', marker] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          },
          {
            name: 'health',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            readinessProbe: { httpGet: { path: '/healthz', port: 9999 }, periodSeconds: 1 },
          },
        ],
      }),
    );
    const notReady = await pods.waitPod(
      'probed',
      'web ready, the others not',
      (p) => containerStatus(p, 'web')?.ready === true,
    );
    assert.equal(containerStatus(notReady, 'file')?.ready, false);
    assert.equal(containerStatus(notReady, 'health')?.ready, false);
    assert.equal(notReady.status?.phase, 'Running');
    assert.equal(condition(notReady, 'Ready')?.status, 'False');
    assert.equal(condition(notReady, 'Ready')?.message, 'containers with unready status: [file health]');
    const ip = notReady.status?.podIP ?? '';
    const unhealthy = await waitFor('an Unhealthy event for the httpGet probe', async () =>
      (await pods.eventLines('probed')).find((l) =>
        l.startsWith('Warning Unhealthy: Readiness probe failed: Get "http://'),
      ),
    );
    assert.equal(
      unhealthy,
      `Warning Unhealthy: Readiness probe failed: Get "http://${ip}:9999/healthz": dial tcp ${ip}:9999: connect: connection refused`,
    );
    const { writeFileSync } = await import('node:fs');
    writeFileSync(marker, '');
    const later = await pods.waitPod(
      'probed',
      'file ready',
      (p) => containerStatus(p, 'file')?.ready === true,
    );
    assert.equal(isPodReady(later), false, 'health still fails');
    assert.equal(condition(later, 'ContainersReady')?.message, 'containers with unready status: [health]');
  });

  test('a command that exits 1 restarts with back-off: restartCount grows, CrashLoopBackOff, last state', async () => {
    await apply(
      podManifest('crasher', zone, {
        containers: [{ name: 'boom', image: 'busybox:1.36', command: ['sh', '-c', 'echo boom; exit 1'] }],
      }),
    );
    const looping = await pods.waitPod(
      'crasher',
      'restarted twice and in CrashLoopBackOff',
      (p) => {
        const c = containerStatus(p, 'boom');
        return (c?.restartCount ?? 0) >= 2 && c?.state?.waiting?.reason === 'CrashLoopBackOff';
      },
      30_000,
    );
    const c = containerStatus(looping, 'boom');
    assert.match(
      c?.state?.waiting?.message ?? '',
      /^back-off [24]s restarting failed container=boom pod=crasher_default\(/,
    );
    assert.equal(c?.lastState?.terminated?.exitCode, 1);
    assert.equal(c?.lastState?.terminated?.reason, 'Error');
    assert.equal(looping.status?.phase, 'Running', 'restartPolicy Always keeps the pod Running');
    const lines = await pods.eventLines('crasher');
    assert.ok(
      lines.some((l) =>
        l.startsWith('Warning BackOff: Back-off restarting failed container boom in pod crasher_default('),
      ),
      lines.join('\n'),
    );
    assert.match(readFileSync(join(podDir('crasher'), 'boom.log'), 'utf8'), /^boom\nboom\n/);
    const table = await lab.cluster.kubectl(['get', 'pod', 'crasher', '--no-headers']);
    assert.match(table.stdout, /^crasher\s+0\/1\s+(CrashLoopBackOff|Error)\s+[2-9]/);
  });

  test('restartPolicy Never and OnFailure: a clean exit ends the pod Succeeded, a failure under Never is Failed', async () => {
    await apply(
      podManifest('once-ok', zone, {
        restartPolicy: 'OnFailure',
        containers: [{ name: 'job', image: 'busybox', command: ['true'] }],
      }),
    );
    await apply(
      podManifest('once-bad', zone, {
        restartPolicy: 'Never',
        containers: [{ name: 'job', image: 'busybox', command: ['sh', '-c', 'exit 3'] }],
      }),
    );
    const ok = await pods.waitPod('once-ok', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    assert.equal(containerStatus(ok, 'job')?.state?.terminated?.reason, 'Completed');
    assert.equal(containerStatus(ok, 'job')?.restartCount, 0);
    const bad = await pods.waitPod('once-bad', 'Failed', (p) => p.status?.phase === 'Failed');
    assert.equal(containerStatus(bad, 'job')?.state?.terminated?.exitCode, 3);
    assert.equal(containerStatus(bad, 'job')?.restartCount, 0);
    assert.equal(condition(bad, 'Ready')?.reason, 'PodCompleted');
  });

  test('an image the lab cannot run, without a command: ErrImagePull, then ImagePullBackOff, never a crash', async () => {
    await apply(podManifest('nginx', zone, { containers: [{ name: 'web', image: 'nginx:1.27' }] }));
    const p = await pods.waitPod(
      'nginx',
      'ErrImagePull',
      (x) => containerStatus(x, 'web')?.state?.waiting?.reason === 'ErrImagePull',
    );
    assert.match(
      containerStatus(p, 'web')?.state?.waiting?.message ?? '',
      /^the lab cannot run this image: only images containing go-http-sample/,
    );
    assert.equal(p.status?.phase, 'Pending');
    await pods.waitPod(
      'nginx',
      'ImagePullBackOff',
      (x) => containerStatus(x, 'web')?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    const lines = await pods.eventLines('nginx');
    assert.ok(lines.includes('Normal Pulling: Pulling image "nginx:1.27"'), lines.join('\n'));
    assert.ok(
      lines.some((l) =>
        l.startsWith('Warning Failed: Failed to pull image "nginx:1.27": the lab cannot run this image'),
      ),
    );
    assert.ok(lines.includes('Warning Failed: Error: ErrImagePull'));
    assert.ok(lines.includes('Normal BackOff: Back-off pulling image "nginx:1.27"'));
    const table = await lab.cluster.kubectl(['get', 'pod', 'nginx', '--no-headers']);
    assert.match(table.stdout, /^nginx\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0/);
  });

  test('a failing liveness probe kills and restarts the container (Killing event)', async () => {
    await apply(
      podManifest('unlive', zone, {
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '3600'],
            livenessProbe: { tcpSocket: { port: 7999 }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    const p = await pods.waitPod(
      'unlive',
      'restarted after the liveness kill',
      (x) => (containerStatus(x, 'app')?.restartCount ?? 0) >= 1,
      20_000,
    );
    assert.equal(
      containerStatus(p, 'app')?.lastState?.terminated?.exitCode,
      143,
      'sleep dies of the SIGTERM',
    );
    const lines = await pods.eventLines('unlive');
    assert.ok(
      lines.includes('Normal Killing: Container app failed liveness probe, will be restarted'),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('Warning Unhealthy: Liveness probe failed: dial tcp 127.88.1.')),
    );
  });

  test('env from values and the downward API reaches the process; $(VAR) expands in the command', async () => {
    await apply(
      podManifest('envy', zone, {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'print',
            image: 'busybox',
            command: ['sh', '-c', 'echo "$POD_NAME $MY_NS $POD_IP $HOSTNAME $(GREETING)"'],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'GREETING', value: 'hi-$(POD_NAME)' },
            ],
          },
        ],
      }),
    );
    const p = await pods.waitPod('envy', 'Succeeded', (x) => x.status?.phase === 'Succeeded');
    assert.equal(
      readFileSync(join(podDir('envy'), 'print.log'), 'utf8'),
      `envy default ${p.status?.podIP} envy hi-envy\n`,
    );
  });

  test('a pod the agent cannot run is reported on the pod (status and event); the agent carries on', async () => {
    await apply(
      podManifest('initful', zone, {
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      }),
    );
    const p = await pods.waitPod(
      'initful',
      'reported',
      (x) => containerStatus(x, 'app')?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    assert.equal(
      containerStatus(p, 'app')?.state?.waiting?.message,
      'init containers are not supported by the lab node agent',
    );
    assert.equal(p.status?.phase, 'Pending');
    const lines = await pods.eventLines('initful');
    assert.ok(
      lines.includes(
        'Warning FailedCreatePodSandBox: Failed to create pod sandbox: init containers are not supported by the lab node agent',
      ),
    );
    await apply(
      podManifest('secretive', zone, {
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['true'],
            env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          },
        ],
      }),
    );
    const s = await pods.waitPod(
      'secretive',
      'CreateContainerConfigError',
      (x) => containerStatus(x, 'app')?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    assert.equal(
      containerStatus(s, 'app')?.state?.waiting?.message,
      'env S: valueFrom secretKeyRef is not supported by the lab node agent',
    );
    assert.ok(s.status?.podIP?.startsWith('127.88.1.'));
  });

  test('a sidecar without a known control plane waits (CreateContainerConfigError) until istiod is annotated', async () => {
    await apply(
      podManifest('sidecarred', zone, {
        containers: [
          { name: 'app', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 8000 }] },
          { name: 'istio-proxy', image: 'spillway/proxyv2', args: ['proxy', 'sidecar'] },
        ],
      }),
    );
    const waiting = await pods.waitPod(
      'sidecarred',
      'proxy waiting',
      (p) => containerStatus(p, 'istio-proxy')?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    assert.match(
      containerStatus(waiting, 'istio-proxy')?.state?.waiting?.message ?? '',
      /^no control plane address for the proxy: start the node agent with --xds-address, or annotate Service istio-system\/istiod/,
    );
    assert.equal(isPodReady(waiting), false);
    // Nothing serves ADS there: the proxy starts (admin up) but never gets configuration.
    await apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: 'istiod',
              namespace: 'istio-system',
              annotations: { 'lab.spillway.io/xds-address': '127.88.1.1:1' },
            },
            spec: { ports: [{ name: 'grpc-xds', port: 15010 }] },
          },
        ],
      }),
    );
    const started = await pods.waitPod(
      'sidecarred',
      'proxy running',
      (p) => containerStatus(p, 'istio-proxy')?.state?.running !== undefined,
      30_000,
    );
    assert.equal(containerStatus(started, 'istio-proxy')?.ready, false, 'not ready without configuration');
    const info = await control(agent, 'GET', '/v1/pods/default/sidecarred');
    const proxy = info.json['proxy'] as { role: string; admin: string };
    assert.equal(proxy.role, 'sidecar');
    assert.equal(proxy.admin, `${started.status?.podIP?.replace(/^127\.88\./, '127.188.')}:15000`);
    const ready = await fetch(`http://${proxy.admin}/ready`);
    assert.equal(ready.status, 503);
    const r = await lab.cluster.kubectl(['delete', 'pod', 'sidecarred', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('deleting a pod stops its processes (no pid left) and frees its address', async () => {
    await apply(
      podManifest('doomed', zone, {
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      }),
    );
    const p = await pods.waitPod('doomed', 'Ready', isPodReady);
    const worker = agent.pods().find((w) => w.spec.name === 'doomed');
    const [pid] = worker?.pids() ?? [];
    assert.ok(pid !== undefined && isAlive(pid));
    const r = await lab.cluster.kubectl(['delete', 'pod', 'doomed', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the process to be gone', () => !isAlive(pid), { timeoutMs: 10_000 });
    await agent.settled();
    assert.equal(
      agent.pods().some((w) => w.spec.name === 'doomed'),
      false,
    );
    assert.equal(agent.childPids().includes(pid), false);
    const info = await control(agent, 'GET', '/v1/pods/default/doomed');
    assert.equal(info.status, 404);
    assert.ok(p.status?.podIP !== undefined);
  });

  test('an API server restart is survived: pods created afterwards run, statuses keep flowing', async () => {
    await lab.cluster.restart();
    await apply(
      podManifest('after-restart', zone, {
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      }),
    );
    const p = await pods.waitPod('after-restart', 'Ready', isPodReady, 30_000);
    assert.ok(p.status?.podIP?.startsWith('127.88.1.'));
    const nodeOut = await lab.cluster.kubectl(['get', 'node', node.name, '--no-headers']);
    assert.match(nodeOut.stdout, /\sReady\s/);
  });
});
