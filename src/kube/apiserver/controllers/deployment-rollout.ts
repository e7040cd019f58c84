/**
 * The steps of a Deployment rollout (`pkg/controller/deployment/rolling.go`, `recreate.go`,
 * `sync.go` scale): each call takes at most one step - scale the new ReplicaSet up, or old ones
 * down - and reports whether it did, so the controller writes status and waits for the pods.
 */
import type { KubeObject } from '../kube-object.js';
import type { ControllerContext } from './controller-context.js';
import { asNumber, asRecord, deepClone } from './json-fields.js';
import { isControlledBy } from './owner-references.js';
import { podPhase } from './pod-state.js';
import { proportionalSizes } from './proportional-scaling.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  availableOf,
  byCreation,
  deploymentReplicas,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  specReplicas,
  sumActualReplicas,
  sumAvailableReplicas,
  sumSpecReplicas,
} from './rollout-math.js';

export type RolloutOutcome = 'scaled' | 'idle';

/** A Deployment's ReplicaSets: the one matching its template, and the others. */
export interface ReplicaSets {
  newRS: KubeObject | undefined;
  oldRSs: KubeObject[];
}

const COMPONENT = 'deployment-controller';

export class DeploymentRollout {
  constructor(private readonly ctx: ControllerContext) {}

  /** `scaleReplicaSetAndRecordEvent`: sets replicas and the desired/max annotations; returns the stored RS. */
  async scaleReplicaSet(
    rs: KubeObject,
    size: number,
    d: KubeObject,
  ): Promise<{ rs: KubeObject; isScaled: boolean }> {
    const current = this.ctx.client.get('replicasets', rs.metadata.namespace, rs.metadata.name ?? '') ?? rs;
    const oldSize = specReplicas(current);
    const desired = String(deploymentReplicas(d));
    const max = String(deploymentReplicas(d) + maxSurge(d));
    const annotations = current.metadata.annotations ?? {};
    const annotationsNeedUpdate =
      annotations[DESIRED_REPLICAS_ANNOTATION] !== desired || annotations[MAX_REPLICAS_ANNOTATION] !== max;
    if (oldSize === size && !annotationsNeedUpdate) return { rs: current, isScaled: false };
    const copy = deepClone(current);
    copy.metadata.annotations = {
      ...annotations,
      [DESIRED_REPLICAS_ANNOTATION]: desired,
      [MAX_REPLICAS_ANNOTATION]: max,
    };
    copy['spec'] = { ...asRecord(copy['spec']), replicas: size };
    const stored = await this.ctx.client.update('replicasets', copy);
    if (oldSize !== size) {
      const op = size > oldSize ? 'up' : 'down';
      this.ctx.recorder.record(
        COMPONENT,
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${rs.metadata.name ?? ''} from ${oldSize} to ${size}`,
      );
    }
    return { rs: stored, isScaled: oldSize !== size };
  }

  /** `rolloutRolling`: scale the new ReplicaSet up within maxSurge, else old ones down within maxUnavailable. */
  async rolling(d: KubeObject, sets: ReplicaSets): Promise<RolloutOutcome> {
    const { newRS } = sets;
    if (newRS === undefined) return 'idle';
    let oldRSs = sets.oldRSs;
    const replicas = deploymentReplicas(d);
    // reconcileNewReplicaSet
    if (specReplicas(newRS) > replicas) {
      if ((await this.scaleReplicaSet(newRS, replicas, d)).isScaled) return 'scaled';
    } else if (specReplicas(newRS) < replicas) {
      const target = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
      if ((await this.scaleReplicaSet(newRS, target, d)).isScaled) return 'scaled';
    }
    // reconcileOldReplicaSets
    const active = oldRSs.filter((rs) => specReplicas(rs) > 0);
    if (sumSpecReplicas(active) === 0) return 'idle';
    const allPods = sumSpecReplicas([...oldRSs, newRS]);
    const minAvailable = replicas - maxUnavailable(d);
    const newRSUnavailable = specReplicas(newRS) - availableOf(newRS);
    const maxScaledDown = allPods - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return 'idle';
    // cleanupUnhealthyReplicas: first drop old pods that are not available anyway.
    let cleaned = 0;
    const updated: KubeObject[] = [];
    for (const rs of [...active].sort(byCreation)) {
      const unhealthy = specReplicas(rs) - availableOf(rs);
      if (cleaned >= maxScaledDown || unhealthy <= 0) {
        updated.push(rs);
        continue;
      }
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      const { rs: stored } = await this.scaleReplicaSet(rs, specReplicas(rs) - down, d);
      updated.push(stored);
      cleaned += down;
    }
    oldRSs = updated;
    // scaleDownOldReplicaSetsForRollingUpdate: then available old pods, keeping minAvailable.
    const availablePods = sumAvailableReplicas([...oldRSs, newRS]);
    let scaledDown = 0;
    if (availablePods > minAvailable) {
      const total = availablePods - minAvailable;
      for (const rs of [...oldRSs].sort(byCreation)) {
        if (scaledDown >= total) break;
        if (specReplicas(rs) === 0) continue;
        const down = Math.min(specReplicas(rs), total - scaledDown);
        await this.scaleReplicaSet(rs, specReplicas(rs) - down, d);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0 ? 'scaled' : 'idle';
  }

  /** `rolloutRecreate`: old ReplicaSets to zero, wait until their pods are gone, then the new one to full size. */
  async recreate(
    d: KubeObject,
    sets: ReplicaSets,
    createNew: () => Promise<ReplicaSets>,
  ): Promise<RolloutOutcome> {
    let isScaledDown = false;
    for (const rs of sets.oldRSs.filter((r) => specReplicas(r) > 0)) {
      if ((await this.scaleReplicaSet(rs, 0, d)).isScaled) isScaledDown = true;
    }
    if (isScaledDown) return 'scaled';
    if (this.oldPodsRunning(d, sets)) return 'idle';
    const { newRS } = sets.newRS === undefined ? await createNew() : sets;
    if (newRS === undefined) return 'idle';
    return (await this.scaleReplicaSet(newRS, deploymentReplicas(d), d)).isScaled ? 'scaled' : 'idle';
  }

  /** `oldPodsRunning`: old ReplicaSets still report pods, or own pods not yet Succeeded/Failed (incl. terminating). */
  private oldPodsRunning(d: KubeObject, sets: ReplicaSets): boolean {
    if (sumActualReplicas(sets.oldRSs) > 0) return true;
    const pods = this.ctx.client.list('pods', d.metadata.namespace).items;
    return sets.oldRSs.some((rs) =>
      pods.some((p) => isControlledBy(p, rs) && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed'),
    );
  }

  /** `scale`: a resize (or paused deployment) outside a rollout step. */
  async scale(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): Promise<void> {
    const replicas = deploymentReplicas(d);
    const active = [...(newRS ? [newRS] : []), ...oldRSs].filter((rs) => specReplicas(rs) > 0);
    // FindActiveOrLatest
    let only: KubeObject | undefined;
    if (active.length === 1) only = active[0];
    else if (active.length === 0) only = newRS ?? [...oldRSs].sort(byCreation).at(-1);
    if (only !== undefined || active.length <= 1) {
      if (only !== undefined && specReplicas(only) !== replicas)
        await this.scaleReplicaSet(only, replicas, d);
      return;
    }
    // IsSaturated: the new ReplicaSet is fully available; old ones go to zero.
    if (
      newRS !== undefined &&
      specReplicas(newRS) === replicas &&
      newRS.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(replicas) &&
      asNumber(asRecord(newRS['status'])['availableReplicas'], 0) === replicas
    ) {
      for (const rs of oldRSs.filter((r) => specReplicas(r) > 0)) await this.scaleReplicaSet(rs, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const sizes = proportionalSizes(d, active);
    for (const rs of active)
      await this.scaleReplicaSet(rs, sizes.get(rs.metadata.name ?? '') ?? specReplicas(rs), d);
  }
}
