/**
 * The node agent with real peers: a lab API server (controllers on, the lab's sidecar injection),
 * two Nodes of cluster-2's zones
 * with podCIDRs 127.87.1.0/24 and 127.87.2.0/24, one in-process NodeAgent per node, real kubectl and
 * real curl. The seed's cluster-2 app, applied as the seed applies it (the API server injects the
 * sidecars), runs with sidecars started
 * from static bootstraps whose routes the test derives from the cluster (same-zone endpoints, as the
 * seed's DestinationRules make it); the seed's drill yields a Ready pod whose sidecar answers the
 * seed's 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { ProxyIdentity } from '../../src/lab/node-agent/proxy-bootstrap.js';
import { staticProxyBootstrap, type StaticService } from '../../src/lab/node-agent/static-proxy-bootstrap.js';
import { runCommand } from '../support/run-command.js';
import { waitFor } from '../support/wait-for.js';
import { startLabNodeCluster, type LabNodeCluster } from './support/lab-node-fixture.js';
import { breakAsSeed } from './support/seed-drill.js';
import { seedDir } from './support/seed-manifests.js';

const zones = ['ap-northeast-1a', 'ap-northeast-1b'] as const;
const services = ['mocka', 'mockb', 'mockc'] as const;
const seedFailure =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';

async function curl(
  url: string,
  extra: readonly string[] = [],
): Promise<{ code: number; body: string; headers: string }> {
  const r = await runCommand('curl', ['-s', '-D', '-', '--max-time', '5', ...extra, url]);
  const [headers = '', ...rest] = r.stdout.split('\r\n\r\n');
  return { code: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1] ?? 0), body: rest.join('\r\n\r\n'), headers };
}

describe('node agent: the seed app on two lab nodes, with sidecars', () => {
  let lab: LabNodeCluster;
  let core: CoreV1Api;

  async function seedPods(): Promise<V1Pod[]> {
    return (await core.listNamespacedPod({ namespace: 'default' })).items;
  }

  function zoneOfNode(nodeName: string | undefined): string | undefined {
    return lab.nodes.find((n) => n.name === nodeName)?.zone;
  }

  /** Same-zone routes for mocka/mockb/mockc, once every seed pod has its address. */
  async function sameZoneRoutes(identity: ProxyIdentity): Promise<StaticService[]> {
    const pods = await waitFor(
      'every seed pod to have an address',
      async () => {
        const items = (await seedPods()).filter((p) => p.metadata?.deletionTimestamp === undefined);
        return items.filter((p) => p.status?.podIP !== undefined).length >= 6 ? items : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    return services.map((svc) => ({
      host: `${svc}.default.svc.cluster.local`,
      port: 8000,
      domains: [
        `${svc}:8000`,
        `${svc}.default:8000`,
        `${svc}.default.svc:8000`,
        `${svc}.default.svc.cluster.local:8000`,
      ],
      endpoints: pods
        .filter(
          (p) =>
            p.metadata?.labels?.['app'] === svc && zoneOfNode(p.spec?.nodeName) === identity.locality.zone,
        )
        .filter((p) => p.status?.podIP !== undefined)
        .map((p) => ({ address: p.status?.podIP as string, port: 8000 })),
    }));
  }

  function podOf(pods: V1Pod[], deployment: string): V1Pod | undefined {
    return pods.find(
      (p) => p.metadata?.name?.startsWith(`${deployment}-`) && p.metadata.deletionTimestamp === undefined,
    );
  }

  function isReady(p: V1Pod | undefined): boolean {
    return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }

  before(async () => {
    lab = await startLabNodeCluster({
      octet: 87,
      zones,
      injection: { clusterId: 'cluster-2' },
      agentOptions: {
        proxyBootstrap: async (identity) =>
          staticProxyBootstrap(identity, { services: await sameZoneRoutes(identity) }),
      },
    });
    core = lab.kubeConfig.makeApiClient(CoreV1Api);
    for (const node of lab.nodes) await lab.startAgent(node);
    const applied = await lab.cluster.kubectl(['apply', '-f', `${seedDir}/cluster-2-app.yaml`]);
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    await lab?.close();
  });

  test("every seed pod runs Ready in its zone with an address from its node's podCIDR", async () => {
    const pods = await waitFor(
      '6 ready seed pods',
      async () => {
        const items = await seedPods();
        return items.length === 6 && items.every(isReady) ? items : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    for (const p of pods) {
      const node = lab.nodes.find((n) => n.name === p.spec?.nodeName);
      assert.ok(node !== undefined, `${p.metadata?.name} is on a lab node`);
      assert.equal(p.metadata?.labels?.['locality'], node.zone);
      assert.match(p.status?.podIP ?? '', new RegExp(`^127\\.87\\.${node.index}\\.\\d+$`));
      assert.equal(p.status?.hostIP, node.address);
      assert.equal(p.status?.phase, 'Running');
      assert.deepEqual(
        p.status?.containerStatuses?.map((c) => [c.name, c.ready, c.started, c.restartCount]),
        [
          ['default', true, true, 0],
          ['istio-proxy', true, true, 0],
        ],
      );
    }
    const wide = await lab.cluster.kubectl(['get', 'pods', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    for (const p of pods) {
      const line = wide.stdout.split('\n').find((l) => l.startsWith(`${p.metadata?.name} `)) ?? '';
      assert.match(
        line,
        new RegExp(
          `\\s2/2\\s+Running\\s+0\\s+\\S+\\s+${(p.status?.podIP ?? '').replace(/\./g, '\\.')}\\s+${p.spec?.nodeName}\\s`,
        ),
      );
    }
  });

  test('curl to a pod IP reaches the app through its sidecar: the whole chain stays in the zone', async () => {
    const pods = await seedPods();
    for (const zone of zones) {
      const ip = (d: string): string => podOf(pods, `${d}-${zone}`)?.status?.podIP ?? '';
      const r = await curl(`http://${ip('mocka')}:8000/mock`);
      assert.equal(r.code, 200, r.headers);
      assert.equal(
        r.body,
        `-> mocka(version: ${zone}, ip: ${ip('mocka')})-> mockb(version: ${zone}, ip: ${ip('mockb')})-> mockc(version: ${zone}, ip: ${ip('mockc')})`,
      );
      assert.match(r.headers, /^server: istio-envoy\r?$/m, 'the inbound listener is the sidecar');
    }
    // The app itself listens on the pod's private localhost, not on the pod IP.
    const mockc = podOf(pods, 'mockc-ap-northeast-1a')?.status?.podIP ?? '';
    const direct = await curl(`http://${mockc.replace(/^127\.87\./, '127.187.')}:8000/`);
    assert.equal(direct.body, `-> mockc(version: ap-northeast-1a, ip: ${mockc})`);
    assert.doesNotMatch(direct.headers, /istio-envoy/);
  });

  test("the seed's drill: curl image + sleep 36000 is Ready and its sidecar answers the seed's 503", async () => {
    const before = podOf(await seedPods(), 'mockb-ap-northeast-1a');
    const oldIp = before?.status?.podIP ?? '';
    const drilled = await breakAsSeed(
      { kubectl: (args) => lab.cluster.kubectl(args), pods: seedPods },
      'mockb-ap-northeast-1a',
      before?.metadata?.uid,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const ip = drilled.status?.podIP ?? '';
    assert.notEqual(ip, oldIp, 'a new address (round robin), the old one is not reused at once');
    const drilledPid = (lab.agents.get(drilled.spec?.nodeName ?? '')?.childPids() ?? [])[0];
    assert.ok(drilledPid !== undefined, 'sleep runs as a child process');
    const res = await curl(`http://${ip}:8000/`);
    assert.equal(res.code, 503);
    assert.equal(res.body, seedFailure);
    // The old pod is gone for good: nothing listens on its address any more.
    const gone = await runCommand('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '2',
      `http://${oldIp}:8000/`,
    ]);
    assert.equal(gone.stdout, '000');
  });
});
