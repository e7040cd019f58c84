/**
 * Node agents with their default ADS bootstraps against a real `spillway control-plane` process (one
 * cluster, cluster-2's zones on two lab nodes, podCIDRs 127.89.1.0/24 and 127.89.2.0/24): the seed's
 * app applied as the seed applies it (the lab API server injects the sidecars), the seed's
 * DestinationRules and the lab's ingress gateway. Every sidecar gets its
 * configuration over ADS (the pod turns Ready only then), chains stay in their zone, and the drill
 * shows the seed's failover: the first request through mocka in ap-northeast-1a carries the broken
 * mockb's 503, the next ones go to mockb in ap-northeast-1b.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import {
  startControlPlane,
  type ControlPlaneProcess,
} from '../control-plane/support/control-plane-process.js';
import { runCommand } from '../support/run-command.js';
import { waitFor } from '../support/wait-for.js';
import { startLabNodeCluster, type LabNodeCluster } from './support/lab-node-fixture.js';
import { isPodReady } from './support/pod-helpers.js';
import { gatewayObjects } from './support/gateway-objects.js';
import { breakAsSeed } from './support/seed-drill.js';
import { asList, seedDir } from './support/seed-manifests.js';

const zones = ['ap-northeast-1a', 'ap-northeast-1b'] as const;
/** What the drilled pod's sidecar answers: the seed's text. */
const drilledReply =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';

async function curlBody(url: string): Promise<{ code: number; body: string }> {
  const r = await runCommand('curl', ['-s', '-w', '\n%{http_code}', '--max-time', '5', url]);
  const cut = r.stdout.lastIndexOf('\n');
  return { code: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

describe('node agents with ADS sidecars and a real control plane', () => {
  let lab: LabNodeCluster;
  let cp: ControlPlaneProcess | undefined;

  async function seedPods(): Promise<V1Pod[]> {
    const out = await lab.cluster.kubectl(['get', 'pods', '-o', 'json']);
    return (JSON.parse(out.stdout) as { items: V1Pod[] }).items;
  }

  function podOf(list: readonly V1Pod[], deployment: string): V1Pod | undefined {
    return list.find(
      (p) => p.metadata?.name?.startsWith(`${deployment}-`) && p.metadata.deletionTimestamp === undefined,
    );
  }

  before(async () => {
    lab = await startLabNodeCluster({ octet: 89, zones, injection: { clusterId: 'cluster-2' } });
    cp = await startControlPlane([
      '--cluster-id',
      'cluster-2',
      '--kubeconfig',
      lab.cluster.kubeconfig,
      '--context',
      'test-cluster',
      '--xds-address',
      '127.89.0.2:0',
      '--admin-address',
      '127.89.0.2:0',
      // The seed's Istio had no inbound retries (added in 1.24): its drill text needs them off.
      '--inbound-retry-policy',
      'false',
    ]);
    for (const node of lab.nodes)
      await lab.startAgent(node, {
        clusterId: 'cluster-2',
        xdsAddress: { host: cp.xds.address, port: cp.xds.port },
      });
    const rules = await lab.cluster.kubectl(['apply', '-f', `${seedDir}/destination-rules.yaml`]);
    assert.equal(rules.code, 0, rules.stderr);
    const r = await lab.cluster.kubectl(['apply', '-f', `${seedDir}/cluster-2-app.yaml`]);
    assert.equal(r.code, 0, r.stderr);
    const gw = await lab.cluster.kubectl(['apply', '-f', '-'], asList(gatewayObjects('ap-northeast-1a')));
    assert.equal(gw.code, 0, gw.stderr);
  });

  after(async () => {
    await lab?.close();
    await cp?.stop();
  });

  test('every sidecar gets its configuration over ADS; the pods turn Ready and chains stay in their zone', async () => {
    const list = await waitFor(
      '6 ready pods',
      async () => {
        const items = await seedPods();
        return items.length === 6 && items.every(isPodReady) ? items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    for (const zone of zones) {
      const ip = (d: string): string => podOf(list, `${d}-${zone}`)?.status?.podIP ?? '';
      const expected = `-> mocka(version: ${zone}, ip: ${ip('mocka')})-> mockb(version: ${zone}, ip: ${ip('mockb')})-> mockc(version: ${zone}, ip: ${ip('mockc')})`;
      // The endpoints of the other hops reach the callers' sidecars shortly after they turn Ready.
      await waitFor(
        `a same-zone chain through mocka in ${zone}`,
        async () => (await curlBody(`http://${ip('mocka')}:8000/mock`)).body === expected,
        {
          timeoutMs: 20_000,
          intervalMs: 250,
        },
      );
    }
    const worker = lab.agents
      .get('node-ap-northeast-1a')
      ?.pods()
      .find((w) => w.spec.name.startsWith('mocka-'));
    const proxy = worker?.info()['proxy'] as { admin: string } | undefined;
    const dump = await fetch(`http://${proxy?.admin}/config_dump`);
    assert.equal(dump.status, 200);
    assert.match(await dump.text(), /outbound\|8000\|\|mockb\.default\.svc\.cluster\.local/);
  });

  test("a gateway pod runs a router proxy: the seed's Gateway answers on the pod IP's port 8080", async () => {
    const gateway = await waitFor(
      'the gateway pod Ready',
      async () => {
        const out = await lab.cluster.kubectl(['get', 'pods', '-n', 'istio-system', '-o', 'json']);
        const [pod] = (JSON.parse(out.stdout) as { items: V1Pod[] }).items;
        return pod !== undefined && isPodReady(pod) ? pod : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const list = await seedPods();
    const ip = (d: string): string => podOf(list, `${d}-ap-northeast-1a`)?.status?.podIP ?? '';
    const expected = `-> mocka(version: ap-northeast-1a, ip: ${ip('mocka')})-> mockb(version: ap-northeast-1a, ip: ${ip('mockb')})-> mockc(version: ap-northeast-1a, ip: ${ip('mockc')})`;
    const url = `http://${gateway.status?.podIP}:8080/mock`;
    const answer = await waitFor(
      'a same-zone chain through the gateway',
      async () => {
        const r = await runCommand('curl', [
          '-s',
          '-D',
          '-',
          '--max-time',
          '5',
          '-H',
          'Host: mock.asm-demo.work',
          url,
        ]);
        return r.stdout.endsWith(expected) ? r.stdout : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /^server: istio-envoy\r$/m);
    assert.match(answer, /^x-envoy-upstream-service-time: \d+\r$/m);
  });

  test("the seed's drill: the first request through mocka-1a fails at mockb, the next ones fail over to 1b", async () => {
    const before = await seedPods();
    const drilled = await breakAsSeed(
      { kubectl: (args) => lab.cluster.kubectl(args), pods: seedPods },
      'mockb-ap-northeast-1a',
      podOf(before, 'mockb-ap-northeast-1a')?.metadata?.uid,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const direct = await curlBody(`http://${drilled.status?.podIP}:8000/`);
    assert.deepEqual(direct, { code: 503, body: drilledReply });
    const list = await seedPods();
    const ip = (d: string): string => podOf(list, d)?.status?.podIP ?? '';
    const mocka = `-> mocka(version: ap-northeast-1a, ip: ${ip('mocka-ap-northeast-1a')})`;
    const failedOver = `${mocka}-> mockb(version: ap-northeast-1b, ip: ${ip('mockb-ap-northeast-1b')})-> mockc(version: ap-northeast-1b, ip: ${ip('mockc-ap-northeast-1b')})`;
    // mocka's sidecar learns the new mockb endpoint, sends it the first request, gets the 503 and
    // ejects it (consecutive5xxErrors: 1): from then on the chain goes through ap-northeast-1b.
    const seen: string[] = [];
    await waitFor(
      'the failover chain',
      async () => {
        const body = (await curlBody(`http://${ip('mocka-ap-northeast-1a')}:8000/mock`)).body;
        seen.push(body);
        return body === failedOver;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.ok(
      seen.includes(`${mocka}${drilledReply}`),
      `the failed chain was seen before the failover: ${seen.join('\n')}`,
    );
    for (let i = 0; i < 3; i++)
      assert.equal((await curlBody(`http://${ip('mocka-ap-northeast-1a')}:8000/mock`)).body, failedOver);
  });
});
