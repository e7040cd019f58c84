/**
 * `spillway demo` end to end on a small lab (one region, one cluster with two zones, one mesh;
 * addresses 127.61.x and 127.161.x): the real CLI starts the lab with `spillway lab up --detach`,
 * applies examples/demo's app, runs the drill with real HTTP through the ingress load balancer and
 * stops the lab. The report must show what the seed shows: chains in their zone, the one failed
 * request with the seed's exact text after mocka's hop, failover to the other zone, no error with
 * the retry policy; and nothing of the lab may be left running.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DemoReport } from '../../src/cli/demo/demo-report.js';
import { seedFailure } from '../../src/lab/drill/drill-phases.js';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';

const topology = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: demo-e2e
spec:
  addressBase: 60
  regions:
    - name: ap-northeast-1
      zones: [ap-northeast-1a, ap-northeast-1b]
  clusters:
    - { name: cluster-2, region: ap-northeast-1, network: network-1, nodesPerZone: 1, ingressPort: 8080 }
  meshes:
    - { name: mesh-2, region: ap-northeast-1, configCluster: cluster-2, inboundRetryPolicy: false }
`;

function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let dir: string;
let run: RunningCommand | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-demo-e2e-'));
  await writeFile(join(dir, 'topology.yaml'), topology);
});

after(async () => {
  await run?.kill();
  // Whatever a failed run left: lab down is idempotent.
  await spawnSpillway(['lab', 'down', '--state-dir', join(dir, 'lab')]).exited;
  await rm(dir, { recursive: true, force: true });
});

test(
  "spillway demo runs the seed's drill on a one-cluster lab and stops it again",
  { timeout: 180_000 },
  async () => {
    run = spawnSpillway(
      ['demo', '--json', '-f', join(dir, 'topology.yaml'), '--state-dir', join(dir, 'lab')],
      { SPILLWAY_LOG_LEVEL: 'warn', HOME: dir },
    );
    const code = await run.exited;
    const report = JSON.parse(run.stdout()) as DemoReport;
    assert.equal(
      code,
      0,
      `${run.stderr()}\n${JSON.stringify(report.phases.map((p) => [p.name, p.failures]))}`,
    );
    assert.equal(report.ok, true);
    const phase = (name: string) => {
      const p = report.phases.find((x) => x.name === name);
      assert.ok(p !== undefined, `phase ${name}`);
      return p;
    };
    const chains = (name: string) => new Map(phase(name).chains.map((c) => [c.chain, c.count]));
    const inZone = (z: string) => `mocka(${z}) -> mockb(${z}) -> mockc(${z})`;
    const failover = 'mocka(ap-northeast-1a) -> mockb(ap-northeast-1b) -> mockc(ap-northeast-1b)';

    assert.deepEqual([...chains('steady').keys()].sort(), [
      inZone('ap-northeast-1a'),
      inZone('ap-northeast-1b'),
    ]);
    assert.equal(phase('steady').clientErrors, 0);

    const broken = phase('break');
    assert.equal(broken.clientErrors, 1, 'exactly one failed request, as in the seed');
    assert.match(
      broken.firstFailedChain ?? '',
      /^-> mocka\(version: ap-northeast-1a, ip: 127\.61\.1\.\d+\)/,
      "the failure follows mocka's hop in ap-northeast-1a",
    );
    assert.equal(broken.firstFailedChain?.replace(/^-> mocka\([^)]*\)/, ''), seedFailure);
    assert.ok((chains('break').get(failover) ?? 0) >= 10, 'mocka in 1a fails over to mockb in 1b');
    assert.ok((broken.timeToFailoverMs ?? 0) >= (broken.timeToFirstFailureMs ?? Infinity));
    const ejecting = broken.sidecars.filter((s) => s.ejected > 0).map((s) => s.pod);
    assert.equal(ejecting.length, 1);
    assert.match(ejecting[0] ?? '', /^mocka-ap-northeast-1a-/);

    assert.equal(phase('heal').clientErrors, 0);
    assert.ok((chains('heal').get(inZone('ap-northeast-1a')) ?? 0) >= 10);

    const retry = phase('retry');
    assert.equal(retry.clientErrors, 0, 'no client-visible error with the retry policy');
    assert.ok((chains('retry').get(failover) ?? 0) >= 10);
    assert.ok(retry.sidecars.reduce((n, s) => n + s.retrySuccesses, 0) >= 1, 'a retry hid the failure');
    assert.equal(phase('retry-heal').clientErrors, 0);

    assert.match(phase('region').skipped ?? '', /no cluster outside ap-northeast-1/);

    assert.deepEqual(report.labDown?.leftoverProcesses, []);
    assert.ok(
      (report.budget.memory?.processes ?? 0) >= 4,
      'supervisor, API server, node agents, control plane',
    );
    for (const [host, port] of [
      ['127.61.0.1', 6443],
      ['127.61.0.10', 8080],
      ['127.61.0.2', 15010],
      ['127.61.1.1', 10250],
    ] as const) {
      assert.equal(await isListening(host, port), false, `${host}:${port} is closed after the demo`);
    }
  },
);
