/**
 * Issue 6 "Proxy metrics", end to end with real peers: a lab API server with the lab's sidecar
 * injection, node agents running the seed's cluster-2 app with ADS sidecars and an ingress gateway
 * pod, a real `spillway control-plane`, real curl and the real promtool.
 *
 * Traffic goes gateway -> mocka -> mockb -> mockc. Each proxy's Istio Prometheus listener
 * (`<pod IP>:15090/stats/prometheus`) then shows `istio_requests_total` reported by the client side
 * (`source`, the gateway and the sidecars' outbound) and the server side (`destination`, the sidecars'
 * inbound) with the right workloads, Istio cluster IDs and response codes, and passes
 * `promtool check metrics` except for the one lint Istio's own name cannot pass (ADR 0016). After the
 * seed's drill breaks mockb in ap-northeast-1a (its app stops listening, so its sidecar answers 503),
 * mocka's sidecar exports `spillway_outlier_ejected` naming that endpoint's pod and locality, and
 * the load of its priority 0 moves to priority 1.
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
const gatewayDeployment = 'istio-ingressgateway-ap-northeast-1a';
/**
 * The only promtool findings allowed: unit lints on names Envoy and Istio chose (ADR 0003, 0016), e.g.
 * `istio_request_duration_milliseconds` and Envoy's `..._time_ms`. Everything else must pass.
 */
const unitLint =
  /^(\S+) (metric names should not contain abbreviated units|use base unit "seconds" instead of "milliseconds")$/;

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the sample lines of a Prometheus text exposition (label values without escapes here). */
function samples(text: string, name: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line
      .slice(name.length + 1, close)
      .matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1] as string] = m[2] as string;
    out.push({ name, labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}

function find(series: readonly Series[], want: Readonly<Record<string, string>>): Series | undefined {
  return series.find((s) => Object.entries(want).every(([k, v]) => s.labels[k] === v));
}

async function scrape(podIP: string): Promise<string> {
  const r = await runCommand('curl', [
    '-s',
    '--fail',
    '--max-time',
    '5',
    `http://${podIP}:15090/stats/prometheus`,
  ]);
  assert.equal(r.code, 0, `curl ${podIP}:15090 failed: ${r.stderr}`);
  return r.stdout;
}

async function assertPromtoolClean(text: string, what: string): Promise<void> {
  const lint = await runCommand('promtool', ['check', 'metrics'], { input: text });
  const findings = `${lint.stdout}${lint.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const unitNames = findings.map((f) => unitLint.exec(f)?.[1]);
  assert.ok(
    unitNames.every(
      (n) => n !== undefined && (n.startsWith('envoy_') || n === 'istio_request_duration_milliseconds'),
    ),
    `promtool on ${what}:\n${findings.join('\n')}`,
  );
  assert.ok(unitNames.includes('istio_request_duration_milliseconds'), findings.join('\n'));
  // Without those families the exposition passes outright (exit 0).
  const linted = new Set(unitNames);
  const rest = text
    .split('\n')
    .filter((l) => {
      const name = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(l)?.[1] ?? '';
      return ![...linted].some((n) => n !== undefined && (name === n || name.startsWith(`${n}_`)));
    })
    .join('\n');
  const clean = await runCommand('promtool', ['check', 'metrics'], { input: rest });
  assert.equal(clean.code, 0, `promtool on ${what} without those families:\n${clean.stdout}${clean.stderr}`);
}

describe('proxy metrics on a lab with real sidecars, a gateway and a control plane', () => {
  let lab: LabNodeCluster;
  let cp: ControlPlaneProcess | undefined;

  async function pods(namespace = 'default'): Promise<V1Pod[]> {
    const out = await lab.cluster.kubectl(['get', 'pods', '-n', namespace, '-o', 'json']);
    return (JSON.parse(out.stdout) as { items: V1Pod[] }).items;
  }

  function podOf(list: readonly V1Pod[], deployment: string): V1Pod | undefined {
    return list.find(
      (p) => p.metadata?.name?.startsWith(`${deployment}-`) && p.metadata.deletionTimestamp === undefined,
    );
  }

  before(async () => {
    lab = await startLabNodeCluster({ octet: 73, zones, injection: { clusterId: 'cluster-2' } });
    cp = await startControlPlane([
      '--cluster-id',
      'cluster-2',
      '--kubeconfig',
      lab.cluster.kubeconfig,
      '--context',
      'test-cluster',
      '--xds-address',
      '127.73.0.2:0',
      '--admin-address',
      '127.73.0.2:0',
      '--inbound-retry-policy',
      'false',
    ]);
    for (const node of lab.nodes)
      await lab.startAgent(node, {
        clusterId: 'cluster-2',
        xdsAddress: { host: cp.xds.address, port: cp.xds.port },
      });
    for (const file of ['destination-rules.yaml', 'cluster-2-app.yaml']) {
      const r = await lab.cluster.kubectl(['apply', '-f', `${seedDir}/${file}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const gw = await lab.cluster.kubectl(['apply', '-f', '-'], asList(gatewayObjects('ap-northeast-1a')));
    assert.equal(gw.code, 0, gw.stderr);
  });

  after(async () => {
    await lab?.close();
    await cp?.stop();
  });

  test('gateway and sidecars report istio_requests_total from both sides, and pass promtool', async () => {
    const gateway = await waitFor(
      'the gateway pod Ready',
      async () => {
        const [pod] = await pods('istio-system');
        return pod !== undefined && isPodReady(pod) ? pod : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const list = await waitFor(
      '6 ready seed pods',
      async () => {
        const items = await pods();
        return items.length === 6 && items.every(isPodReady) ? items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const ip = (d: string): string => podOf(list, `${d}-ap-northeast-1a`)?.status?.podIP ?? '';
    const chain = `-> mocka(version: ap-northeast-1a, ip: ${ip('mocka')})-> mockb(version: ap-northeast-1a, ip: ${ip('mockb')})-> mockc(version: ap-northeast-1a, ip: ${ip('mockc')})`;
    await waitFor(
      'a same-zone chain through the gateway',
      async () => {
        const r = await runCommand('curl', [
          '-s',
          '--max-time',
          '5',
          '-H',
          'Host: mock.asm-demo.work',
          `http://${gateway.status?.podIP}:8080/mock`,
        ]);
        return r.stdout === chain;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    for (let i = 0; i < 3; i++) {
      const r = await runCommand('curl', [
        '-s',
        '--max-time',
        '5',
        '-H',
        'Host: mock.asm-demo.work',
        `http://${gateway.status?.podIP}:8080/mock`,
      ]);
      assert.equal(r.stdout, chain);
    }

    const gatewayText = await scrape(gateway.status?.podIP ?? '');
    const fromGateway = find(samples(gatewayText, 'istio_requests_total'), {
      reporter: 'source',
      source_workload: gatewayDeployment,
      source_workload_namespace: 'istio-system',
      source_cluster: 'cluster-2',
      destination_workload: 'mocka-ap-northeast-1a',
      destination_workload_namespace: 'default',
      destination_cluster: 'cluster-2',
      destination_service: 'mocka.default.svc.cluster.local',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
    assert.ok(fromGateway !== undefined && fromGateway.value >= 4, gatewayText);
    assert.match(gatewayText, /^istio_build\{component="proxy",tag="[^"]+"\} 1$/m);
    await assertPromtoolClean(gatewayText, 'the gateway');

    const mockaText = await scrape(ip('mocka'));
    const inbound = find(samples(mockaText, 'istio_requests_total'), {
      reporter: 'destination',
      source_workload: gatewayDeployment,
      source_workload_namespace: 'istio-system',
      source_cluster: 'cluster-2',
      destination_workload: 'mocka-ap-northeast-1a',
      destination_cluster: 'cluster-2',
      destination_canonical_service: 'mocka',
      response_code: '200',
      connection_security_policy: 'none',
    });
    assert.ok(inbound !== undefined && inbound.value >= 4, mockaText);
    const outbound = find(samples(mockaText, 'istio_requests_total'), {
      reporter: 'source',
      source_workload: 'mocka-ap-northeast-1a',
      destination_workload: 'mockb-ap-northeast-1a',
      destination_service: 'mockb.default.svc.cluster.local',
      destination_service_name: 'mockb',
      destination_cluster: 'cluster-2',
      response_code: '200',
    });
    assert.ok(outbound !== undefined && outbound.value >= 4, mockaText);
    assert.ok(
      find(samples(mockaText, 'istio_request_duration_milliseconds_count'), { reporter: 'destination' }),
      'duration histogram',
    );
    // The failover view before the drill: mockb's priority 0 is the proxy's own zone and takes everything.
    assert.match(
      mockaText,
      /^spillway_cluster_priority_load\{cluster_name="outbound\|8000\|\|mockb\.default\.svc\.cluster\.local",priority="0",locality_scope="same_zone"\} 100$/m,
    );
    assert.doesNotMatch(mockaText, /^spillway_outlier_ejected\{/m);
    await assertPromtoolClean(mockaText, 'the mocka sidecar');
  });

  test("after the seed's drill, mocka's sidecar names the ejected mockb endpoint's pod and locality", async () => {
    const before = await pods();
    const drilled = await breakAsSeed(
      { kubectl: (args) => lab.cluster.kubectl(args), pods: pods },
      'mockb-ap-northeast-1a',
      podOf(before, 'mockb-ap-northeast-1a')?.metadata?.uid,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const mockaIp = podOf(await pods(), 'mocka-ap-northeast-1a')?.status?.podIP ?? '';
    const drilledPod = drilled.metadata?.name ?? '';
    const ejected = await waitFor(
      'spillway_outlier_ejected for the drilled endpoint',
      async () => {
        await runCommand('curl', ['-s', '--max-time', '5', `http://${mockaIp}:8000/mock`]);
        const text = await scrape(mockaIp);
        const series = find(samples(text, 'spillway_outlier_ejected'), { upstream_pod: drilledPod });
        return series === undefined ? undefined : { series, text };
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.deepEqual(ejected.series.labels, {
      cluster_name: 'outbound|8000||mockb.default.svc.cluster.local',
      upstream_url: `${drilled.status?.podIP}:8000`,
      upstream_pod: drilledPod,
      upstream_namespace: 'default',
      upstream_locality: 'ap-northeast-1/ap-northeast-1a',
      upstream_cluster: 'cluster-2',
      type: 'consecutive_5xx',
    });
    assert.equal(ejected.series.value, 1);
    const remaining = find(samples(ejected.text, 'spillway_outlier_ejection_remaining_seconds'), {
      upstream_pod: drilledPod,
    });
    // The seed's baseEjectionTime is 5m.
    assert.ok(remaining !== undefined && remaining.value > 200 && remaining.value <= 300, ejected.text);
    assert.match(
      ejected.text,
      /^spillway_cluster_priority_load\{cluster_name="outbound\|8000\|\|mockb\.default\.svc\.cluster\.local",priority="1",locality_scope="same_region"\} 100$/m,
    );
    // The client saw the failure: its sidecar counted the 503 from the drilled endpoint.
    assert.ok(
      find(samples(ejected.text, 'istio_requests_total'), {
        reporter: 'source',
        destination_workload: 'mockb-ap-northeast-1a',
        response_code: '503',
      }),
      ejected.text,
    );
    await assertPromtoolClean(ejected.text, 'the mocka sidecar after the drill');
  });
});
