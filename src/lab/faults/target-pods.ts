/**
 * Which pods a `spillway lab fault|heal|logs` target means, read from the lab's API servers (one
 * client per cluster context of the lab kubeconfig) joined with lab.json (which node is in which
 * zone, where each node agent's state directory is).
 *
 * - `pod/<name>` and `deployment/<name>`: looked up in every cluster of the lab (or `--context`);
 *   found in one, that one; in several, the user must pick with `--context`.
 * - `zone/<zone>`: pods bound to the lab's nodes of that zone, in every cluster that has nodes there
 *   (a zone outage hits every cluster in it) or only `--context`.
 * - `cluster/<cluster>`: every pod of that cluster.
 * Always within one namespace (`-n`, default `default`, as kubectl's context default), and with
 * `--service` only the pods that Service selects.
 */
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { isRecord, recordAt, stringAt, stringMapAt, type JsonRecord } from '../../core/json-shape.js';
import { clientFor } from '../supervisor/cluster-setup.js';
import { LabApiError, type LabApiClient } from '../supervisor/lab-api-client.js';
import type { ClusterState, LabState, NodeState } from '../supervisor/lab-state.js';
import { formatTarget, type FaultTarget } from './fault-target.js';

export interface TargetOptions {
  /** The cluster (kubeconfig context) to look in; default: as the target says (see above). */
  readonly context?: string;
  readonly namespace: string;
  /** Only the pods this Service selects. */
  readonly service?: string;
}

export interface LabPod {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  /** The node's zone; undefined when the node is not one of the lab's. */
  readonly zone: string | undefined;
  /** The node agent's state directory; undefined when the node is not one of the lab's. */
  readonly nodeStateDir: string | undefined;
  readonly podIP: string | undefined;
  readonly phase: string | undefined;
  /** Annotation `kubectl.kubernetes.io/default-container`: the container faults and logs go to. */
  readonly defaultContainer: string | undefined;
}

function targetError(message: string): SpillwayError {
  return new SpillwayError(ErrorCode.labTargetInvalid, message);
}

function clusterNames(lab: LabState): string {
  return lab.clusters.map((c) => c.name).join(', ');
}

function clusterNamed(lab: LabState, name: string): ClusterState {
  const cluster = lab.clusters.find((c) => c.name === name);
  if (cluster === undefined)
    throw targetError(`unknown cluster '${name}' (clusters of the lab: ${clusterNames(lab)})`);
  return cluster;
}

/** The clusters to look in for `target`. */
function candidateClusters(lab: LabState, target: FaultTarget, context: string | undefined): ClusterState[] {
  const chosen = context === undefined ? undefined : clusterNamed(lab, context);
  switch (target.kind) {
    case 'cluster': {
      const cluster = clusterNamed(lab, target.name);
      if (chosen !== undefined && chosen.name !== cluster.name)
        throw targetError(`${formatTarget(target)} contradicts --context ${chosen.name}`);
      return [cluster];
    }
    case 'zone': {
      const zones = [...new Set(lab.clusters.flatMap((c) => c.nodes.map((n) => n.zone)))];
      if (!zones.includes(target.name))
        throw targetError(`unknown zone '${target.name}' (zones with lab nodes: ${zones.join(', ')})`);
      const inZone = (c: ClusterState): boolean => c.nodes.some((n) => n.zone === target.name);
      if (chosen !== undefined && !inZone(chosen)) {
        const own = [...new Set(chosen.nodes.map((n) => n.zone))].join(', ');
        throw targetError(`cluster ${chosen.name} has no nodes in zone ${target.name} (its zones: ${own})`);
      }
      return chosen !== undefined ? [chosen] : lab.clusters.filter(inZone);
    }
    default:
      return chosen !== undefined ? [chosen] : [...lab.clusters];
  }
}

/** GET that yields undefined for a 404 and a clear error when the API server is away. */
async function getOrNone(
  client: LabApiClient,
  cluster: string,
  path: string,
): Promise<JsonRecord | undefined> {
  try {
    return await client.get(path);
  } catch (err) {
    if (err instanceof LabApiError && err.code === 404) return undefined;
    throw apiError(cluster, err);
  }
}

function apiError(cluster: string, err: unknown): SpillwayError {
  return new SpillwayError(
    ErrorCode.labNotRunning,
    `the API server of ${cluster} did not answer: ${err instanceof Error ? err.message : String(err)}`,
  );
}

async function list(client: LabApiClient, cluster: string, path: string): Promise<JsonRecord[]> {
  try {
    const answer = await client.get(path);
    return Array.isArray(answer['items']) ? answer['items'].filter(isRecord) : [];
  } catch (err) {
    throw apiError(cluster, err);
  }
}

/** The controller ownerReference's uid (apimachinery `metav1.GetControllerOf`: `controller: true`). */
function controllerUid(object: JsonRecord, kind: string): string | undefined {
  const refs = recordAt(object, 'metadata')?.['ownerReferences'];
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => isRecord(r) && r['controller'] === true);
  return isRecord(ref) && ref['kind'] === kind && typeof ref['uid'] === 'string' ? ref['uid'] : undefined;
}

function uidOf(object: JsonRecord): string | undefined {
  return stringAt(recordAt(object, 'metadata'), 'uid');
}

/**
 * A pod a fault can be applied to: bound to a node, not being deleted, not finished (the kubelet
 * runs nothing for a Succeeded or Failed pod, Kubernetes `pkg/kubelet` podWorkers).
 */
function isActive(pod: JsonRecord): boolean {
  const metadata = recordAt(pod, 'metadata');
  const phase = stringAt(recordAt(pod, 'status'), 'phase');
  return (
    stringAt(recordAt(pod, 'spec'), 'nodeName') !== undefined &&
    metadata?.['deletionTimestamp'] === undefined &&
    phase !== 'Succeeded' &&
    phase !== 'Failed'
  );
}

interface ClusterMatch {
  readonly cluster: ClusterState;
  /** Pods the target names in this cluster, before the Service filter. */
  readonly pods: JsonRecord[];
}

/** The pods `target` names in one cluster; undefined when the target does not exist there. */
async function podsInCluster(
  client: LabApiClient,
  cluster: ClusterState,
  target: FaultTarget,
  namespace: string,
): Promise<JsonRecord[] | undefined> {
  const ns = `/namespaces/${encodeURIComponent(namespace)}`;
  switch (target.kind) {
    case 'pod': {
      const pod = await getOrNone(
        client,
        cluster.name,
        `/api/v1${ns}/pods/${encodeURIComponent(target.name)}`,
      );
      return pod === undefined ? undefined : [pod];
    }
    case 'deployment': {
      const deployment = await getOrNone(
        client,
        cluster.name,
        `/apis/apps/v1${ns}/deployments/${encodeURIComponent(target.name)}`,
      );
      if (deployment === undefined) return undefined;
      // A Deployment's pods are those of the ReplicaSets it controls (Kubernetes
      // pkg/controller/deployment `getReplicaSetsForDeployment` claims them by controllerRef), not
      // every pod its selector matches: the seed's per-zone Deployments share `app: mocka`.
      const deploymentUid = uidOf(deployment);
      const replicaSets = new Set(
        (await list(client, cluster.name, `/apis/apps/v1${ns}/replicasets`))
          .filter((rs) => deploymentUid !== undefined && controllerUid(rs, 'Deployment') === deploymentUid)
          .map(uidOf),
      );
      return (await list(client, cluster.name, `/api/v1${ns}/pods`)).filter((p) => {
        const owner = controllerUid(p, 'ReplicaSet');
        return owner !== undefined && replicaSets.has(owner);
      });
    }
    case 'zone': {
      const nodes = new Set(cluster.nodes.filter((n) => n.zone === target.name).map((n) => n.name));
      return (await list(client, cluster.name, `/api/v1${ns}/pods`)).filter((p) =>
        nodes.has(stringAt(recordAt(p, 'spec'), 'nodeName') ?? ''),
      );
    }
    case 'cluster':
      return await list(client, cluster.name, `/api/v1${ns}/pods`);
  }
}

/** Pods of `pods` a Service selects (its `spec.selector`, every label equal; none when it has none). */
async function selectedByService(
  client: LabApiClient,
  cluster: ClusterState,
  namespace: string,
  service: string,
  pods: JsonRecord[],
): Promise<JsonRecord[] | undefined> {
  const svc = await getOrNone(
    client,
    cluster.name,
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}`,
  );
  if (svc === undefined) return undefined;
  // A Service without a selector has no endpoints managed for it (Kubernetes endpointslice
  // controller skips `Spec.Selector == nil`), so it selects no pod.
  const selector = stringMapAt(recordAt(svc, 'spec'), 'selector');
  const keys = Object.entries(selector);
  if (keys.length === 0) return [];
  return pods.filter((p) => {
    const labels = stringMapAt(recordAt(p, 'metadata'), 'labels');
    return keys.every(([k, v]) => labels[k] === v);
  });
}

function toLabPod(cluster: ClusterState, pod: JsonRecord): LabPod {
  const metadata = recordAt(pod, 'metadata');
  const nodeName = stringAt(recordAt(pod, 'spec'), 'nodeName') ?? '';
  const node: NodeState | undefined = cluster.nodes.find((n) => n.name === nodeName);
  const status = recordAt(pod, 'status');
  return {
    cluster: cluster.name,
    namespace: stringAt(metadata, 'namespace') ?? '',
    name: stringAt(metadata, 'name') ?? '',
    node: nodeName,
    zone: node?.zone,
    nodeStateDir: node?.stateDir,
    podIP: stringAt(status, 'podIP'),
    phase: stringAt(status, 'phase'),
    defaultContainer: stringMapAt(metadata, 'annotations')['kubectl.kubernetes.io/default-container'],
  };
}

/** The pods `target` means; throws SPILLWAY_ERR_LAB_TARGET_INVALID when there are none. */
export async function resolveTargetPods(
  lab: LabState,
  target: FaultTarget,
  options: TargetOptions,
): Promise<LabPod[]> {
  const clusters = candidateClusters(lab, target, options.context);
  const where = `namespace ${options.namespace}`;
  const matches: ClusterMatch[] = [];
  for (const cluster of clusters) {
    const client = clientFor(lab.kubeconfig, cluster.name);
    try {
      const pods = await podsInCluster(client, cluster, target, options.namespace);
      if (pods === undefined) continue;
      matches.push({ cluster, pods });
    } finally {
      client.close();
    }
  }
  const searched = clusters.map((c) => c.name).join(', ');
  if (matches.length === 0) throw targetError(`${formatTarget(target)} not found in ${where} of ${searched}`);
  if ((target.kind === 'pod' || target.kind === 'deployment') && matches.length > 1) {
    throw targetError(
      `${formatTarget(target)} exists in ${where} of ${matches.map((m) => m.cluster.name).join(' and ')}: pick one with --context`,
    );
  }
  if (target.kind === 'pod') {
    const pod = matches[0]?.pods[0];
    if (pod !== undefined && !isActive(pod)) {
      const phase = stringAt(recordAt(pod, 'status'), 'phase') ?? 'Pending';
      throw targetError(
        `pod ${target.name} (${matches[0]?.cluster.name}) does not run on a node (${recordAt(pod, 'metadata')?.['deletionTimestamp'] !== undefined ? 'terminating' : phase})`,
      );
    }
  }
  const result: LabPod[] = [];
  let hasService = options.service === undefined;
  for (const match of matches) {
    let pods = match.pods.filter(isActive);
    if (options.service !== undefined) {
      const client = clientFor(lab.kubeconfig, match.cluster.name);
      try {
        const selected = await selectedByService(
          client,
          match.cluster,
          options.namespace,
          options.service,
          pods,
        );
        if (selected === undefined) continue;
        hasService = true;
        pods = selected;
      } finally {
        client.close();
      }
    }
    result.push(...pods.map((p) => toLabPod(match.cluster, p)));
  }
  if (!hasService)
    throw targetError(
      `Service ${options.service ?? ''} not found in ${where} of ${matches.map((m) => m.cluster.name).join(', ')}`,
    );
  if (result.length === 0) {
    throw targetError(
      `no running pods match ${formatTarget(target)}${options.service !== undefined ? ` --service ${options.service}` : ''} in ${where} of ${matches.map((m) => m.cluster.name).join(', ')}`,
    );
  }
  const clusterOrder = new Map(lab.clusters.map((c, i) => [c.name, i]));
  return result.sort(
    (a, b) =>
      (clusterOrder.get(a.cluster) ?? 0) - (clusterOrder.get(b.cluster) ?? 0) ||
      (a.zone ?? '').localeCompare(b.zone ?? '') ||
      a.name.localeCompare(b.name),
  );
}
