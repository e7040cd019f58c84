/**
 * `lab status`: lab.json joined with what is true right now - which recorded processes are alive,
 * and (when the lab runs) which Nodes their API servers report Ready. The JSON form is documented
 * in docs/lab.md; its `kubeconfig` and `clusters[].{name,region,network,ingress}` fields are the
 * stable part scripts rely on.
 */
import type { LabProxy } from '../observability/lab-proxies.js';
import type { PrometheusInfo } from '../observability/observability-server.js';
import { clientFor, isNodeReady } from './cluster-setup.js';
import { inspectLab } from './lab-lock.js';
import type { LabState, ProcessKind } from './lab-state.js';

export type LabRunState = 'running' | 'starting' | 'stopping' | 'stopped' | 'failed' | 'crashed' | 'none';

export interface LabStatusReport {
  readonly state: LabRunState;
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly topology?: LabState['topology'];
  readonly supervisor?: {
    readonly pid: number;
    readonly alive: boolean;
    readonly log: string;
    readonly startedAt: string;
    readonly readyAt?: string;
  };
  readonly clusters: ReadonlyArray<{
    readonly name: string;
    readonly region: string;
    readonly network: string;
    readonly ingress: string;
    /** Gateway pods behind the ingress load balancer (empty when the lab does not run). */
    readonly ingressTargets: readonly string[];
    readonly apiServer: string;
    readonly context: string;
    readonly nodes: ReadonlyArray<{
      readonly name: string;
      readonly zone: string;
      readonly address: string;
      readonly podCIDR: string;
      /** From the API server; null when it could not be asked (lab not running). */
      readonly ready: boolean | null;
    }>;
  }>;
  readonly meshes: ReadonlyArray<{
    readonly name: string;
    readonly region: string;
    readonly configCluster: string;
    readonly clusters: readonly string[];
    readonly xdsAddress: string;
    readonly adminAddress: string;
    readonly state: string;
    readonly reason?: string;
  }>;
  readonly processes: ReadonlyArray<{
    readonly name: string;
    readonly kind: ProcessKind;
    readonly pid: number;
    readonly state: 'running' | 'exited' | 'stopped' | 'restarting';
    readonly restarts: number;
    readonly log: string;
  }>;
  /** Every sidecar and gateway proxy (from the node agents, through the supervisor); empty when not running. */
  readonly proxies: readonly LabProxy[];
  /** Prometheus HTTP service discovery of the lab (ADR 0017). */
  readonly observability?: { readonly address: string; readonly targetsUrl: string };
  /** The Prometheus `spillway lab prometheus` started, while it runs. */
  readonly prometheus?: PrometheusInfo;
  readonly warnings: readonly string[];
  readonly error?: string;
}

/** The proxies the supervisor's observability endpoint lists (undefined and a warning if it cannot). */
async function labProxies(address: string): Promise<{ proxies?: LabProxy[]; warning?: string }> {
  try {
    const res = await fetch(`http://${address}/v1/proxies`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return { warning: `proxies: ${address} answered HTTP ${res.status}` };
    const body = (await res.json()) as {
      proxies?: LabProxy[];
      failures?: Array<{ node: string; error: string }>;
    };
    const failures = body.failures ?? [];
    return {
      proxies: body.proxies ?? [],
      ...(failures.length > 0
        ? {
            warning: `proxies: node agents not answering (last known proxies shown): ${failures.map((f) => `${f.node}: ${f.error}`).join('; ')}`,
          }
        : {}),
    };
  } catch (err) {
    return { warning: `proxies: cannot ask the supervisor at ${address}: ${(err as Error).message}` };
  }
}

async function readyNodes(kubeconfig: string, cluster: string): Promise<Map<string, boolean> | undefined> {
  let client;
  try {
    client = clientFor(kubeconfig, cluster);
    const list = await client.get('/api/v1/nodes');
    const nodes = Array.isArray(list['items'])
      ? (list['items'] as Array<Parameters<typeof isNodeReady>[0]>)
      : [];
    return new Map(nodes.map((n) => [n.metadata?.name ?? '', isNodeReady(n)]));
  } catch {
    return undefined;
  } finally {
    client?.close();
  }
}

export async function labStatus(stateDir: string): Promise<LabStatusReport> {
  const lab = inspectLab(stateDir);
  if (lab === undefined) {
    return {
      state: 'none',
      stateDir,
      kubeconfig: `${stateDir}/kubeconfig`,
      clusters: [],
      meshes: [],
      processes: [],
      proxies: [],
      warnings: [],
    };
  }
  const { state } = lab;
  const alive = new Set(lab.aliveProcesses.map((p) => p.pid));
  let runState: LabRunState;
  if (lab.isSupervisorAlive) {
    runState = state.phase === 'ready' ? 'running' : state.phase === 'stopping' ? 'stopping' : 'starting';
  } else if (alive.size > 0) {
    runState = 'crashed'; // the supervisor is gone, some of its processes are not
  } else {
    runState = state.phase === 'failed' ? 'failed' : 'stopped';
  }
  const isQueried = runState === 'running' || runState === 'starting';
  const clusters = await Promise.all(
    state.clusters.map(async (c) => {
      const ready = isQueried ? await readyNodes(state.kubeconfig, c.name) : undefined;
      return {
        name: c.name,
        region: c.region,
        network: c.network,
        ingress: c.ingress,
        ingressTargets: isQueried ? [...(c.ingressTargets ?? [])] : [],
        apiServer: c.apiServer,
        context: c.name,
        nodes: c.nodes.map((n) => ({
          name: n.name,
          zone: n.zone,
          address: n.address,
          podCIDR: n.podCIDR,
          ready: ready === undefined ? null : (ready.get(n.name) ?? false),
        })),
      };
    }),
  );
  const observability = state.observability;
  const listed = isQueried && observability !== undefined ? await labProxies(observability.address) : {};
  return {
    state: runState,
    stateDir,
    kubeconfig: state.kubeconfig,
    topology: state.topology,
    supervisor: {
      pid: state.supervisor.pid,
      alive: lab.isSupervisorAlive,
      log: state.supervisor.log,
      startedAt: state.supervisor.startedAt,
      ...(state.supervisor.readyAt !== undefined ? { readyAt: state.supervisor.readyAt } : {}),
    },
    clusters,
    meshes: state.meshes.map((m) => ({ ...m, clusters: [...m.clusters] })),
    processes: state.processes.map((p) => ({
      name: p.name,
      kind: p.kind,
      pid: p.pid,
      state: alive.has(p.pid)
        ? 'running'
        : p.phase === 'restarting'
          ? 'restarting'
          : p.phase === 'stopped'
            ? 'stopped'
            : 'exited',
      restarts: p.restarts,
      log: p.log,
    })),
    proxies: listed.proxies ?? [],
    ...(observability !== undefined
      ? { observability: { address: observability.address, targetsUrl: observability.targetsUrl } }
      : {}),
    ...(isQueried && state.prometheus !== undefined ? { prometheus: state.prometheus } : {}),
    warnings: listed.warning !== undefined ? [...state.warnings, listed.warning] : state.warnings,
    ...(state.error !== undefined ? { error: state.error } : {}),
  };
}
