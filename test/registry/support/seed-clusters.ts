/**
 * The seed's two lab clusters for registry tests: `cluster-1` (cn-hangzhou, zones -h and -k) and
 * `cluster-2` (ap-northeast-1, zones 1a and 1b), each a real lab API server with controllers, two
 * Nodes per zone labelled with region and zone, the seed's app manifest and DestinationRules applied
 * with real kubectl, and a fake node agent writing pod status (Running, Ready, a pod IP from the
 * given 127.81.x range) through the status subresource.
 */
import assert from 'node:assert/strict';
import { startFakeNodeAgent, type FakeNodeAgent } from '../../kube/support/fake-node-agent.js';
import { startTestCluster, type TestCluster } from '../../kube/support/kube-fixture.js';

export const seedDir = '/work/shared/seed';
export const REGION = 'topology.kubernetes.io/region';
export const ZONE = 'topology.kubernetes.io/zone';

export interface SeedClusterSpec {
  readonly clusterId: 'cluster-1' | 'cluster-2';
  /** API server address (127.81.x.y). */
  readonly address: string;
  /** Pod IPs are `<ipPrefix>.1`, `.2`, ... */
  readonly ipPrefix: string;
  /** False: no Istio validating webhook on this API server. */
  readonly isIstioWebhookEnabled?: boolean;
}

export interface SeedCluster {
  readonly clusterId: string;
  readonly region: string;
  readonly zones: readonly [string, string];
  readonly cluster: TestCluster;
  agent: FakeNodeAgent;
  readonly ipPrefix: string;
  /** Real kubectl against this cluster; fails the test on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
}

export const topology = {
  'cluster-1': { region: 'cn-hangzhou', zones: ['cn-hangzhou-h', 'cn-hangzhou-k'] as const },
  'cluster-2': { region: 'ap-northeast-1', zones: ['ap-northeast-1a', 'ap-northeast-1b'] as const },
};

/** `node-<c>-<i>`: two per zone. */
export function nodeName(clusterId: string, index: number): string {
  return `node-${clusterId.slice(-1)}-${index}`;
}

export async function startSeedCluster(spec: SeedClusterSpec): Promise<SeedCluster> {
  const { region, zones } = topology[spec.clusterId];
  const cluster = await startTestCluster({
    address: spec.address,
    runControllers: true,
    ...(spec.isIstioWebhookEnabled !== undefined
      ? { isIstioWebhookEnabled: spec.isIstioWebhookEnabled }
      : {}),
  });
  const kubectl = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    const nodes = {
      apiVersion: 'v1',
      kind: 'List',
      items: [0, 1, 2, 3].map((i) => ({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName(spec.clusterId, i),
          labels: { [REGION]: region, [ZONE]: zones[i < 2 ? 0 : 1] },
        },
      })),
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(nodes));
    await kubectl(['apply', '-f', `${seedDir}/${spec.clusterId}-app.yaml`]);
    await kubectl(['apply', '-f', `${seedDir}/destination-rules.yaml`]);
    const agent = startFakeNodeAgent(cluster.kubeconfig, { ipPrefix: spec.ipPrefix });
    return { clusterId: spec.clusterId, region, zones, cluster, agent, ipPrefix: spec.ipPrefix, kubectl };
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

export async function closeSeedCluster(seed: SeedCluster | undefined): Promise<void> {
  if (seed === undefined) return;
  await seed.agent.stop();
  await seed.cluster.close();
}
