/**
 * The Deployment controller (`pkg/controller/deployment`): owns ReplicaSets named
 * `<deployment>-<pod-template-hash>`, finds the "new" one by template (ignoring the hash label, so a
 * `kubectl rollout undo` that restores an old template reuses the old ReplicaSet and gives it the
 * next revision), rolls out with RollingUpdate (maxSurge/maxUnavailable) or Recreate, scales
 * proportionally on resizes, prunes history beyond revisionHistoryLimit and writes status. Each
 * sync does one step; ReplicaSet and Pod changes trigger the next.
 */
import type { KubeObject } from '../kube-object.js';
import type { ControllerContext } from './controller-context.js';
import { isAlreadyExists, isNotFound, nowTimestamp } from './controller-context.js';
import { asNumber, asRecord, deepClone, semanticEqual, stringMap } from './json-fields.js';
import { selectorFromObject, selectorMatches } from '../label-selector.js';
import { ObjectWatch } from './object-watch.js';
import { controllerOf, controllerRefTo, isControlledBy, objectKey, splitKey } from './owner-references.js';
import { computePodTemplateHash, withoutHashLabel } from './pod-template-hash.js';
import {
  applyProgressing,
  calculateStatus,
  findCondition,
  isComplete,
  msUntilTimeout,
  newCondition,
  pausedCondition,
  setCondition,
} from './deployment-status.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { setNewRSAnnotations } from './revision-annotations.js';
import { DeploymentRollout } from './deployment-rollout.js';
import type { ReplicaSets } from './deployment-rollout.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  byCreation,
  byRevision,
  deploymentReplicas,
  newRSNewReplicas,
  revisionOf,
  specReplicas,
} from './rollout-math.js';

export const DEPLOYMENT_COMPONENT = 'deployment-controller';

export class DeploymentController {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[];
  private readonly rollout: DeploymentRollout;

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop('deployment', ctx.clock, (key) => this.sync(key));
    this.rollout = new DeploymentRollout(ctx);
    const ownerOf = (obj: KubeObject | undefined, kind: string): string | undefined => {
      const ref = obj === undefined ? undefined : controllerOf(obj);
      return ref?.kind === kind ? `${obj?.metadata.namespace ?? ''}/${ref.name}` : undefined;
    };
    this.watches = [
      new ObjectWatch(ctx.client, ctx.clock, 'deployments', (e) => this.loop.enqueue(objectKey(e.object))),
      new ObjectWatch(ctx.client, ctx.clock, 'replicasets', (e, old) => {
        for (const rs of [e.object, old]) {
          const key = ownerOf(rs, 'Deployment');
          if (key !== undefined) this.loop.enqueue(key);
        }
        if (e.type !== 'DELETED' && controllerOf(e.object) === undefined) this.enqueueMatching(e.object);
      }),
      // Recreate waits for the old pods to be gone: a pod deletion wakes its deployment up.
      new ObjectWatch(ctx.client, ctx.clock, 'pods', (e) => {
        if (e.type !== 'DELETED') return;
        const rsKey = ownerOf(e.object, 'ReplicaSet');
        if (rsKey === undefined) return;
        const { namespace, name } = splitKey(rsKey);
        const key = ownerOf(ctx.client.get('replicasets', namespace, name), 'Deployment');
        if (key !== undefined) this.loop.enqueue(key);
      }),
    ];
  }

  private enqueueMatching(rs: KubeObject): void {
    for (const d of this.ctx.client.list('deployments', rs.metadata.namespace).items) {
      const selector = selectorFromObject(asRecord(d['spec'])['selector']);
      if (
        selector !== undefined &&
        selector.length > 0 &&
        selectorMatches(selector, stringMap(rs.metadata.labels))
      ) {
        this.loop.enqueue(objectKey(d));
      }
    }
  }

  private async sync(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const d = this.ctx.client.get('deployments', namespace, name);
    if (d === undefined) return undefined;
    const spec = asRecord(d['spec']);
    const selector = selectorFromObject(spec['selector']);
    if (selector === undefined || selector.length === 0) {
      this.ctx.recorder.record(
        DEPLOYMENT_COMPONENT,
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      return undefined;
    }
    const rsList = await this.replicaSetsFor(d, selector);
    if (d.metadata.deletionTimestamp !== undefined) {
      const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      await this.syncStatus(d, newRS, oldRSs, false);
      return undefined;
    }
    await this.checkPausedConditions(d);
    if (spec['paused'] === true || this.isScalingEvent(d, rsList)) {
      const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      await this.rollout.scale(d, newRS, oldRSs);
      if (spec['paused'] === true) await this.cleanup(d, oldRSs);
      await this.syncStatus(
        this.fresh(d),
        this.refresh(newRS),
        oldRSs.map((rs) => this.refresh(rs) ?? rs),
        false,
      );
      return undefined;
    }
    const isRecreate = asRecord(spec['strategy'])['type'] === 'Recreate';
    let sets = await this.getAllReplicaSetsAndSyncRevision(d, rsList, !isRecreate);
    const createNew = async (): Promise<ReplicaSets> => {
      sets = await this.getAllReplicaSetsAndSyncRevision(this.fresh(d), rsList, true);
      return sets;
    };
    const outcome = isRecreate
      ? await this.rollout.recreate(d, sets, createNew)
      : await this.rollout.rolling(d, sets);
    const refreshed = this.fresh(d);
    const newRS = this.refresh(sets.newRS);
    const oldRSs = sets.oldRSs
      .map((rs) => this.refresh(rs))
      .filter((rs): rs is KubeObject => rs !== undefined);
    // Like Kubernetes, completeness for history cleanup is judged on the status last written.
    if (outcome === 'idle' && isComplete(refreshed, asRecord(refreshed['status'])))
      await this.cleanup(refreshed, oldRSs);
    return this.syncStatus(refreshed, newRS, oldRSs, true);
  }

  /** `checkPausedConditions` (see pausedCondition). */
  private async checkPausedConditions(d: KubeObject): Promise<void> {
    if (!this.hasDeadline(d)) return;
    const current = this.fresh(d);
    const cond = pausedCondition(current, nowTimestamp(this.ctx.clock));
    if (cond === undefined) return;
    const status = { ...asRecord(current['status']) };
    setCondition(status, cond);
    await this.ctx.client.updateStatus('deployments', { ...current, status });
  }

  private fresh(d: KubeObject): KubeObject {
    return this.ctx.client.get('deployments', d.metadata.namespace, d.metadata.name ?? '') ?? d;
  }

  private refresh(rs: KubeObject | undefined): KubeObject | undefined {
    return rs === undefined
      ? undefined
      : this.ctx.client.get('replicasets', rs.metadata.namespace, rs.metadata.name ?? '');
  }

  /** Owned ReplicaSets (by controller uid), adopting orphans that match the selector (`ClaimReplicaSets`). */
  private async replicaSetsFor(
    d: KubeObject,
    selector: ReturnType<typeof selectorFromObject>,
  ): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const rs of this.ctx.client.list('replicasets', d.metadata.namespace).items) {
      if (isControlledBy(rs, d)) out.push(rs);
      else if (
        controllerOf(rs) === undefined &&
        d.metadata.deletionTimestamp === undefined &&
        rs.metadata.deletionTimestamp === undefined &&
        selectorMatches(selector ?? [], stringMap(rs.metadata.labels))
      ) {
        const adopted = deepClone(rs);
        adopted.metadata.ownerReferences = [...(rs.metadata.ownerReferences ?? []), controllerRefTo(d)];
        out.push(await this.ctx.client.update('replicasets', adopted));
      }
    }
    return out;
  }

  /** `isScalingEvent`: an active ReplicaSet was last sized for a different replica count. */
  private isScalingEvent(d: KubeObject, rsList: KubeObject[]): boolean {
    const { newRS, oldRSs } = this.findReplicaSets(d, rsList);
    for (const rs of [...(newRS ? [newRS] : []), ...oldRSs]) {
      if (specReplicas(rs) <= 0) continue;
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      if (desired !== undefined && Number(desired) !== deploymentReplicas(d)) return true;
    }
    return false;
  }

  /** `FindNewReplicaSet`: the oldest ReplicaSet whose template equals the Deployment's, ignoring the hash label. */
  findReplicaSets(d: KubeObject, rsList: readonly KubeObject[]): ReplicaSets {
    const template = withoutHashLabel(asRecord(d['spec'])['template']);
    const sorted = [...rsList].sort(byCreation);
    const newRS = sorted.find((rs) =>
      semanticEqual(withoutHashLabel(asRecord(rs['spec'])['template']), template),
    );
    return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
  }

  /** `getAllReplicaSetsAndSyncRevision` / `getNewReplicaSet`. */
  private async getAllReplicaSetsAndSyncRevision(
    d: KubeObject,
    rsList: KubeObject[],
    createIfMissing: boolean,
  ): Promise<ReplicaSets> {
    const client = this.ctx.client;
    const { newRS: existing, oldRSs } = this.findReplicaSets(d, rsList);
    const newRevision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    const now = nowTimestamp(this.ctx.clock);
    const spec = asRecord(d['spec']);
    const minReadySeconds = asNumber(spec['minReadySeconds'], 0);
    let newRS: KubeObject | undefined;
    if (existing !== undefined) {
      // The ReplicaSet controller writes status concurrently: start from the stored version.
      const copy = deepClone(this.refresh(existing) ?? existing);
      const annotationsChanged = setNewRSAnnotations(d, copy, newRevision, true);
      const rsSpec = asRecord(copy['spec']);
      const minReadyChanged = asNumber(rsSpec['minReadySeconds'], 0) !== minReadySeconds;
      if (minReadyChanged) copy['spec'] = { ...rsSpec, minReadySeconds };
      newRS = annotationsChanged || minReadyChanged ? await client.update('replicasets', copy) : existing;
    } else if (createIfMissing) {
      newRS = await this.createNewRS(d, [...oldRSs], newRevision, now);
      if (newRS === undefined) return { newRS, oldRSs };
    } else {
      return { newRS: undefined, oldRSs };
    }
    // The deployment carries the revision of its new ReplicaSet (`SetDeploymentRevision`).
    const revision = newRS.metadata.annotations?.[REVISION_ANNOTATION];
    let current = this.fresh(d);
    if (revision !== undefined && current.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
      current = await client.update('deployments', {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: { ...(current.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision },
        },
      });
    }
    const status = asRecord(current['status']);
    if (existing !== undefined && findCondition(status, 'Progressing') === undefined && this.hasDeadline(d)) {
      const next = { ...status };
      setCondition(
        next,
        newCondition(
          'Progressing',
          'True',
          'FoundNewReplicaSet',
          `Found new replica set "${newRS.metadata.name ?? ''}"`,
          now,
        ),
      );
      await client.updateStatus('deployments', { ...current, status: next });
    }
    return { newRS, oldRSs };
  }

  private hasDeadline(d: KubeObject): boolean {
    const v = asRecord(d['spec'])['progressDeadlineSeconds'];
    return v === undefined || (typeof v === 'number' && v < 2147483647);
  }

  private async createNewRS(
    d: KubeObject,
    oldRSs: KubeObject[],
    revision: number,
    now: string,
  ): Promise<KubeObject | undefined> {
    const client = this.ctx.client;
    const spec = asRecord(d['spec']);
    const status = asRecord(d['status']);
    const collisionCount =
      typeof status['collisionCount'] === 'number' ? status['collisionCount'] : undefined;
    const template = deepClone(asRecord(spec['template']));
    const hash = computePodTemplateHash(template, collisionCount);
    const templateMeta = asRecord(template['metadata']);
    const labels = { ...stringMap(templateMeta['labels']), [POD_TEMPLATE_HASH_LABEL]: hash };
    template['metadata'] = { ...templateMeta, labels };
    const selector = asRecord(deepClone(spec['selector']));
    selector['matchLabels'] = { ...stringMap(selector['matchLabels']), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace ?? 'default',
        labels,
        ownerReferences: [controllerRefTo(d)],
      },
      spec: { replicas: 0, minReadySeconds: asNumber(spec['minReadySeconds'], 0), selector, template },
    };
    setNewRSAnnotations(d, rs, revision, false);
    const replicas = newRSNewReplicas(d, oldRSs, rs);
    rs['spec'] = { ...asRecord(rs['spec']), replicas };
    let created: KubeObject;
    try {
      created = await client.create('replicasets', rs);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const clash = client.get('replicasets', d.metadata.namespace, name);
      // Our own ReplicaSet (a lagging view): use it. Otherwise a hash collision: bump collisionCount and retry.
      if (
        clash !== undefined &&
        isControlledBy(clash, d) &&
        semanticEqual(
          withoutHashLabel(asRecord(clash['spec'])['template']),
          withoutHashLabel(spec['template']),
        )
      ) {
        return clash;
      }
      const current = this.fresh(d);
      await client.updateStatus('deployments', {
        ...current,
        status: { ...asRecord(current['status']), collisionCount: (collisionCount ?? 0) + 1 },
      });
      throw err;
    }
    if (replicas > 0) {
      this.ctx.recorder.record(
        DEPLOYMENT_COMPONENT,
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${name} from 0 to ${replicas}`,
      );
    }
    if (this.hasDeadline(d)) {
      const current = this.fresh(d);
      const next = { ...asRecord(current['status']) };
      setCondition(
        next,
        newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`, now),
      );
      await client.updateStatus('deployments', { ...current, status: next });
    }
    return created;
  }

  /** `cleanupDeployment`: deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: KubeObject, oldRSs: KubeObject[]): Promise<void> {
    const limit = asNumber(asRecord(d['spec'])['revisionHistoryLimit'], 10);
    const cleanable = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined).sort(byRevision);
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if (rs === undefined) break;
      const status = asRecord(rs['status']);
      if (asNumber(status['replicas'], 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 1) > asNumber(status['observedGeneration'], 0)) continue;
      try {
        await this.ctx.client.delete('replicasets', rs.metadata.namespace, rs.metadata.name ?? '', {});
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Writes status; with `withProgress`, also the Progressing condition. Returns when to re-check the deadline. */
  private async syncStatus(
    d: KubeObject,
    newRS: KubeObject | undefined,
    oldRSs: KubeObject[],
    withProgress: boolean,
  ): Promise<number | undefined> {
    const current = this.fresh(d);
    const now = nowTimestamp(this.ctx.clock);
    const allRSs = [...oldRSs, ...(newRS !== undefined ? [newRS] : [])];
    const status = calculateStatus(current, allRSs, newRS, now);
    if (withProgress) applyProgressing(current, status, newRS, now, this.ctx.clock.wallMs());
    if (!semanticEqual(status, asRecord(current['status']))) {
      await this.ctx.client.updateStatus('deployments', { ...current, status });
    }
    const left = withProgress ? msUntilTimeout(current, status, this.ctx.clock.wallMs()) : undefined;
    return left !== undefined && left >= 0 ? left + 1000 : undefined;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
