/**
 * `spillway explain` on a real lab (lab up with the real node agents and control plane; see
 * support/lab-app.ts for the topology), spawned as a user runs it, with real kubectl and curl:
 * the three-priority ladder of mocka's sidecar for mockb; the maxEjectionPercent warning case
 * (10 % of 3 endpoints: the broken 1a endpoint cannot be ejected, keeps all the traffic, and the
 * blocked ejections show); after raising it to 100, the broken endpoint ejected with its reason and
 * time left and the priority loads 0/100/0; and the command's error cases.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';
import { waitFor } from '../support/wait-for.js';
import { cluster1App, cluster2App, explainTopology } from './support/lab-app.js';

interface JsonEndpoint {
  address: string;
  pod?: string;
  cluster?: string;
  health: string;
  ejection?: { type?: string; reason: string; timeLeftMs: number; durationMs: number; numEjections: number };
}
interface JsonPriority {
  priority: number;
  loadPct: number;
  localities: Array<{ locality: string; endpoints: JsonEndpoint[] }>;
}
interface JsonCluster {
  name: string;
  priorities: JsonPriority[];
  outlierDetection?: { maxEjectionPercent: number; ejectionsOverflow: number; ejectionsActive: number };
  provenance?: { destinationRule?: string; outlierDetection: string; priorities: string; routes: string[] };
  warnings: Array<{ code: string; message: string }>;
}
interface JsonReport {
  proxy: { admin: string };
  controlPlane: { status: string };
  clusters: JsonCluster[];
}

const mockb = 'outbound|8000||mockb.default.svc.cluster.local';

interface ProxyCluster {
  priorities: Array<{ localities: Array<{ hosts: Array<{ address: string; health_flags: string[] }> }> }>;
  outlier_detection: { config: { max_ejection_percent: number }; counters: Record<string, number> } | null;
}
const proxyHosts = (c: ProxyCluster, priority: number): Array<{ address: string; health_flags: string[] }> =>
  c.priorities[priority]?.localities.flatMap((l) => l.hosts) ?? [];

describe('spillway explain on a lab: mocka -> mockb in two zones and a second region', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let mockaPod = '';
  let mockaIp = '';
  /** mocka's sidecar admin address, as explain reported it (polls read its page directly: cheaper than a spawn). */
  let sidecarAdmin = '';
  const running: RunningCommand[] = [];

  const spillway = async (args: string[]): Promise<CommandResult> => {
    const run = spawnSpillway(args, env);
    running.push(run);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const kubectl = (context: string, args: string[], input?: string): Promise<CommandResult> =>
    runCommand('kubectl', ['--context', context, ...args], {
      env: { ...process.env, ...env },
      ...(input !== undefined ? { input } : {}),
    });
  const explainArgs = (extra: string[] = []): string[] => [
    'explain',
    '--context',
    'cluster-1',
    '--pod',
    mockaPod,
    '--service',
    'mockb',
    ...extra,
  ];
  const explainJson = async (): Promise<JsonCluster> => {
    const r = await spillway(explainArgs(['--json']));
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport;
    sidecarAdmin = report.proxy.admin;
    assert.equal(report.controlPlane.status, 'ok', r.stdout);
    const cluster = report.clusters.find((c) => c.name === mockb);
    assert.ok(cluster !== undefined, r.stdout);
    return cluster;
  };
  const readyPods = async (
    context: string,
  ): Promise<Array<{ name: string; ip: string; app: string; zone: string }>> => {
    const r = await kubectl(context, ['get', 'pods', '-o', 'json']);
    const list = JSON.parse(r.stdout) as {
      items: Array<{
        metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
        status: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
      }>;
    };
    return list.items
      .filter(
        (p) =>
          p.metadata.deletionTimestamp === undefined &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      )
      .map((p) => ({
        name: p.metadata.name,
        ip: p.status.podIP ?? '',
        app: p.metadata.labels?.['app'] ?? '',
        zone: p.metadata.labels?.['locality'] ?? '',
      }));
  };
  /** Requests through mocka (whose sidecar calls mockb), as the seed's drill sends them. */
  const sendTraffic = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++)
      await runCommand('curl', ['-s', '--max-time', '5', `http://${mockaIp}:8000/`]);
  };
  /** mockb as the sidecar's /spillway/clusters shows it (snake_case, the proxy's own page). */
  const proxyView = async (): Promise<ProxyCluster> => {
    const res = await fetch(`http://${sidecarAdmin}/spillway/clusters?cluster=${encodeURIComponent(mockb)}`);
    const body = (await res.json()) as { clusters: ProxyCluster[] };
    const c = body.clusters[0];
    assert.ok(c !== undefined);
    return c;
  };
  const endpointsOf = (c: JsonCluster): JsonEndpoint[] =>
    c.priorities.flatMap((p) => p.localities.flatMap((l) => l.endpoints));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-explain-'));
    // As a user: the default state directory under HOME, kubectl pointed at the lab (lab env).
    env = { HOME: dir, KUBECONFIG: join(dir, '.spillway', 'lab', 'kubeconfig'), SPILLWAY_LOG_LEVEL: 'warn' };
    const topologyFile = join(dir, 'topology.yaml');
    await writeFile(topologyFile, explainTopology);
    const up = await spillway(['lab', 'up', '-f', topologyFile, '--detach', '--timeout', '90']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await kubectl('cluster-1', ['apply', '-f', '-'], cluster1App)).code, 0);
    assert.equal((await kubectl('cluster-2', ['apply', '-f', '-'], cluster2App)).code, 0);
    const mocka = await waitFor(
      'mocka and both mockb pods of cluster-1 and the mockb pod of cluster-2 to be Ready',
      async () => {
        const pods = await readyPods('cluster-1');
        const peer = await readyPods('cluster-2');
        const a = pods.find((p) => p.app === 'mocka');
        return pods.filter((p) => p.app === 'mockb').length === 2 && peer.length === 1 ? a : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    mockaPod = mocka.name;
    mockaIp = mocka.ip;
  });

  after(async () => {
    await spillway(['lab', 'down', '--purge']).catch(() => {});
    for (const r of running) await r.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('the ladder has three priorities - same zone, same region, other region - all load on P0, with pods and the Istio fields behind it', async () => {
    const cluster = await waitFor(
      'the sidecar to have mockb in three priorities',
      async () => {
        const c = await explainJson();
        return c.priorities.length === 3 && endpointsOf(c).every((e) => e.health === 'healthy')
          ? c
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.deepEqual(
      cluster.priorities.map((p) => [p.priority, p.loadPct, p.localities.map((l) => l.locality)]),
      [
        [0, 100, ['ap-northeast-1/ap-northeast-1a']],
        [1, 0, ['ap-northeast-1/ap-northeast-1b']],
        [2, 0, ['cn-hangzhou/cn-hangzhou-h']],
      ],
    );
    const pods = [...(await readyPods('cluster-1')), ...(await readyPods('cluster-2'))];
    for (const e of endpointsOf(cluster)) {
      const pod = pods.find((p) => `${p.ip}:8000` === e.address);
      assert.equal(e.pod, pod?.name, `pod name of ${e.address}`);
    }
    assert.equal(endpointsOf(cluster)[2]?.cluster, 'cluster-2');
    assert.equal(
      cluster.provenance?.outlierDetection,
      'DestinationRule default/mockb spec.trafficPolicy.outlierDetection',
    );
    assert.match(
      cluster.provenance?.priorities ?? '',
      /^mesh default localityLbSetting \{enabled: true\}: failover by locality because outlier detection is set/,
    );
    assert.match(
      cluster.provenance?.routes[0] ?? '',
      /default route, no VirtualService .*mockb\.default\.svc\.cluster\.local:8000/,
    );

    const text = await spillway(explainArgs());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /priority loads: 100\/0\/0/);
    assert.match(
      text.stdout,
      /maxEjectionPercent 10 with 3 endpoints: no endpoint can be ejected \(Envoy ejects only while 100 x \(ejected \+ 1\) \/ 3 <= 10, and 100 x 1 \/ 3 = 33\.3\)/,
    );
  });

  test('maxEjectionPercent 10: the broken 1a endpoint is not ejected, keeps the traffic, and the blocked ejections are shown', async () => {
    const isOneA = (p: { name: string }): boolean => p.name.startsWith('mockb-ap-northeast-1a-');
    const healthy = (await readyPods('cluster-1')).find(isOneA);
    const patch = await kubectl('cluster-1', [
      'patch',
      'deployment',
      'mockb-ap-northeast-1a',
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2',
        },
        { op: 'add', path: '/spec/template/spec/containers/0/command', value: ['sleep', '36000'] },
      ]),
    ]);
    assert.equal(patch.code, 0, patch.stderr);
    const broken = await waitFor(
      'the patched mockb-ap-northeast-1a pod to be the only 1a endpoint in the sidecar',
      async () => {
        // The rolling update's new pod, once the old one is gone.
        const oneA = (await readyPods('cluster-1')).filter(isOneA);
        const pod = oneA[0];
        if (oneA.length !== 1 || pod === undefined || pod.name === healthy?.name) return undefined;
        const p0 = proxyHosts(await proxyView(), 0);
        return p0.length === 1 && p0[0]?.address === pod.ip ? pod : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    await waitFor(
      'ejections refused by maxEjectionPercent',
      async () => {
        await sendTraffic(2);
        return ((await proxyView()).outlier_detection?.counters['ejections_overflow'] ?? 0) > 0;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const cluster = await explainJson();
    const p0 = cluster.priorities[0]?.localities[0]?.endpoints[0];
    assert.equal(p0?.pod, broken.name);
    assert.equal(p0?.health, 'healthy', 'not ejected: the cap allows none');
    assert.deepEqual(
      cluster.priorities.map((p) => p.loadPct),
      [100, 0, 0],
    );
    assert.equal(cluster.outlierDetection?.ejectionsActive, 0);
    const codes = cluster.warnings.map((w) => w.code);
    assert.ok(codes.includes('max-ejection-percent-blocks-ejection'), codes.join(', '));
    const blocked = cluster.warnings.find((w) => w.code === 'ejections-blocked');
    assert.match(
      blocked?.message ?? '',
      /^ejections_overflow is \d+: .* refused because of maxEjectionPercent 10 \(0 of 3 ejected now, at most 0 allowed\)/,
    );
  });

  test('maxEjectionPercent 100: the broken endpoint is ejected with its reason and time left, and the loads are 0/100/0', async () => {
    const patch = await kubectl('cluster-1', [
      'patch',
      'destinationrule',
      'mockb',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { trafficPolicy: { outlierDetection: { maxEjectionPercent: 100 } } } }),
    ]);
    assert.equal(patch.code, 0, patch.stderr);
    await waitFor(
      'the sidecar to run maxEjectionPercent 100',
      async () => (await proxyView()).outlier_detection?.config.max_ejection_percent === 100,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await waitFor(
      'the 1a endpoint to be ejected',
      async () => {
        await sendTraffic(1);
        return proxyHosts(await proxyView(), 0)[0]?.health_flags.includes('failed_outlier_check') === true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const cluster = await explainJson();
    assert.deepEqual(
      cluster.priorities.map((p) => p.loadPct),
      [0, 100, 0],
    );
    const ejected = cluster.priorities[0]?.localities[0]?.endpoints[0];
    const brokenPod = (await readyPods('cluster-1')).find((p) => p.name.startsWith('mockb-ap-northeast-1a-'));
    assert.equal(ejected?.pod, brokenPod?.name);
    assert.equal(ejected?.ejection?.type, 'CONSECUTIVE_5XX', "the broken pod's sidecar answers 503");
    assert.equal(ejected?.ejection?.durationMs, 300_000, 'baseEjectionTime 5m x backoff 1');
    assert.ok(
      (ejected?.ejection?.timeLeftMs ?? 0) > 200_000 && (ejected?.ejection?.timeLeftMs ?? 0) <= 300_000,
    );
    assert.ok(!cluster.warnings.some((w) => w.code.startsWith('max-ejection-percent')));

    const text = await spillway(explainArgs());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /priority loads: 0\/100\/0/);
    assert.match(
      text.stdout,
      new RegExp(
        `${brokenPod?.ip.replaceAll('.', '\\.')}:8000 +${brokenPod?.name} \\[cluster-1\\] +EJECTED \\(CONSECUTIVE_5XX: 1 consecutive 5xx \\(consecutive5xxErrors\\)\\), \\d+m\\d*s? left of 5m`,
      ),
    );
    assert.match(
      text.stdout,
      /! priority 0 \(ap-northeast-1\/ap-northeast-1a\) has no healthy endpoint \(0 of 1\)/,
    );
  });

  test('errors: pod not found, pod without sidecar, unknown service with the closest clusters, proxy unreachable', async () => {
    const missing = await spillway([
      'explain',
      '--context',
      'cluster-1',
      '--pod',
      'nope',
      '--service',
      'mockb',
    ]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /pod nope not found in namespace default of context cluster-1 \[SPILLWAY_ERR_EXPLAIN_POD_NOT_FOUND\]/,
    );

    const peer = (await readyPods('cluster-2'))[0];
    const bare = await spillway([
      'explain',
      '--context',
      'cluster-2',
      '--pod',
      peer?.name ?? '',
      '--service',
      'mockb',
    ]);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /has no sidecar .*\[SPILLWAY_ERR_EXPLAIN_NO_SIDECAR\]/);

    const unknown = await spillway([
      'explain',
      '--context',
      'cluster-1',
      '--pod',
      mockaPod,
      '--service',
      'mockbb:8000',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /no outbound cluster for 'mockbb' .*closest: outbound\|8000\|\|mockb\.default\.svc\.cluster\.local.*\[SPILLWAY_ERR_EXPLAIN_SERVICE_UNKNOWN\]/,
    );

    const wrongPort = await spillway([
      'explain',
      '--context',
      'cluster-1',
      '--pod',
      mockaPod,
      '--service',
      'mockb:9000',
    ]);
    assert.equal(wrongPort.code, 1);
    assert.match(
      wrongPort.stderr,
      /knows mockb\.default\.svc\.cluster\.local only on port\(s\) 8000, not 9000/,
    );

    const down = await spillway(['explain', '--admin', '127.95.250.1:9', '--service', 'mockb']);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /proxy admin interface at 127\.95\.250\.1:9 did not answer \/server_info: .*\[SPILLWAY_ERR_EXPLAIN_ADMIN_UNREACHABLE\]/,
    );
  });

  test('a control plane that cannot be asked: the proxy side is still printed and the missing config side is named', async () => {
    const r = await spillway(explainArgs(['--control-plane', '127.95.250.1:9']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /priority loads: 0\/100\/0/);
    assert.match(r.stdout, /the config side is missing: control plane at 127\.95\.250\.1:9 unreachable/);
    assert.match(r.stderr, /the config side is missing/);
  });
});
