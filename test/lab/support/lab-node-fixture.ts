/**
 * A lab cluster for node agent tests: a real lab API server (controllers on, so Deployments become
 * scheduled Pods), labelled Nodes with podCIDRs in the test's own 127.x range, and in-process
 * NodeAgents. Node k (1-based) of second octet `octet` gets podCIDR 127.<octet>.k.0/24 and its
 * control API on 127.<octet>.k.1 (port 0); pods land in 127.<octet>.k.2+, their localhosts in
 * 127.<octet+100>.k.x.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../../src/core/logger.js';
import { sidecarInjectorAdmission } from '../../../src/kube/apiserver/admission/sidecar-injector.js';
import { NodeAgent, type NodeAgentOptions } from '../../../src/lab/node-agent/node-agent.js';
import { startTestCluster, type TestCluster } from '../../kube/support/kube-fixture.js';

export interface LabNode {
  readonly name: string;
  readonly zone: string;
  readonly index: number;
  readonly podCIDR: string;
  readonly address: string;
}

export interface LabNodeCluster {
  readonly cluster: TestCluster;
  readonly nodes: readonly LabNode[];
  readonly stateDir: string;
  readonly agents: Map<string, NodeAgent>;
  readonly kubeConfig: KubeConfig;
  startAgent(node: LabNode, options?: Partial<NodeAgentOptions>): Promise<NodeAgent>;
  stopAgent(node: LabNode): Promise<void>;
  close(): Promise<void>;
}

export const region = 'ap-northeast-1';

export async function startLabNodeCluster(options: {
  octet: number;
  zones: readonly string[];
  /** k of the first node (default 1): test files sharing an octet use different node numbers. */
  firstIndex?: number;
  /** Istio's sidecar injection as the lab runs it (`default` injected unless labelled otherwise). */
  injection?: { clusterId: string };
  agentOptions?: Partial<NodeAgentOptions>;
}): Promise<LabNodeCluster> {
  const first = options.firstIndex ?? 1;
  const cluster = await startTestCluster({
    address: `127.${options.octet}.0.${first}`,
    runControllers: true,
    ...(options.injection !== undefined
      ? { admission: [sidecarInjectorAdmission({ policy: 'lab', clusterId: options.injection.clusterId })] }
      : {}),
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'spillway-node-agent-'));
  const nodes: LabNode[] = options.zones.map((zone, i) => ({
    name: `node-${zone}`,
    zone,
    index: first + i,
    podCIDR: `127.${options.octet}.${first + i}.0/24`,
    address: `127.${options.octet}.${first + i}.1`,
  }));
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: nodes.map((n) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: {
          'kubernetes.io/hostname': n.name,
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': n.zone,
        },
      },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    })),
  };
  const applied = await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(list));
  if (applied.code !== 0) {
    await cluster.close();
    throw new Error(`kubectl apply nodes: ${applied.stderr}`);
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfig);
  const agents = new Map<string, NodeAgent>();
  const log = createLogger('node-agent-test');
  return {
    cluster,
    nodes,
    stateDir,
    agents,
    kubeConfig,
    async startAgent(node, extra = {}) {
      const agent = await NodeAgent.start({
        kubeConfig,
        nodeName: node.name,
        stateDir: join(stateDir, node.name),
        controlAddress: { host: node.address, port: 0 },
        heartbeatMs: 1000,
        log,
        ...options.agentOptions,
        ...extra,
      });
      agents.set(node.name, agent);
      return agent;
    },
    async stopAgent(node) {
      await agents.get(node.name)?.close();
      agents.delete(node.name);
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
      await cluster.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
