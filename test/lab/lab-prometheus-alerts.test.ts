/**
 * Issue 6, "Done when" bullet 2, with real processes only: `spillway lab up` (one cluster with two
 * zones in cn-hangzhou, a second cluster in ap-northeast-1), `spillway lab prometheus` (Debian's
 * Prometheus scraping every proxy and control plane through the lab's HTTP service discovery,
 * scrape and evaluation every 1 s, the shipped rules), a mocka -> mockb chain with the seed's
 * outlierDetection, traffic from both mocka pods. Breaking cn-hangzhou-h's mockb as the seed's drill
 * does (image and command patched to a container that listens on nothing) fires
 * SpillwayEndpointEjected within 15 s, labelled with the ejected pod and its locality; breaking every
 * mockb of the region fires SpillwayCrossRegionFailover. `lab down` stops Prometheus too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isAlive } from '../../src/lab/supervisor/process-identity.js';
import { dashboardQueries } from '../deploy/dashboard-queries.js';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';
import { waitFor } from '../support/wait-for.js';

const topology = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: alerts-e2e
spec:
  addressBase: 80
  regions:
    - name: cn-hangzhou
      zones: [cn-hangzhou-h, cn-hangzhou-k]
    - name: ap-northeast-1
      zones: [ap-northeast-1a]
  clusters:
    - { name: cluster-1, region: cn-hangzhou, nodesPerZone: 1, ingressPort: 8080 }
    - { name: cluster-2, region: ap-northeast-1, nodesPerZone: 1, ingressPort: 8080 }
  meshes:
    - { name: mesh-1, region: cn-hangzhou, configCluster: cluster-1, clusters: [cluster-1, cluster-2], inboundRetryPolicy: false }
`;

const sampleImage = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';
const brokenImage = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';
const mockbCluster = 'outbound|8000||mockb.default.svc.cluster.local';

function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  ports: [{ port: 8000, name: http }]
  selector: { app: ${name} }
`;
}

/** One single-replica Deployment per zone, as the seed's; `sidecar: false` opts out of injection. */
function deployment(
  app: string,
  zone: string,
  options: { upstream?: string; sidecar?: boolean } = {},
): string {
  const env = [
    `{ name: version, value: ${zone} }`,
    `{ name: app, value: ${app} }`,
    ...(options.upstream !== undefined ? [`{ name: upstream_url, value: "${options.upstream}" }`] : []),
  ];
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${app}-${zone}, labels: { app: ${app} } }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${app} } }
  template:
    metadata:
      labels: { app: ${app}, locality: ${zone}${options.sidecar === false ? ', sidecar.istio.io/inject: "false"' : ''} }
    spec:
      nodeSelector: { topology.kubernetes.io/zone: ${zone} }
      containers:
        - name: default
          image: ${sampleImage}
          env: [${env.join(', ')}]
          ports: [{ containerPort: 8000 }]
`;
}

// The seed's DestinationRule for mockb (shared/seed/destination-rules.yaml).
const mockbRule = `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: mockb }
spec:
  host: mockb
  trafficPolicy:
    outlierDetection:
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 1
      baseEjectionTime: 5m
      consecutive5xxErrors: 1
      interval: 30s
      maxEjectionPercent: 100
`;

interface Alert {
  labels: Record<string, string>;
  state: string;
}

interface StatusProxy {
  pod: string;
  namespace: string;
  cluster: string;
  admin: string | null;
  ip: string;
  kind: string;
  zone: string;
  ready: boolean;
}

describe('spillway lab prometheus: the shipped alerts fire on a real Prometheus during the drill', () => {
  let dir: string;
  let stateDir: string;
  let prometheusUrl = '';
  let prometheusPid = 0;
  const running: RunningCommand[] = [];
  let isSending = false;
  let sending: Promise<void> | undefined;

  const lab = async (args: string[]): Promise<CommandResult> => {
    const run = spawnSpillway(['lab', ...args, '--state-dir', stateDir], { HOME: dir });
    running.push(run);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const kubectl = (context: string, args: string[], input?: string): Promise<CommandResult> =>
    runCommand('kubectl', ['--context', context, ...args], {
      env: { ...process.env, KUBECONFIG: join(stateDir, 'kubeconfig'), HOME: dir },
      ...(input !== undefined ? { input } : {}),
    });
  const alerts = async (name: string): Promise<Alert[]> => {
    const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
    const body = (await res.json()) as { data: { alerts: Alert[] } };
    return body.data.alerts.filter((a) => a.labels['alertname'] === name && a.state === 'firing');
  };
  const query = async (expr: string): Promise<Array<{ metric: Record<string, string> }>> => {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string> }> } }).data
      .result;
  };
  const proxies = async (): Promise<StatusProxy[]> => {
    const status = await lab(['status', '--json']);
    return (JSON.parse(status.stdout) as { proxies: StatusProxy[] }).proxies;
  };
  const podName = async (context: string, deploymentName: string): Promise<string> => {
    const r = await kubectl(context, [
      'get',
      'pods',
      '-l',
      `app=${deploymentName.split('-')[0] ?? ''}`,
      '-o',
      'json',
    ]);
    const pods = (
      JSON.parse(r.stdout) as {
        items: Array<{
          metadata: { name: string };
          spec: { containers: Array<{ image: string }> };
          status: { conditions?: Array<{ type: string; status: string }> };
        }>;
      }
    ).items;
    const mine = pods.filter(
      (p) =>
        p.metadata.name.startsWith(`${deploymentName}-`) &&
        p.spec.containers.some((c) => c.image === brokenImage),
    );
    return mine[0]?.metadata.name ?? '';
  };
  const breakDeployment = async (name: string): Promise<void> => {
    const patch = JSON.stringify({
      spec: {
        template: {
          spec: { containers: [{ name: 'default', image: brokenImage, command: ['sleep', '36000'] }] },
        },
      },
    });
    const r = await kubectl('cluster-1', ['patch', 'deployment', name, '-p', patch]);
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-alerts-e2e-'));
    stateDir = join(dir, 'state');
    const file = join(dir, 'topology.yaml');
    await writeFile(file, topology);
    const up = await lab(['up', '-f', file, '--detach', '--timeout', '150']);
    assert.equal(up.code, 0, up.stderr);
    const prom = await lab(['prometheus', '--scrape-interval', '1s', '--evaluation-interval', '1s']);
    assert.equal(prom.code, 0, prom.stderr);
    prometheusUrl = prom.stdout.trimEnd().split('\n').at(-1) ?? '';
    assert.equal(prometheusUrl, 'http://127.81.0.3:9090');
    const json = await lab(['prometheus', '--json']);
    assert.equal(json.code, 0, json.stderr);
    prometheusPid = (JSON.parse(json.stdout) as { pid: number }).pid;
    assert.match(json.stderr, /already running/);

    const cluster1 = [
      service('mocka'),
      service('mockb'),
      ...['cn-hangzhou-h', 'cn-hangzhou-k'].flatMap((z) => [
        deployment('mocka', z, { upstream: 'http://mockb:8000/' }),
        deployment('mockb', z),
      ]),
      mockbRule,
    ].join('---\n');
    const applied1 = await kubectl('cluster-1', ['apply', '-f', '-'], cluster1);
    assert.equal(applied1.code, 0, applied1.stderr);
    // cluster-2 has no control plane: its mockb runs without a sidecar (mesh-1 discovers it).
    const cluster2 = [service('mockb'), deployment('mockb', 'ap-northeast-1a', { sidecar: false })].join(
      '---\n',
    );
    const applied2 = await kubectl('cluster-2', ['apply', '-f', '-'], cluster2);
    assert.equal(applied2.code, 0, applied2.stderr);
  });

  after(async () => {
    isSending = false;
    await sending;
    await lab(['down']).catch(() => {});
    for (const r of running) await r.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('lab status lists every proxy with its admin address; Prometheus scrapes them all', async () => {
    const listed = await waitFor(
      'both mocka and both mockb sidecars Ready in cluster-1',
      async () => {
        const all = await proxies();
        const sidecars = all.filter((p) => p.kind === 'sidecar' && p.cluster === 'cluster-1' && p.ready);
        return sidecars.length === 4 ? all : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Proxies without configuration (cluster-2's gateways: no control plane serves cluster-2) may
    // have no admin yet; every Ready one has.
    const readyProxies = listed.filter((p) => p.ready);
    for (const p of readyProxies) {
      assert.match(p.admin ?? '', /^127\.18[12]\.\d+\.\d+:15000$/, `${p.pod} admin`);
      assert.equal(typeof p.namespace, 'string');
    }
    assert.ok(listed.some((p) => p.kind === 'gateway' && p.namespace === 'istio-system'));
    // Every sidecar, gateway and the control plane is a healthy target, with the SD labels.
    await waitFor(
      'every lab target up in Prometheus',
      async () => {
        const up = await query('up == 1');
        const pods = new Set(up.map((s) => s.metric['pod']));
        const isControlPlaneUp = up.some(
          (s) => s.metric['kind'] === 'control-plane' && s.metric['mesh'] === 'mesh-1',
        );
        return isControlPlaneUp && readyProxies.every((p) => pods.has(p.pod));
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });

  test('breaking a zone fires SpillwayEndpointEjected within 15 s with the ejected pod and locality; the whole region, SpillwayCrossRegionFailover', async () => {
    const mockas = (await proxies()).filter((p) => p.pod.startsWith('mocka-'));
    assert.equal(mockas.length, 2);
    isSending = true;
    sending = (async () => {
      while (isSending) {
        await Promise.all(
          mockas.map((m) =>
            fetch(`http://${m.ip}:8000/`, { signal: AbortSignal.timeout(3000) })
              .then((r) => r.arrayBuffer())
              .catch(() => undefined),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Prometheus sees mocka's view of mockb (priority 0 = its own zone) before the break.
    await waitFor(
      "mocka's priority loads for mockb in Prometheus",
      async () =>
        (
          await query(
            `spillway_cluster_priority_load{cluster_name="${mockbCluster}",priority="0",locality_scope="same_zone",pod=~"mocka-.*"} == 100`,
          )
        ).length === 2,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.deepEqual(await alerts('SpillwayEndpointEjected'), []);

    const brokeAt = performance.now();
    await breakDeployment('mockb-cn-hangzhou-h');
    const ejected = await waitFor(
      'SpillwayEndpointEjected firing for the broken mockb',
      async () => {
        const firing = await alerts('SpillwayEndpointEjected');
        return firing.find(
          (a) =>
            a.labels['upstream_locality'] === 'cn-hangzhou/cn-hangzhou-h' &&
            a.labels['pod']?.startsWith('mocka-cn-hangzhou-h-') === true,
        );
      },
      // The contract: the alert fires within 15 s of the break.
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const seconds = (performance.now() - brokeAt) / 1000;
    assert.ok(seconds <= 15, `fired after ${seconds.toFixed(1)} s`);
    const broken = await podName('cluster-1', 'mockb-cn-hangzhou-h');
    assert.notEqual(broken, '');
    assert.equal(ejected.labels['upstream_pod'], broken);
    assert.equal(ejected.labels['upstream_namespace'], 'default');
    assert.equal(ejected.labels['upstream_cluster'], 'cluster-1');
    assert.equal(ejected.labels['cluster_name'], mockbCluster);
    assert.equal(ejected.labels['severity'], 'warning');
    assert.match(ejected.labels['pod'] ?? '', /^mocka-cn-hangzhou-h-/, 'the reporting pod');
    assert.deepEqual(await alerts('SpillwayCrossRegionFailover'), [], 'the region still has mockb-k');

    await breakDeployment('mockb-cn-hangzhou-k');
    const crossRegion = await waitFor(
      'SpillwayCrossRegionFailover firing',
      async () => {
        const firing = await alerts('SpillwayCrossRegionFailover');
        return firing.length > 0 ? firing : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    for (const a of crossRegion) {
      assert.equal(a.labels['cluster_name'], mockbCluster);
      assert.equal(a.labels['cluster'], 'cluster-1');
      assert.equal(a.labels['severity'], 'critical');
    }
  });

  test('every Grafana panel query runs on the lab Prometheus; the failover panels have data', async () => {
    const withData = new Set<string>();
    for (const q of dashboardQueries()) {
      const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      assert.equal(body.status, 'success', `panel ${q.panelId} ${q.refId}: ${body.error ?? ''}`);
      if ((body.data?.result.length ?? 0) > 0) withData.add(`${q.panelId}${q.refId}`);
    }
    // Ejected endpoints and time left, priority load, enforced ejections, cross-cluster traffic,
    // client UF/URX flags, p99, pushes, connected proxies, data age: all exist after the drill.
    // (NACKs, overflows and UH need a failure this drill does not cause.)
    for (const panel of ['1A', '1B', '2A', '3A', '4A', '6A', '7A', '7C', '9A', '9B']) {
      assert.ok(withData.has(panel), `panel ${panel} has data (with data: ${[...withData].join(', ')})`);
    }
  });

  test('lab down stops Prometheus with the rest of the lab', async () => {
    isSending = false;
    await sending;
    assert.ok(isAlive(prometheusPid));
    const down = await lab(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(isAlive(prometheusPid), false);
    await assert.rejects(fetch(`${prometheusUrl}/-/ready`));
  });
});
