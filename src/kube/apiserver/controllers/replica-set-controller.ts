/**
 * The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): keeps `spec.replicas`
 * active Pods per ReplicaSet, creating `<rs>-<5 chars>` Pods from the template (controller
 * ownerReference) and deleting the least valuable ones first, and reports status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas after minReadySeconds, observedGeneration).
 * Readiness is only read from the Pods, never invented.
 */
import type { KubeObject } from '../kube-object.js';
import type { ControllerContext } from './controller-context.js';
import { isAlreadyExists, isNotFound, randomSuffix } from './controller-context.js';
import { asNumber, asRecord, deepClone, semanticEqual, stringMap } from './json-fields.js';
import { selectorFromObject, selectorMatches } from '../label-selector.js';
import { ObjectWatch } from './object-watch.js';
import { controllerOf, controllerRefTo, isControlledBy, objectKey, splitKey } from './owner-references.js';
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  podCondition,
  podNodeName,
  podPhase,
} from './pod-state.js';
import { ReconcileLoop } from './reconcile-loop.js';

const COMPONENT = 'replicaset-controller';

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Orders pods so the ones to delete first come first (`controller.ActivePods` Less): unscheduled
 * before scheduled, Pending < Unknown < Running, not ready before ready, ready for a shorter time
 * first, newer before older.
 */
export function compareForDeletion(a: KubeObject, b: KubeObject): number {
  const assignedA = podNodeName(a) !== '' ? 1 : 0;
  const assignedB = podNodeName(b) !== '' ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  const phaseA = PHASE_RANK[podPhase(a)] ?? 0;
  const phaseB = PHASE_RANK[podPhase(b)] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  if (readyA === 1) {
    const sinceA = Date.parse(String(podCondition(a, 'Ready')?.['lastTransitionTime'] ?? ''));
    const sinceB = Date.parse(String(podCondition(b, 'Ready')?.['lastTransitionTime'] ?? ''));
    if (!Number.isNaN(sinceA) && !Number.isNaN(sinceB) && sinceA !== sinceB) return sinceB - sinceA;
  }
  const createdA = Date.parse(a.metadata.creationTimestamp ?? '');
  const createdB = Date.parse(b.metadata.creationTimestamp ?? '');
  if (createdA !== createdB && !Number.isNaN(createdA) && !Number.isNaN(createdB)) return createdB - createdA;
  return (b.metadata.name ?? '').localeCompare(a.metadata.name ?? '');
}

export class ReplicaSetController {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop('replicaset', ctx.clock, (key) => this.sync(key));
    this.watches = [
      new ObjectWatch(ctx.client, ctx.clock, 'replicasets', (e) => this.loop.enqueue(objectKey(e.object))),
      new ObjectWatch(ctx.client, ctx.clock, 'pods', (e, old) => {
        for (const pod of [e.object, old]) {
          const ref = pod === undefined ? undefined : controllerOf(pod);
          if (pod !== undefined && ref?.kind === 'ReplicaSet') {
            this.loop.enqueue(`${pod.metadata.namespace ?? ''}/${ref.name}`);
          }
        }
        // An orphan pod may be adopted by a matching replica set.
        if (e.type !== 'DELETED' && controllerOf(e.object) === undefined) this.enqueueMatching(e.object);
      }),
    ];
  }

  private enqueueMatching(pod: KubeObject): void {
    const labels = stringMap(pod.metadata.labels);
    for (const rs of this.ctx.client.list('replicasets', pod.metadata.namespace).items) {
      const selector = selectorFromObject(asRecord(rs['spec'])['selector']);
      if (selector !== undefined && selector.length > 0 && selectorMatches(selector, labels)) {
        this.loop.enqueue(objectKey(rs));
      }
    }
  }

  private async sync(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const client = this.ctx.client;
    const rs = client.get('replicasets', namespace, name);
    if (rs === undefined) return undefined;
    const spec = asRecord(rs['spec']);
    const selector = selectorFromObject(spec['selector']) ?? [];
    const pods = client.list('pods', namespace).items;
    const owned: KubeObject[] = [];
    for (const pod of pods) {
      if (!isPodActive(pod)) continue;
      if (isControlledBy(pod, rs)) owned.push(pod);
      else if (
        controllerOf(pod) === undefined &&
        rs.metadata.deletionTimestamp === undefined &&
        selector.length > 0 &&
        selectorMatches(selector, stringMap(pod.metadata.labels))
      ) {
        // Adoption (`ClaimPods`): an orphan matching the selector gets this controller reference.
        const adopted = deepClone(pod);
        adopted.metadata.ownerReferences = [...(pod.metadata.ownerReferences ?? []), controllerRefTo(rs)];
        owned.push(await client.update('pods', adopted));
      }
    }
    if (rs.metadata.deletionTimestamp === undefined) await this.manageReplicas(rs, owned);
    return this.updateStatus(rs);
  }

  private async manageReplicas(rs: KubeObject, owned: KubeObject[]): Promise<void> {
    const spec = asRecord(rs['spec']);
    const replicas = asNumber(spec['replicas'], 1);
    const diff = owned.length - replicas;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) await this.createPod(rs);
    } else if (diff > 0) {
      const victims = [...owned].sort(compareForDeletion).slice(0, diff);
      for (const pod of victims) {
        try {
          await this.ctx.client.delete('pods', pod.metadata.namespace, pod.metadata.name ?? '', {
            ...(pod.metadata.uid !== undefined ? { preconditions: { uid: pod.metadata.uid } } : {}),
          });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.ctx.recorder.record(
          COMPONENT,
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${pod.metadata.name ?? ''}`,
        );
      }
    }
  }

  private async createPod(rs: KubeObject): Promise<void> {
    const template = asRecord(asRecord(rs['spec'])['template']);
    const templateMeta = asRecord(template['metadata']);
    const rsName = rs.metadata.name ?? '';
    for (;;) {
      const name = `${rsName}-${randomSuffix(this.ctx.random, 5)}`;
      const labels = stringMap(templateMeta['labels']);
      const annotations = stringMap(templateMeta['annotations']);
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          generateName: `${rsName}-`,
          ...(rs.metadata.namespace !== undefined ? { namespace: rs.metadata.namespace } : {}),
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          ownerReferences: [controllerRefTo(rs)],
        },
        spec: deepClone(asRecord(template['spec'])),
      };
      try {
        await this.ctx.client.create('pods', pod);
      } catch (err) {
        if (isAlreadyExists(err)) continue; // a suffix collision: draw another name
        this.ctx.recorder.record(COMPONENT, rs, 'Warning', 'FailedCreate', `Error creating: ${String(err)}`);
        throw err;
      }
      this.ctx.recorder.record(COMPONENT, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
      return;
    }
  }

  /** Writes status from the pods as they are now; returns when to look again for minReadySeconds. */
  private async updateStatus(rsAtStart: KubeObject): Promise<number | undefined> {
    const client = this.ctx.client;
    const rs = client.get('replicasets', rsAtStart.metadata.namespace, rsAtStart.metadata.name ?? '');
    if (rs === undefined) return undefined;
    const spec = asRecord(rs['spec']);
    const minReadySeconds = asNumber(spec['minReadySeconds'], 0);
    const templateLabels = stringMap(asRecord(asRecord(spec['template'])['metadata'])['labels']);
    const nowMs = this.ctx.clock.wallMs();
    const owned = client
      .list('pods', rs.metadata.namespace)
      .items.filter((p) => isPodActive(p) && isControlledBy(p, rs));
    let requeueMs: number | undefined;
    for (const pod of owned) {
      const wait = isPodAvailable(pod, minReadySeconds, nowMs)
        ? undefined
        : msUntilAvailable(pod, minReadySeconds, nowMs);
      if (wait !== undefined) requeueMs = Math.min(requeueMs ?? Infinity, wait + 1);
    }
    const old = asRecord(rs['status']);
    // `replicas` is always written; the other counts are omitempty in the Go type.
    const status: Record<string, unknown> = { ...old, replicas: owned.length };
    const counts: Array<[string, number]> = [
      [
        'fullyLabeledReplicas',
        owned.filter((p) => {
          const labels = stringMap(p.metadata.labels);
          return Object.entries(templateLabels).every(([k, v]) => labels[k] === v);
        }).length,
      ],
      ['readyReplicas', owned.filter(isPodReady).length],
      ['availableReplicas', owned.filter((p) => isPodAvailable(p, minReadySeconds, nowMs)).length],
    ];
    for (const [field, value] of counts) {
      if (value !== 0) status[field] = value;
      else delete status[field];
    }
    status['observedGeneration'] = rs.metadata.generation ?? 1;
    if (!semanticEqual(old, status) || old['replicas'] === undefined) {
      await client.updateStatus('replicasets', { ...rs, status });
    }
    return requeueMs;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
