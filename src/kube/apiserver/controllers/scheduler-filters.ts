/**
 * The scheduler's feasibility checks, one per kube-scheduler filter plugin and in the plugins' order
 * (`pkg/scheduler/framework/plugins/...`: NodeUnschedulable, TaintToleration, NodeAffinity,
 * PodTopologySpread). Each returns undefined when the node fits, else the plugin's reason text as
 * kube-scheduler prints it in "0/N nodes are available: ...". Resource fit (cpu/memory), ports and
 * inter-pod affinity are not modelled: lab pods declare no requests.
 */
import type { KubeObject } from '../kube-object.js';
import { asArray, asNumber, asRecord, asString, stringMap } from './json-fields.js';
import type { LabelOperator, LabelRequirement } from '../label-selector.js';
import { selectorFromObject, selectorMatches } from '../label-selector.js';
import { isTerminating, podNodeName } from './pod-state.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Whether the failure could be resolved by preempting pods (kube-scheduler's Unschedulable vs UnschedulableAndUnresolvable). */
export interface FilterFailure {
  readonly reason: string;
  readonly isResolvableByPreemption: boolean;
}

interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

function tolerations(pod: KubeObject): Array<Record<string, unknown>> {
  return asArray(asRecord(pod['spec'])['tolerations']).map(asRecord);
}

/** `v1.Toleration.ToleratesTaint`. */
function tolerates(toleration: Record<string, unknown>, taint: Taint): boolean {
  const effect = asString(toleration['effect']);
  if (effect !== '' && effect !== taint.effect) return false;
  const key = asString(toleration['key']);
  const op = asString(toleration['operator'], 'Equal');
  if (key === '' && op === 'Exists') return true;
  if (key !== taint.key) return false;
  return op === 'Exists' || asString(toleration['value']) === taint.value;
}

export function nodeUnschedulableFilter(pod: KubeObject, node: KubeObject): FilterFailure | undefined {
  if (asRecord(node['spec'])['unschedulable'] !== true) return undefined;
  const taint = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' };
  if (tolerations(pod).some((t) => tolerates(t, taint))) return undefined;
  return { reason: 'node(s) were unschedulable', isResolvableByPreemption: false };
}

export function taintTolerationFilter(pod: KubeObject, node: KubeObject): FilterFailure | undefined {
  for (const raw of asArray(asRecord(node['spec'])['taints'])) {
    const t = asRecord(raw);
    const taint = { key: asString(t['key']), value: asString(t['value']), effect: asString(t['effect']) };
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerations(pod).some((tol) => tolerates(tol, taint))) continue;
    return {
      reason: `node(s) had untolerated taint {${taint.key}: ${taint.value}}`,
      isResolvableByPreemption: false,
    };
  }
  return undefined;
}

function nodeSelectorTermMatches(term: Record<string, unknown>, node: KubeObject): boolean {
  const labels = stringMap(node.metadata.labels);
  const exprs = asArray(term['matchExpressions']).map(asRecord);
  const fields = asArray(term['matchFields']).map(asRecord);
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  const toReq = (e: Record<string, unknown>): LabelRequirement => ({
    key: asString(e['key']),
    operator: asString(e['operator']) as LabelOperator,
    values: asArray(e['values']).filter((v): v is string => typeof v === 'string'),
  });
  if (!selectorMatches(exprs.map(toReq), labels)) return false;
  // matchFields supports only metadata.name.
  return selectorMatches(fields.map(toReq), { 'metadata.name': node.metadata.name ?? '' });
}

/** nodeSelector plus requiredDuringSchedulingIgnoredDuringExecution (terms ORed, expressions ANDed). */
export function matchesNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = asRecord(pod['spec']);
  const labels = stringMap(node.metadata.labels);
  for (const [k, v] of Object.entries(stringMap(spec['nodeSelector']))) if (labels[k] !== v) return false;
  const required = asRecord(
    asRecord(asRecord(spec['affinity'])['nodeAffinity'])['requiredDuringSchedulingIgnoredDuringExecution'],
  );
  const terms = asArray(required['nodeSelectorTerms']).map(asRecord);
  if (terms.length === 0) return true;
  return terms.some((term) => nodeSelectorTermMatches(term, node));
}

export function nodeAffinityFilter(pod: KubeObject, node: KubeObject): FilterFailure | undefined {
  return matchesNodeAffinity(pod, node)
    ? undefined
    : { reason: "node(s) didn't match Pod's node affinity/selector", isResolvableByPreemption: false };
}

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly isHard: boolean;
  readonly selector: readonly LabelRequirement[];
}

export function spreadConstraints(pod: KubeObject): SpreadConstraint[] {
  return asArray(asRecord(pod['spec'])['topologySpreadConstraints']).map((raw) => {
    const c = asRecord(raw);
    return {
      maxSkew: asNumber(c['maxSkew'], 1),
      topologyKey: asString(c['topologyKey']),
      isHard: asString(c['whenUnsatisfiable'], 'DoNotSchedule') === 'DoNotSchedule',
      // A constraint without a selector matches no pods (`metav1.LabelSelectorAsSelector(nil)`).
      selector: selectorFromObject(c['labelSelector']) ?? [{ key: '', operator: 'In', values: [] }],
    };
  });
}

/**
 * Matching pods per topology domain among the nodes the pod could use (nodeAffinityPolicy Honor):
 * every eligible domain appears, with 0 when empty. Terminating pods do not count (#87621).
 */
export function domainCounts(
  pod: KubeObject,
  constraint: SpreadConstraint,
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
): Map<string, number> {
  const counts = new Map<string, number>();
  const nodeDomain = new Map<string, string>();
  for (const node of nodes) {
    const domain = stringMap(node.metadata.labels)[constraint.topologyKey];
    if (domain === undefined || !matchesNodeAffinity(pod, node)) continue;
    nodeDomain.set(node.metadata.name ?? '', domain);
    if (!counts.has(domain)) counts.set(domain, 0);
  }
  for (const other of pods) {
    if (other.metadata.namespace !== pod.metadata.namespace || isTerminating(other)) continue;
    const domain = nodeDomain.get(podNodeName(other));
    if (domain === undefined || !selectorMatches(constraint.selector, stringMap(other.metadata.labels)))
      continue;
    counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return counts;
}

export function topologySpreadFilter(
  pod: KubeObject,
  node: KubeObject,
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
): FilterFailure | undefined {
  for (const c of spreadConstraints(pod)) {
    if (!c.isHard) continue;
    const domain = stringMap(node.metadata.labels)[c.topologyKey];
    if (domain === undefined) {
      return {
        reason: "node(s) didn't match pod topology spread constraints (missing required label)",
        isResolvableByPreemption: false,
      };
    }
    const counts = domainCounts(pod, c, nodes, pods);
    const min = Math.min(...counts.values());
    const self = selectorMatches(c.selector, stringMap(pod.metadata.labels)) ? 1 : 0;
    if ((counts.get(domain) ?? 0) + self - min > c.maxSkew) {
      return {
        reason: "node(s) didn't match pod topology spread constraints",
        isResolvableByPreemption: true,
      };
    }
  }
  return undefined;
}

/** The first failing filter for this node, in kube-scheduler's plugin order. */
export function firstFailure(
  pod: KubeObject,
  node: KubeObject,
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
): FilterFailure | undefined {
  return (
    nodeUnschedulableFilter(pod, node) ??
    taintTolerationFilter(pod, node) ??
    nodeAffinityFilter(pod, node) ??
    topologySpreadFilter(pod, node, nodes, pods)
  );
}

/**
 * kube-scheduler's FitError text: "0/4 nodes are available: 2 node(s) didn't match Pod's node
 * affinity/selector, 2 node(s) had untolerated taint {k: v}. preemption: ..." - reasons counted
 * and sorted as strings (`framework.FitError.Error`, `DefaultPreemption`'s post-filter message).
 */
export function fitErrorMessage(nodeCount: number, failures: readonly FilterFailure[]): string {
  const histogram = (items: readonly string[]): string => {
    const counts = new Map<string, number>();
    for (const r of items) counts.set(r, (counts.get(r) ?? 0) + 1);
    return [...counts]
      .map(([r, n]) => `${n} ${r}`)
      .sort()
      .join(', ');
  };
  let msg = `0/${nodeCount} nodes are available`;
  if (failures.length > 0) msg += `: ${histogram(failures.map((f) => f.reason))}.`;
  else msg += '.';
  if (nodeCount > 0) {
    const preemption = histogram(
      failures.map((f) =>
        f.isResolvableByPreemption
          ? 'No preemption victims found for incoming pod'
          : 'Preemption is not helpful for scheduling',
      ),
    );
    msg += ` preemption: 0/${nodeCount} nodes are available: ${preemption}.`;
  }
  return msg;
}
