/**
 * Faults through the node agent's control API, each with its socket-level effect and its healing
 * (one lab node, podCIDR 127.88.3.0/24): on the in-process sample app refuse (connection refused),
 * hang (accepted, unanswered until healed), http-5xx, delay and kill (exit 137, restart); on a
 * command container hang (SIGSTOP) and kill; refused requests (bad body, proxies, unsupported kinds,
 * no token). Then: close() leaves no process behind, and a restarted agent kills what a crashed one
 * left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeAgent } from '../../src/lab/node-agent/node-agent.js';
import { waitFor } from '../support/wait-for.js';
import { startLabNodeCluster, type LabNode, type LabNodeCluster } from './support/lab-node-fixture.js';
import {
  containerStatus,
  control,
  isAlive,
  isPodReady,
  podManifest,
  PodReader,
  processState,
} from './support/pod-helpers.js';

const zone = 'ap-northeast-1b';
const sample = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';

/** Connects to host:port: 'refused', 'open' (connected). */
function connect(host: string, port: number): Promise<'refused' | 'open'> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err),
    );
  });
}

/** A GET that resolves with status and body, or 'timeout' after `timeoutMs` without an answer. */
function get(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string } | 'timeout'> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

describe('node agent: faults', () => {
  let lab: LabNodeCluster;
  let node: LabNode;
  let agent: NodeAgent;
  let pods: PodReader;
  let ip = '';
  let hop = '';

  before(async () => {
    lab = await startLabNodeCluster({
      octet: 88,
      firstIndex: 3,
      zones: [zone],
      agentOptions: { crashBackoff: { initialMs: 1000, maxMs: 4000 } },
    });
    node = lab.nodes[0] as LabNode;
    agent = await lab.startAgent(node);
    pods = new PodReader(lab.kubeConfig);
    const r = await lab.cluster.kubectl(
      ['apply', '-f', '-'],
      podManifest('target', zone, {
        containers: [
          {
            name: 'web',
            image: sample,
            env: [
              { name: 'app', value: 'mockb' },
              { name: 'version', value: zone },
            ],
            ports: [{ containerPort: 8000 }],
          },
          { name: 'worker', image: 'busybox', command: ['sleep', '3600'] },
        ],
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const p = await pods.waitPod('target', 'Ready', isPodReady);
    ip = p.status?.podIP ?? '';
    hop = `-> mockb(version: ${zone}, ip: ${ip})`;
  });

  after(async () => {
    await lab?.close();
  });

  async function fault(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    return control(agent, 'PUT', '/v1/pods/default/target/fault', body);
  }

  async function heal(): Promise<void> {
    const r = await control(agent, 'DELETE', '/v1/pods/default/target/fault');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json['healed'], true);
  }

  test('the control API reports the pod: address, localhost, containers with pids and log paths', async () => {
    const r = await control(agent, 'GET', '/v1/pods/default/target');
    assert.equal(r.status, 200);
    assert.equal(r.json['ip'], ip);
    assert.equal(r.json['localhost'], ip.replace(/^127\.88\./, '127.188.'));
    assert.equal(r.json['proxy'], null);
    assert.equal(r.json['fault'], null);
    const containers = r.json['containers'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      containers.map((c) => [c['name'], c['runtime'], c['state']]),
      [
        ['web', 'sample-app', 'running'],
        ['worker', 'command', 'running'],
      ],
    );
    assert.equal(containers[0]?.['listen'], `${ip}:8000`);
    assert.equal(typeof containers[1]?.['pid'], 'number');
    assert.match(String(containers[1]?.['logPath']), /\/pods\/default_target_[0-9a-f-]+\/worker\.log$/);
    const log = await fetch(`${agent.controlUrl}/v1/pods/default/target/log`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    assert.equal(await log.text(), `listening on ${ip}:8000\n`);
    const list = await control(agent, 'GET', '/v1/pods');
    assert.equal(list.json['node'], node.name);
    assert.equal((list.json['pods'] as unknown[]).length, 1);
  });

  test("refuse: the app's listener closes (connection refused); heal opens it again", async () => {
    assert.equal(await connect(ip, 8000), 'open');
    const r = await fault({ kind: 'refuse' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal((r.json['fault'] as Record<string, unknown>)['kind'], 'refuse');
    assert.equal(await connect(ip, 8000), 'refused');
    await heal();
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 200, body: hop });
  });

  test('hang: connections are accepted but never answered; healing answers the held request', async () => {
    await fault({ kind: 'hang' });
    assert.equal(await connect(ip, 8000), 'open');
    assert.equal(await get(`http://${ip}:8000/`, 500), 'timeout');
    const held = get(`http://${ip}:8000/`);
    await waitFor('the request to be held', async () => {
      const info = await control(agent, 'GET', '/v1/pods/default/target');
      return (
        ((info.json['containers'] as Array<Record<string, unknown>>)[0]?.['heldRequests'] as number) >= 1
      );
    });
    await heal();
    assert.deepEqual(await held, { status: 200, body: hop });
  });

  test('http-5xx: real 503s (or the status asked for) until healed', async () => {
    await fault({ kind: 'http-5xx' });
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 503, body: 'fault injected: http-503' });
    await fault({ kind: 'http-5xx', status: 500 });
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 500, body: 'fault injected: http-500' });
    await heal();
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 200, body: hop });
  });

  test('delay: answers come at least delayMs later; heal removes the delay', async () => {
    await fault({ kind: 'delay', delayMs: 1500 });
    const started = performance.now();
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 200, body: hop });
    assert.ok(performance.now() - started >= 1450, 'not answered before the delay');
    await heal();
    assert.equal(
      await get(`http://${ip}:8000/`, 1000).then((r) => (r === 'timeout' ? 'timeout' : r.status)),
      200,
    );
  });

  test('a fault with durationMs heals itself', async () => {
    await fault({ kind: 'refuse', durationMs: 300 });
    assert.equal(await connect(ip, 8000), 'refused');
    await waitFor('the fault to expire', async () => (await connect(ip, 8000)) === 'open', {
      timeoutMs: 5000,
    });
    const info = await control(agent, 'GET', '/v1/pods/default/target');
    assert.equal(info.json['fault'], null);
  });

  test('kill: the app dies with exit 137 and restarts; the command container too', async () => {
    const r = await fault({ kind: 'kill' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const p = await pods.waitPod(
      'target',
      'web restarted',
      (x) => containerStatus(x, 'web')?.restartCount === 1 && isPodReady(x),
    );
    assert.equal(containerStatus(p, 'web')?.lastState?.terminated?.exitCode, 137);
    assert.deepEqual(await get(`http://${ip}:8000/`), { status: 200, body: hop });
    const before = agent.pods()[0]?.pids()[0] ?? 0;
    await fault({ kind: 'kill', container: 'worker' });
    await waitFor('the old worker process to be gone', () => !isAlive(before));
    const q = await pods.waitPod(
      'target',
      'worker restarted',
      (x) => containerStatus(x, 'worker')?.restartCount === 1 && isPodReady(x),
    );
    assert.equal(containerStatus(q, 'worker')?.lastState?.terminated?.exitCode, 137);
    assert.notEqual(agent.pods()[0]?.pids()[0], before);
  });

  test('hang on a command container stops its process group (SIGSTOP) until healed (SIGCONT)', async () => {
    const pid = agent.pods()[0]?.pids()[0] ?? 0;
    assert.equal((await fault({ kind: 'hang', container: 'worker' })).status, 200);
    await waitFor('the process to be stopped', () => processState(pid) === 'T');
    await heal();
    await waitFor('the process to run again', () => processState(pid) === 'S');
  });

  test('faults that cannot apply are refused with the reason; the API needs the token', async () => {
    const refused = await fault({ kind: 'refuse', container: 'worker' });
    assert.equal(refused.status, 409);
    assert.equal(refused.json['code'], 'SPILLWAY_ERR_LAB_FAULT_INVALID');
    assert.equal(
      refused.json['message'],
      'fault refuse needs the built-in sample app: container worker runs a command (supported: hang, kill)',
    );
    const bad = await fault({ kind: 'explode' });
    assert.equal(bad.status, 400);
    assert.equal(
      bad.json['message'],
      'kind must be one of refuse, hang, http-5xx, delay, kill, got "explode"',
    );
    assert.equal((await fault('{not json')).status, 400);
    assert.equal((await fault({ kind: 'refuse', container: 'nope' })).status, 404);
    assert.equal(
      (await control(agent, 'PUT', '/v1/pods/default/missing/fault', { kind: 'kill' })).status,
      404,
    );
    assert.equal((await control(agent, 'GET', '/v1/pods', undefined, 'wrong')).status, 401);
    assert.equal((await fetch(`${agent.controlUrl}/healthz`)).status, 200);
    const healed = await control(agent, 'POST', '/v1/heal');
    assert.deepEqual(healed.json, { healed: [] });
  });

  test('close() stops every process; a restarted agent kills what a crashed one left behind', async () => {
    const pids = agent.childPids();
    assert.ok(pids.length > 0);
    await lab.stopAgent(node);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    const nodeOut = await lab.cluster.kubectl(['get', 'node', node.name, '--no-headers']);
    assert.match(nodeOut.stdout, /\sNotReady\s/, 'a stopped agent leaves its node NotReady (Unknown)');
    // A crashed agent's leftover: a detached process recorded in processes.json.
    const stray = spawn('sleep', ['3600'], { detached: true, stdio: 'ignore' });
    stray.unref();
    const strayPid = stray.pid as number;
    writeFileSync(
      join(lab.stateDir, node.name, 'processes.json'),
      JSON.stringify([{ pid: strayPid, pod: 'default/target', container: 'worker', program: 'sleep' }]),
    );
    agent = await lab.startAgent(node);
    assert.equal(isAlive(strayPid), false, 'killed at start');
    const p = await pods.waitPod(
      'target',
      'Ready again',
      (x) => isPodReady(x) && (containerStatus(x, 'worker')?.restartCount ?? 0) >= 2,
    );
    assert.equal(p.status?.podIP, ip, 'the pod keeps its address across an agent restart');
    const lines = await pods.eventLines('target');
    assert.ok(
      lines.includes('Normal SandboxChanged: Pod sandbox changed, it will be killed and re-created.'),
      lines.join('\n'),
    );
  });
});
