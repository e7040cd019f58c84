/**
 * The lab scheduler (a small kube-scheduler): binds each Pod with an empty `spec.nodeName` to a
 * feasible Node (see scheduler-filters.ts), preferring nodes that keep ScheduleAnyway spread
 * constraints balanced and then the node with the fewest pods, ties broken with the injected
 * Random (kube-scheduler picks randomly among equal top scores). Binding is an update of
 * `spec.nodeName` (the lab API has no binding subresource) plus PodScheduled=True; an unschedulable
 * Pod gets PodScheduled=False/Unschedulable and a FailedScheduling event, and is retried when Nodes
 * or Pods change, or after a back-off.
 */
import { randomBelow } from '../../../core/random.js';
import type { KubeObject } from '../kube-object.js';
import type { ControllerContext } from './controller-context.js';
import { isNotFound, nowTimestamp } from './controller-context.js';
import { asArray, asRecord, asString, semanticEqual, stringMap } from './json-fields.js';
import { ObjectWatch } from './object-watch.js';
import { objectKey, splitKey } from './owner-references.js';
import { isTerminating, podNodeName, podPhase } from './pod-state.js';
import { ReconcileLoop } from './reconcile-loop.js';
import type { FilterFailure } from './scheduler-filters.js';
import { domainCounts, firstFailure, fitErrorMessage, spreadConstraints } from './scheduler-filters.js';

const COMPONENT = 'default-scheduler';
/** How long an unschedulable pod waits before another attempt when nothing changed. */
const UNSCHEDULABLE_RETRY_MS = 60_000;

function isPendingForUs(pod: KubeObject): boolean {
  const spec = asRecord(pod['spec']);
  const scheduler = asString(spec['schedulerName'], COMPONENT);
  const phase = podPhase(pod);
  return (
    podNodeName(pod) === '' &&
    !isTerminating(pod) &&
    scheduler === COMPONENT &&
    phase !== 'Succeeded' &&
    phase !== 'Failed'
  );
}

export class Scheduler {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[];
  private readonly unschedulable = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop('scheduler', ctx.clock, (key) => this.schedule(key));
    this.watches = [
      new ObjectWatch(ctx.client, ctx.clock, 'pods', (e, old) => {
        const key = objectKey(e.object);
        // Like kube-scheduler's queue, a status-only update (e.g. our own PodScheduled=False) does
        // not retry an unschedulable pod; a spec or label change does.
        const isStatusOnly =
          old !== undefined &&
          semanticEqual(old['spec'], e.object['spec']) &&
          semanticEqual(old.metadata.labels, e.object.metadata.labels);
        const isWaiting = this.unschedulable.has(key) && isStatusOnly;
        if (e.type !== 'DELETED' && isPendingForUs(e.object) && !isWaiting) this.loop.enqueue(key);
        // A pod going away may make room under a spread constraint.
        if (e.type === 'DELETED' || isTerminating(e.object)) this.retryUnschedulable();
      }),
      new ObjectWatch(ctx.client, ctx.clock, 'nodes', () => this.retryUnschedulable()),
    ];
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.loop.enqueue(key);
  }

  private async schedule(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const client = this.ctx.client;
    const pod = client.get('pods', namespace, name);
    if (pod === undefined || !isPendingForUs(pod)) {
      this.unschedulable.delete(key);
      return undefined;
    }
    const nodes = client.list('nodes', undefined).items;
    const pods = client.list('pods', undefined).items;
    const feasible: KubeObject[] = [];
    const failures: FilterFailure[] = [];
    for (const node of nodes) {
      const failure = firstFailure(pod, node, nodes, pods);
      if (failure === undefined) feasible.push(node);
      else failures.push(failure);
    }
    if (feasible.length === 0) {
      this.unschedulable.add(key);
      const message =
        nodes.length === 0 ? 'no nodes available to schedule pods' : fitErrorMessage(nodes.length, failures);
      await this.markUnschedulable(pod, message);
      return UNSCHEDULABLE_RETRY_MS;
    }
    this.unschedulable.delete(key);
    const node = this.pick(pod, feasible, nodes, pods);
    const nodeName = node.metadata.name ?? '';
    try {
      const bound = await client.update('pods', {
        ...pod,
        spec: { ...asRecord(pod['spec']), nodeName },
      });
      await this.setScheduledCondition(bound, 'True', undefined, undefined);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    this.ctx.recorder.record(
      COMPONENT,
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${namespace}/${name} to ${nodeName}`,
    );
    return undefined;
  }

  /** Lowest (spread penalty, pods on node) wins; ties are broken randomly. */
  private pick(pod: KubeObject, feasible: KubeObject[], nodes: KubeObject[], pods: KubeObject[]): KubeObject {
    const soft = spreadConstraints(pod).filter((c) => !c.isHard);
    const counts = soft.map((c) => ({ c, counts: domainCounts(pod, c, nodes, pods) }));
    const podsOnNode = new Map<string, number>();
    for (const p of pods) {
      if (isTerminating(p)) continue;
      podsOnNode.set(podNodeName(p), (podsOnNode.get(podNodeName(p)) ?? 0) + 1);
    }
    const score = (node: KubeObject): [number, number] => {
      let penalty = 0;
      for (const { c, counts: byDomain } of counts) {
        const domain = stringMap(node.metadata.labels)[c.topologyKey];
        penalty += domain === undefined ? 1_000_000 : (byDomain.get(domain) ?? 0);
      }
      return [penalty, podsOnNode.get(node.metadata.name ?? '') ?? 0];
    };
    let best: KubeObject[] = [];
    let bestScore: [number, number] | undefined;
    for (const node of feasible) {
      const s = score(node);
      if (bestScore === undefined || s[0] < bestScore[0] || (s[0] === bestScore[0] && s[1] < bestScore[1])) {
        best = [node];
        bestScore = s;
      } else if (s[0] === bestScore[0] && s[1] === bestScore[1]) best.push(node);
    }
    return best[randomBelow(this.ctx.random, best.length)] ?? feasible[0]!;
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    await this.setScheduledCondition(pod, 'False', 'Unschedulable', message);
    this.ctx.recorder.record(COMPONENT, pod, 'Warning', 'FailedScheduling', message);
  }

  private async setScheduledCondition(
    pod: KubeObject,
    status: 'True' | 'False',
    reason: string | undefined,
    message: string | undefined,
  ): Promise<void> {
    const podStatus = asRecord(pod['status']);
    const conditions = asArray(podStatus['conditions']).map(asRecord);
    const old = conditions.find((c) => c['type'] === 'PodScheduled');
    if (
      old !== undefined &&
      old['status'] === status &&
      old['reason'] === reason &&
      old['message'] === message
    )
      return;
    const condition: Record<string, unknown> = {
      type: 'PodScheduled',
      status,
      lastProbeTime: null,
      lastTransitionTime:
        old?.['status'] === status ? old['lastTransitionTime'] : nowTimestamp(this.ctx.clock),
      ...(reason !== undefined ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
    };
    const next = [...conditions.filter((c) => c['type'] !== 'PodScheduled'), condition];
    await this.ctx.client.updateStatus('pods', {
      ...pod,
      status: { phase: 'Pending', ...podStatus, conditions: next },
    });
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
