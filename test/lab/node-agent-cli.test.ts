/**
 * `spillway lab node-agent` as the supervisor runs it: a real child process with the flags of
 * `--kubeconfig --context --node --state-dir` (plus the control address for the test's range), a
 * real lab API server and kubectl. The process registers nothing (the Node exists), prints its ready
 * line, writes control.json, serves the control API with the token from its state directory, runs
 * a pod, and on SIGTERM exits 0 with every child process gone and its Node no longer Ready. Bad flags
 * exit 1 with the flag named.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';
import { waitFor } from '../support/wait-for.js';
import { startLabNodeCluster, type LabNodeCluster } from './support/lab-node-fixture.js';
import { containerStatus, isAlive, isPodReady, podManifest, PodReader } from './support/pod-helpers.js';

const zone = 'ap-northeast-1a';

describe('spillway lab node-agent (a real process)', () => {
  let lab: LabNodeCluster;
  let run: RunningCommand | undefined;
  let stateDir = '';

  before(async () => {
    lab = await startLabNodeCluster({ octet: 88, firstIndex: 5, zones: [zone] });
    stateDir = join(lab.stateDir, 'cli-agent');
  });

  after(async () => {
    await run?.kill();
    await lab?.close();
  });

  test('bad flags exit 1 naming the flag', async () => {
    const bad = spawnSpillway(
      [
        'lab',
        'node-agent',
        '--node',
        'x',
        '--state-dir',
        stateDir,
        '--kubeconfig',
        lab.cluster.kubeconfig,
        '--xds-address',
        'nowhere',
      ],
      { SPILLWAY_LOG_LEVEL: 'warn' },
    );
    assert.equal(await bad.exited, 1);
    assert.match(
      bad.stderr(),
      /^spillway lab node-agent: --xds-address: expected <ipv4>:<port>, got 'nowhere' \[SPILLWAY_ERR_LAB_NODE_AGENT_FAILED\]$/m,
    );
    const noContext = spawnSpillway(
      [
        'lab',
        'node-agent',
        '--node',
        'x',
        '--state-dir',
        stateDir,
        '--kubeconfig',
        lab.cluster.kubeconfig,
        '--context',
        'cluster-9',
      ],
      { SPILLWAY_LOG_LEVEL: 'warn' },
    );
    assert.equal(await noContext.exited, 1);
    assert.match(noContext.stderr(), /no context 'cluster-9'/);
  });

  test('runs pods, serves its control API, and stops everything on SIGTERM', async () => {
    const node = lab.nodes[0];
    assert.ok(node !== undefined);
    run = spawnSpillway(
      [
        'lab',
        'node-agent',
        '--kubeconfig',
        lab.cluster.kubeconfig,
        '--context',
        'test-cluster',
        '--node',
        node.name,
        '--state-dir',
        stateDir,
        '--control-address',
        `${node.address}:0`,
        '--heartbeat-s',
        '1',
      ],
      { SPILLWAY_LOG_LEVEL: 'warn' },
    );
    const running = run;
    const line = await waitFor(
      'the ready line',
      () => {
        if (running.child.exitCode !== null) throw new Error(`exited: ${running.stderr()}`);
        return (
          /^spillway lab node-agent: node (\S+) \(podCIDR (\S+)\), control API on (http:\/\/\S+)$/m.exec(
            running.stdout(),
          ) ?? undefined
        );
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(line[1], node.name);
    assert.equal(line[2], node.podCIDR);
    const url = line[3] ?? '';
    const control = JSON.parse(readFileSync(join(stateDir, 'control.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(control, {
      node: node.name,
      url,
      pid: running.child.pid,
      tokenFile: join(stateDir, 'control-token'),
    });
    const token = readFileSync(join(stateDir, 'control-token'), 'utf8').trim();
    assert.match(token, /^[0-9a-f]{64}$/);

    const applied = await lab.cluster.kubectl(
      ['apply', '-f', '-'],
      podManifest('cli-pod', zone, {
        containers: [
          {
            name: 'web',
            image: 'x/go-http-sample:1',
            env: [
              { name: 'app', value: 'cli' },
              { name: 'version', value: 'v1' },
            ],
          },
          { name: 'sleeper', image: 'busybox', command: ['sleep', '3600'] },
        ],
      }),
    );
    assert.equal(applied.code, 0, applied.stderr);
    const pods = new PodReader(lab.kubeConfig);
    const pod = await pods.waitPod('cli-pod', 'Ready', isPodReady, 20_000);
    assert.equal(containerStatus(pod, 'web')?.ready, true);
    const answer = await fetch(`http://${pod.status?.podIP}:8000/`);
    assert.equal(await answer.text(), `-> cli(version: v1, ip: ${pod.status?.podIP})`);

    assert.equal((await fetch(`${url}/v1/pods`)).status, 401);
    const info = (await (
      await fetch(`${url}/v1/pods/default/cli-pod`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      containers: Array<{ name: string; pid: number | null }>;
    };
    const pid = info.containers.find((c) => c.name === 'sleeper')?.pid ?? 0;
    assert.ok(pid > 0 && isAlive(pid));
    const faulted = await fetch(`${url}/v1/pods/default/cli-pod/fault`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'http-5xx' }),
    });
    assert.equal(faulted.status, 200);
    assert.equal((await fetch(`http://${pod.status?.podIP}:8000/`)).status, 503);

    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
    assert.equal(isAlive(pid), false, 'the command container died with the agent');
    const nodeOut = await lab.cluster.kubectl(['get', 'node', node.name, '--no-headers']);
    assert.match(nodeOut.stdout, /\sNotReady\s/);
    const after = await pods.pod('cli-pod');
    assert.equal(after !== undefined && isPodReady(after), false, 'its pods are marked not ready');
  });
});
