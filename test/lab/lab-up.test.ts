/**
 * `spillway lab` end to end, as a user runs it, on a small topology (one region, one cluster, two
 * zones with a node each, one mesh) with stand-ins for the node agent and the control plane
 * (test/lab/support/): lab up --detach, real kubectl against the lab, lab status --json, traffic
 * through the ingress load balancer with real curl, a second lab up refused, lab down leaving no
 * process and no listening socket; then a foreground lab up stopped with SIGTERM; then a supervisor
 * killed with SIGKILL, whose leftovers lab down cleans up.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../src/lab/supervisor/process-identity.js';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';
import { waitFor } from '../support/wait-for.js';

const standInAgent = fileURLToPath(new URL('./support/stand-in-node-agent.js', import.meta.url));
const standInControlPlane = fileURLToPath(new URL('./support/stand-in-control-plane.js', import.meta.url));

const topology = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: e2e
spec:
  addressBase: 90
  regions:
    - name: cn-hangzhou
      zones: [cn-hangzhou-h, cn-hangzhou-k]
  clusters:
    - name: cluster-1
      region: cn-hangzhou
      network: network-1
      nodesPerZone: 1
      ingressPort: 8080
  meshes:
    - name: mesh-1
      region: cn-hangzhou
      configCluster: cluster-1
`;

const deployment = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'example/web:1', ports: [{ containerPort: 8000 }] }] },
    },
  },
});

interface RecordedLab {
  supervisor: { pid: number };
  phase: string;
  processes: Array<{ name: string; pid: number }>;
}

/** Addresses the lab listens on: API server, NLB, control plane (xDS, admin), gateway stand-ins. */
const labAddresses = [
  ['127.91.0.1', 6443],
  ['127.91.0.10', 8080],
  ['127.91.0.2', 15010],
  ['127.91.0.2', 15014],
] as const;

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

describe('spillway lab (stand-in node agent and control plane)', () => {
  let dir: string;
  let stateDir: string;
  let topologyFile: string;
  let env: NodeJS.ProcessEnv;
  const running: RunningCommand[] = [];

  const lab = async (
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
  ): Promise<CommandResult & { run: RunningCommand }> => {
    const run = spawnSpillway(['lab', ...args, '--state-dir', stateDir], { ...env, ...extraEnv });
    running.push(run);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr(), run };
  };
  const kubectl = (args: string[], input?: string): Promise<CommandResult> =>
    runCommand('kubectl', ['--context', 'cluster-1', ...args], {
      env: { ...process.env, KUBECONFIG: join(stateDir, 'kubeconfig'), HOME: dir },
      ...(input !== undefined ? { input } : {}),
    });
  const recorded = async (): Promise<RecordedLab> =>
    JSON.parse(await readFile(join(stateDir, 'lab.json'), 'utf8')) as RecordedLab;
  const allPids = (state: RecordedLab): number[] => [
    state.supervisor.pid,
    ...state.processes.map((p) => p.pid),
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-lab-e2e-'));
    stateDir = join(dir, 'state');
    topologyFile = join(dir, 'topology.yaml');
    await writeFile(topologyFile, topology);
    env = {
      HOME: dir,
      SPILLWAY_LAB_NODE_AGENT: standInAgent,
      SPILLWAY_LAB_CONTROL_PLANE: standInControlPlane,
      SPILLWAY_LOG_LEVEL: 'info',
    };
  });

  after(async () => {
    // Whatever a failed test left: stop it all (lab down is idempotent) before removing the files.
    await lab(['down']).catch(() => {});
    for (const r of running) await r.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('lab --help lists up, down, status and env; lab up --help its flags', async () => {
    const help = await lab(['--help']);
    for (const word of ['up', 'down', 'status', 'env'])
      assert.match(help.stdout, new RegExp(`^\\s+${word}\\b`, 'm'));
    const upHelp = spawnSpillway(['lab', 'up', '--help'], env);
    running.push(upHelp);
    assert.equal(await upHelp.exited, 0);
    for (const flag of ['--file', '--detach', '--state-dir', '--timeout'])
      assert.ok(upHelp.stdout().includes(flag), flag);
    assert.ok(!upHelp.stdout().includes('--supervise'), 'the internal flag stays hidden');
  });

  test('a topology with a mistake is refused before anything starts, naming file and field path', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      topology.replace(
        '      region: cn-hangzhou\n      network',
        '      regoin: cn-hangzhou\n      network',
      ),
    );
    const up = await lab(['up', '-f', bad, '--detach']);
    assert.equal(up.code, 1);
    assert.match(
      up.stderr,
      /bad\.yaml: spec\.clusters\[0\]\.regoin: unknown field .*\[SPILLWAY_ERR_CONFIG_UNKNOWN_FIELD\]/,
    );
    await assert.rejects(readFile(join(stateDir, 'lab.json')), /ENOENT/);
  });

  test('lab up --detach shows progress on stderr and returns once ready, printing where everything is', async () => {
    const up = await lab(['up', '-f', topologyFile, '--detach', '--timeout', '60']);
    assert.equal(up.code, 0, up.stderr);
    for (const line of [
      'cluster-1: API server ready (https://127.91.0.1:6443)',
      'cluster-1: 2/2 nodes Ready',
      'mesh-1: control plane ready (xDS 127.91.0.2:15010, admin 127.91.0.2:15014)',
      'cluster-1: ingress gateway 2/2 pods Ready',
    ]) {
      assert.ok(up.stderr.includes(line), `missing progress line '${line}' in:\n${up.stderr}`);
    }
    assert.match(up.stdout, new RegExp(`kubeconfig: ${join(stateDir, 'kubeconfig').replaceAll('.', '\\.')}`));
    assert.match(
      up.stdout,
      /cluster-1\s+cn-hangzhou\s+network-1\s+https:\/\/127\.91\.0\.1:6443\s+127\.91\.0\.10:8080/,
    );
    assert.ok(
      isAlive((await recorded()).supervisor.pid),
      'the supervisor keeps running after lab up returns',
    );
  });

  test('kubectl --context cluster-1 get nodes shows the labelled Nodes Ready, with their pod CIDRs', async () => {
    const contexts = await runCommand('kubectl', ['config', 'get-contexts', '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: join(stateDir, 'kubeconfig'), HOME: dir },
    });
    assert.equal(contexts.stdout.trim(), 'cluster-1');
    const table = await kubectl(['get', 'nodes']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^cluster-1-cn-hangzhou-h-1\s+Ready\b/m);
    assert.match(table.stdout, /^cluster-1-cn-hangzhou-k-1\s+Ready\b/m);
    const nodes = JSON.parse((await kubectl(['get', 'nodes', '-o', 'json'])).stdout) as {
      items: Array<{ metadata: { name: string; labels: Record<string, string> }; spec: { podCIDR: string } }>;
    };
    assert.deepEqual(
      nodes.items.map((n) => [
        n.metadata.name,
        n.metadata.labels['topology.kubernetes.io/region'],
        n.metadata.labels['topology.kubernetes.io/zone'],
        n.metadata.labels['kubernetes.io/hostname'],
        n.spec.podCIDR,
      ]),
      [
        [
          'cluster-1-cn-hangzhou-h-1',
          'cn-hangzhou',
          'cn-hangzhou-h',
          'cluster-1-cn-hangzhou-h-1',
          '127.91.1.0/24',
        ],
        [
          'cluster-1-cn-hangzhou-k-1',
          'cn-hangzhou',
          'cn-hangzhou-k',
          'cluster-1-cn-hangzhou-k-1',
          '127.91.2.0/24',
        ],
      ],
    );
  });

  test('a Deployment applied with kubectl gets Running pods with their sidecars, IPs from the node ranges', async () => {
    const applied = await kubectl(['apply', '-f', '-'], deployment);
    assert.equal(applied.code, 0, applied.stderr);
    const pods = await waitFor(
      'both web pods Running 2/2',
      async () => {
        const r = await kubectl(['get', 'pods', '-l', 'app=web', '--no-headers', '-o', 'wide']);
        const rows = r.stdout
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split(/\s+/));
        return rows.length === 2 && rows.every((row) => row[1] === '2/2' && row[2] === 'Running')
          ? rows
          : undefined;
      },
      { timeoutMs: 20_000 },
    );
    for (const row of pods) assert.match(row[5] ?? '', /^127\.91\.[12]\.\d+$/);
  });

  test('lab status --json has the kubeconfig, clusters with ingress, meshes, nodes and processes', async () => {
    const status = await lab(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as {
      state: string;
      kubeconfig: string;
      clusters: Array<{
        name: string;
        region: string;
        network: string;
        ingress: string;
        nodes: Array<{ name: string; ready: boolean }>;
      }>;
      meshes: Array<{ name: string; xdsAddress: string; adminAddress: string; state: string }>;
      processes: Array<{ name: string; pid: number; state: string }>;
    };
    assert.equal(report.state, 'running');
    assert.equal(report.kubeconfig, join(stateDir, 'kubeconfig'));
    assert.deepEqual(
      report.clusters.map((c) => ({
        name: c.name,
        region: c.region,
        network: c.network,
        ingress: c.ingress,
      })),
      [{ name: 'cluster-1', region: 'cn-hangzhou', network: 'network-1', ingress: '127.91.0.10:8080' }],
    );
    assert.deepEqual(
      report.clusters[0]?.nodes.map((n) => n.ready),
      [true, true],
    );
    assert.deepEqual(
      report.meshes.map((m) => [m.name, m.xdsAddress, m.adminAddress, m.state]),
      [['mesh-1', '127.91.0.2:15010', '127.91.0.2:15014', 'running']],
    );
    assert.deepEqual(report.processes.map((p) => `${p.name} ${p.state}`).sort(), [
      'cluster-1/apiserver running',
      'cluster-1/node-agent/cluster-1-cn-hangzhou-h-1 running',
      'cluster-1/node-agent/cluster-1-cn-hangzhou-k-1 running',
      'mesh-1/control-plane running',
    ]);
    assert.ok(report.processes.every((p) => isAlive(p.pid)));
  });

  test('curl through the ingress load balancer reaches both gateway pods in turn', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await runCommand('curl', ['-sS', '--max-time', '5', 'http://127.91.0.10:8080/hello']);
      assert.equal(r.code, 0, r.stderr);
      bodies.add(r.stdout);
    }
    assert.deepEqual([...bodies].map((b) => b.replace(/-[a-z0-9]+-[a-z0-9]{5} /, ' ')).sort(), [
      'stand-in gateway istio-ingressgateway-cn-hangzhou-h /hello',
      'stand-in gateway istio-ingressgateway-cn-hangzhou-k /hello',
    ]);
    const service = await kubectl([
      'get',
      'service',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.status.loadBalancer.ingress[0].ip}',
    ]);
    assert.equal(service.stdout, '127.91.0.10');
  });

  test('a lab process that dies while the lab runs is restarted', async () => {
    const name = 'cluster-1/node-agent/cluster-1-cn-hangzhou-k-1';
    const before = (await recorded()).processes.find((p) => p.name === name);
    assert.ok(before !== undefined);
    process.kill(before.pid, 'SIGKILL');
    const restarted = await waitFor(
      'the node agent to be restarted',
      async () => {
        const p = (await recorded()).processes.find((x) => x.name === name) as
          { pid: number; restarts: number; phase: string } | undefined;
        return p !== undefined && p.restarts === 1 && p.phase === 'running' && p.pid !== before.pid
          ? p
          : undefined;
      },
      { timeoutMs: 15_000 },
    );
    assert.ok(isAlive(restarted.pid));
    assert.equal(isAlive(before.pid), false);
  });

  test('lab up while the lab runs says so and exits 1', async () => {
    const again = await lab(['up', '-f', topologyFile, '--detach']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a lab is already running from .* \[SPILLWAY_ERR_LAB_RUNNING\]/);
  });

  test('lab env prints the export line', async () => {
    const r = await lab(['env']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `export KUBECONFIG=${join(stateDir, 'kubeconfig')}\n`);
  });

  test('lab down leaves no lab process and no listening socket, and keeps the state', async () => {
    const state = await recorded();
    const down = await lab(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /lab stopped: no lab process is left; state kept/);
    for (const pid of allPids(state)) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    for (const [host, port] of [
      ...labAddresses,
      ['127.91.1.2', 8080] as const,
      ['127.91.2.2', 8080] as const,
    ]) {
      assert.equal(await isListening(host, port), false, `${host}:${port} still listening`);
    }
    assert.equal((await recorded()).phase, 'stopped');
    const status = await lab(['status', '--json']);
    assert.equal(status.code, 1);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'stopped');
  });

  test('lab up in the foreground runs until SIGTERM, then stops everything; objects survive', async () => {
    const run = spawnSpillway(['lab', 'up', '-f', topologyFile, '--state-dir', stateDir], {
      ...env,
      SPILLWAY_LAB_CONTROL_PLANE: 'off',
    });
    running.push(run);
    await waitFor('the foreground lab to be ready', () => run.stdout().includes("lab 'e2e' is ready"), {
      timeoutMs: 60_000,
    });
    assert.match(
      run.stderr(),
      /WARNING mesh-1: control plane skipped: disabled by SPILLWAY_LAB_CONTROL_PLANE=off/,
    );
    const kept = await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.name}']);
    assert.equal(kept.stdout, 'web', 'objects from the previous run are still there');
    const state = await recorded();
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /lab stopped/);
    for (const pid of allPids(state)) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    assert.equal(await isListening('127.91.0.1', 6443), false);
  });

  test('after the supervisor is killed with SIGKILL, lab status says crashed and lab down cleans up', async () => {
    const up = await lab(['up', '-f', topologyFile, '--detach'], { SPILLWAY_LAB_CONTROL_PLANE: 'off' });
    assert.equal(up.code, 0, up.stderr);
    const state = await recorded();
    process.kill(state.supervisor.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => !isAlive(state.supervisor.pid));
    const status = await lab(['status', '--json']);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'crashed');
    const refused = await lab(['up', '-f', topologyFile, '--detach']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /crashed and left 3 processes running/);
    const down = await lab(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /killing 3 leftover lab processes: cluster-1\/apiserver \(pid \d+\)/);
    for (const pid of allPids(state)) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    for (const [host, port] of labAddresses)
      assert.equal(await isListening(host, port), false, `${host}:${port} still listening`);
  });

  test('a component that fails to start fails lab up, naming it, and nothing is left running', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: '127.91.0.1', port: 6443 }, resolve));
    try {
      const up = await lab(['up', '-f', topologyFile, '--detach', '--timeout', '30']);
      assert.equal(up.code, 1);
      assert.match(up.stderr, /cluster-1: API server: cluster-1\/apiserver exited \(exit code 1\)/);
      assert.match(up.stderr, /EADDRINUSE/);
      const state = await recorded();
      assert.equal(state.phase, 'failed');
      await waitFor('the failed supervisor to exit', () => !isAlive(state.supervisor.pid));
      for (const pid of allPids(state)) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
      assert.equal(await isListening('127.91.0.10', 8080), false);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  test('lab down --purge removes the state directory', async () => {
    const down = await lab(['down', '--purge']);
    assert.equal(down.code, 0, down.stderr);
    await assert.rejects(readFile(join(stateDir, 'lab.json')), /ENOENT/);
  });
});
