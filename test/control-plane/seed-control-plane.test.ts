/**
 * Issue 4's acceptance with real processes: the seed's manifests in two lab API servers (pod status
 * written by a stand-in node agent), one `spillway control-plane` per cluster (multi-primary, each
 * watching both), and a real `spillway proxy` bootstrapped with ADS only, identifying as the
 * `mocka-ap-northeast-1a` pod of cluster-2.
 *
 * - The proxy gets `outbound|8000||mockb.default.svc.cluster.local` with the outlier detection and
 *   panic threshold of spec 3.1 for the seed's DestinationRule, and an assignment with
 *   ap-northeast-1a at priority 0, ap-northeast-1b at 1 and both cn-hangzhou zones at 2; without the
 *   DestinationRule every endpoint is at priority 0.
 * - It routes `mockb:8000` through its HTTP-proxy listener to the same-zone endpoint, and keeps
 *   serving when the control plane is killed.
 * - Both control planes serve the same registry; stopping cluster-1's API server leaves the
 *   cluster-2 control plane pushing, with cluster-1 shown as disconnected and its endpoints kept.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adsBootstrap } from '../support/ads-proxy-resources.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { runCommand } from '../support/run-command.js';
import { waitFor } from '../support/wait-for.js';
import { closeSeedCluster, startSeedCluster, type SeedCluster } from '../registry/support/seed-clusters.js';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane-process.js';

const mockbCluster = 'outbound|8000||mockb.default.svc.cluster.local';
const localhost = '127.88.112.9';

interface LbEndpoints {
  locality?: { region?: string; zone?: string };
  priority?: number;
  lb_endpoints: Array<{ endpoint: { address: { socket_address: { address: string } } } }>;
}

interface ConfigDump {
  configs: Array<Record<string, unknown>>;
}

function dumpSection(dump: ConfigDump, type: string): Record<string, unknown> | undefined {
  return dump.configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`);
}

function clusterOf(dump: ConfigDump, name: string): Record<string, unknown> | undefined {
  const clusters = (dumpSection(dump, 'ClustersConfigDump')?.['dynamic_active_clusters'] ?? []) as Array<{
    cluster: Record<string, unknown>;
  }>;
  return clusters.find((c) => c.cluster['name'] === name)?.cluster;
}

function assignmentOf(dump: ConfigDump, name: string): LbEndpoints[] | undefined {
  const configs = (dumpSection(dump, 'EndpointsConfigDump')?.['dynamic_endpoint_configs'] ?? []) as Array<{
    endpoint_config: { cluster_name: string; endpoints?: LbEndpoints[] };
  }>;
  return configs.find((c) => c.endpoint_config.cluster_name === name)?.endpoint_config.endpoints;
}

/** zone -> priority, from an assignment. */
function priorityByZone(endpoints: readonly LbEndpoints[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const group of endpoints) out[group.locality?.zone ?? ''] = group.priority ?? 0;
  return out;
}

describe('control plane: the seed in two clusters, served over ADS to a real proxy', () => {
  let c1: SeedCluster | undefined;
  let c2: SeedCluster | undefined;
  let cp1: ControlPlaneProcess | undefined;
  let cp2: ControlPlaneProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let dir = '';
  const backends: http.Server[] = [];
  const podIp = new Map<string, string>();

  async function proxyDump(): Promise<ConfigDump> {
    return JSON.parse((await (proxy as ProxyProcess).admin('/config_dump?include_eds')).body) as ConfigDump;
  }

  async function viaSidecar(url: string): Promise<{ code: number; body: string; headers: string }> {
    const r = await runCommand('curl', [
      '-s',
      '-D',
      '-',
      '-x',
      `http://${localhost}:15001`,
      '--max-time',
      '5',
      url,
    ]);
    const [headers = '', body = ''] = r.stdout.split('\r\n\r\n');
    const code = Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1] ?? 0);
    return { code, body, headers };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-cp-'));
    c1 = await startSeedCluster({ clusterId: 'cluster-1', address: '127.88.1.1', ipPrefix: '127.88.11' });
    c2 = await startSeedCluster({ clusterId: 'cluster-2', address: '127.88.2.1', ipPrefix: '127.88.12' });
    for (const seed of [c1, c2]) {
      await waitFor(`6 ready pods in ${seed.clusterId}`, () => seed.agent.marked.size === 6, {
        timeoutMs: 20_000,
      });
      for (const [key, ip] of seed.agent.marked)
        podIp.set(key.replace(/^default\//, '').replace(/-[a-z0-9]+-[a-z0-9]+$/, ''), ip);
    }
    // Every mockb pod IP serves a plain HTTP backend naming its zone (the pods' own apps).
    for (const [deployment, ip] of podIp) {
      if (!deployment.startsWith('mockb-')) continue;
      const server = http.createServer((_req, res) => res.end(deployment));
      await new Promise<void>((resolve) => server.listen(8000, ip, resolve));
      backends.push(server);
    }
    cp1 = await startControlPlane([
      '--cluster-id',
      'cluster-1',
      '--kubeconfig',
      c1.cluster.kubeconfig,
      '--remote',
      `${c2.cluster.kubeconfig}=cluster-2`,
      '--xds-address',
      '127.88.1.2:0',
      '--admin-address',
      '127.88.1.2:0',
    ]);
    cp2 = await startControlPlane([
      '--cluster-id',
      'cluster-2',
      '--kubeconfig',
      c2.cluster.kubeconfig,
      '--remote',
      `${c1.cluster.kubeconfig}=cluster-1`,
      '--xds-address',
      '127.88.2.2:0',
      '--admin-address',
      '127.88.2.2:0',
    ]);
    for (const cp of [cp1, cp2])
      await waitFor('control plane ready', async () => (await cp.status('/ready')) === 200, {
        timeoutMs: 20_000,
      });

    const mockaIp = podIp.get('mocka-ap-northeast-1a') ?? '';
    const mockaPod =
      [...c2.agent.marked.keys()]
        .find((k) => k.startsWith('default/mocka-ap-northeast-1a-'))
        ?.slice('default/'.length) ?? '';
    const bootstrap = adsBootstrap(
      { address: cp2.xds.address, port: cp2.xds.port },
      { admin: { address: localhost, port: 0 } },
    );
    bootstrap['node'] = {
      id: `sidecar~${mockaIp}~${mockaPod}.default~default.svc.cluster.local`,
      cluster: 'mocka.default',
      metadata: {
        CLUSTER_ID: 'cluster-2',
        NAMESPACE: 'default',
        WORKLOAD_NAME: 'mocka-ap-northeast-1a',
        SPILLWAY_LOCALHOST: localhost,
      },
    };
    proxy = await startProxyProcess(bootstrap, dir, 'mocka-ap-northeast-1a');
    await waitFor(
      'the proxy to be LIVE',
      async () => (await (proxy as ProxyProcess).admin('/ready')).status === 200,
      { timeoutMs: 20_000 },
    );
  });

  after(async () => {
    await proxy?.stop();
    await cp1?.stop();
    await cp2?.stop();
    for (const b of backends) await new Promise((r) => b.close(r));
    await closeSeedCluster(c1);
    await closeSeedCluster(c2);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test("mocka-ap-northeast-1a gets mockb's outlier detection and priorities relative to its zone", async () => {
    const dump = await waitFor('mockb cluster and assignment with 4 endpoints', async () => {
      const d = await proxyDump();
      const endpoints = assignmentOf(d, mockbCluster);
      return clusterOf(d, mockbCluster) !== undefined &&
        endpoints?.flatMap((g) => g.lb_endpoints).length === 4
        ? d
        : undefined;
    });
    const cluster = clusterOf(dump, mockbCluster) as Record<string, unknown>;
    assert.deepEqual(cluster['outlier_detection'], {
      consecutive_5xx: 1,
      enforcing_consecutive_5xx: 100,
      interval: '30s',
      base_ejection_time: '300s',
      max_ejection_percent: 100,
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 1,
      enforcing_consecutive_local_origin_failure: 100,
      enforcing_local_origin_success_rate: 0,
      enforcing_success_rate: 0,
    });
    assert.deepEqual((cluster['common_lb_config'] as Record<string, unknown>)['healthy_panic_threshold'], {});
    assert.deepEqual(priorityByZone(assignmentOf(dump, mockbCluster) ?? []), {
      'ap-northeast-1a': 0,
      'ap-northeast-1b': 1,
      'cn-hangzhou-h': 2,
      'cn-hangzhou-k': 2,
    });
  });

  test('the HTTP-proxy listener routes mockb:8000 to the same-zone endpoint with Envoy headers', async () => {
    const r = await viaSidecar('http://mockb:8000/');
    assert.equal(r.code, 200, r.headers);
    assert.equal(r.body, 'mockb-ap-northeast-1a');
    assert.match(r.headers, /x-envoy-upstream-service-time: \d+/i);
  });

  test('both control planes hold the same view of both clusters', async () => {
    type Registryz = {
      services: Array<{
        hostname: string;
        endpoints: Array<{ address: string; cluster: string; locality: string }>;
      }>;
    };
    const view = (r: Registryz): string =>
      JSON.stringify(
        r.services
          .map((s) => [s.hostname, s.endpoints.map((e) => `${e.address}@${e.cluster}/${e.locality}`).sort()])
          .sort(),
      );
    const [a, b] = await waitFor('equal registries', async () => {
      const r1 = await (cp1 as ControlPlaneProcess).json<Registryz>('/debug/registryz');
      const r2 = await (cp2 as ControlPlaneProcess).json<Registryz>('/debug/registryz');
      return view(r1) === view(r2) && r1.services.length >= 3 ? [r1, r2] : undefined;
    });
    assert.equal(view(a), view(b));
    const mockb = a.services.find((s) => s.hostname === 'mockb.default.svc.cluster.local');
    assert.deepEqual(new Set(mockb?.endpoints.map((e) => e.cluster)), new Set(['cluster-1', 'cluster-2']));
  });

  test('without the DestinationRule every endpoint is at priority 0; with it back, the ladder returns', async () => {
    await (c2 as SeedCluster).kubectl(['delete', 'destinationrule', 'mockb']);
    await waitFor('all mockb endpoints at priority 0', async () => {
      const d = await proxyDump();
      const byZone = priorityByZone(assignmentOf(d, mockbCluster) ?? []);
      return Object.keys(byZone).length === 4 && Object.values(byZone).every((p) => p === 0);
    });
    assert.equal(clusterOf(await proxyDump(), mockbCluster)?.['outlier_detection'], undefined);
    await (c2 as SeedCluster).kubectl(['apply', '-f', '/work/shared/seed/destination-rules.yaml']);
    await waitFor('the priority ladder back', async () => {
      const byZone = priorityByZone(assignmentOf(await proxyDump(), mockbCluster) ?? []);
      return (
        byZone['ap-northeast-1a'] === 0 && byZone['ap-northeast-1b'] === 1 && byZone['cn-hangzhou-h'] === 2
      );
    });
  });

  test('/debug/syncz shows the proxy ACKed on every type, and /metrics counts the pushes', async () => {
    type Syncz = { proxies: Array<{ proxy: string; xds: Record<string, { status: string }> }> };
    const syncz = await waitFor('the proxy synced on cds/eds/lds/rds', async () => {
      const s = await (cp2 as ControlPlaneProcess).json<Syncz>('/debug/syncz');
      const p = s.proxies.find((x) => x.proxy.includes('mocka-ap-northeast-1a'));
      return p !== undefined && ['cds', 'eds', 'lds', 'rds'].every((t) => p.xds[t]?.status === 'SYNCED')
        ? p
        : undefined;
    });
    assert.ok(syncz);
    const metrics = await (await fetch(`${(cp2 as ControlPlaneProcess).adminUrl}/metrics`)).text();
    assert.match(metrics, /^pilot_xds_pushes\{type="cds"\} [1-9]/m);
    assert.match(metrics, /^pilot_xds\{version="[^"]*"\} 1$/m);
    assert.match(metrics, /^spillway_cluster_connected\{cluster_id="cluster-1",cluster_type="remote"\} 1$/m);
  });

  test('a stopped remote API server leaves the other control plane pushing, with the stale cluster visible', async () => {
    const seed1 = c1 as SeedCluster;
    await seed1.agent.stop();
    await seed1.cluster.server.close();
    type Syncz = { clusters: Array<{ clusterId: string; isConnected: boolean; lastError?: string }> };
    const stale = await waitFor(
      'cluster-1 disconnected in syncz',
      async () => {
        const s = await (cp2 as ControlPlaneProcess).json<Syncz>('/debug/syncz');
        const c = s.clusters.find((x) => x.clusterId === 'cluster-1');
        return c !== undefined && !c.isConnected ? c : undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(stale.isConnected, false);
    // A change in cluster-2 is still pushed; cluster-1's endpoints stay.
    await (c2 as SeedCluster).kubectl(['scale', 'deployment', 'mockb-ap-northeast-1b', '--replicas=2']);
    await waitFor(
      'a second ap-northeast-1b endpoint pushed, cn-hangzhou kept',
      async () => {
        const groups = assignmentOf(await proxyDump(), mockbCluster) ?? [];
        const inZone = (zone: string): number =>
          groups.filter((g) => g.locality?.zone === zone).flatMap((g) => g.lb_endpoints).length;
        return (
          inZone('ap-northeast-1b') === 2 && inZone('cn-hangzhou-h') === 1 && inZone('cn-hangzhou-k') === 1
        );
      },
      { timeoutMs: 20_000 },
    );
  });

  test('killing the control plane leaves the proxy serving its last config', async () => {
    await (cp2 as ControlPlaneProcess).run.kill();
    await waitFor(
      'control_plane.connected_state 0',
      async () => (await (proxy as ProxyProcess).stat('control_plane.connected_state')) === 0,
    );
    const r = await viaSidecar('http://mockb:8000/');
    assert.equal(r.code, 200);
    assert.equal(r.body, 'mockb-ap-northeast-1a');
  });
});
