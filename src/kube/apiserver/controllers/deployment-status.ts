/**
 * Deployment status and its Available/Progressing conditions, as the deployment controller computes
 * them (`pkg/controller/deployment/sync.go` calculateStatus/syncRolloutStatus, `progress.go`) and as
 * `kubectl rollout status` reads them: NewReplicaSetCreated / FoundNewReplicaSet /
 * ReplicaSetUpdated / NewReplicaSetAvailable / ProgressDeadlineExceeded and
 * MinimumReplicasAvailable / MinimumReplicasUnavailable. Zero counts are omitted like Go's omitempty.
 */
import type { KubeObject } from '../kube-object.js';
import { asArray, asNumber, asRecord, asString } from './json-fields.js';
import {
  deploymentReplicas,
  maxUnavailable,
  sumActualReplicas,
  sumAvailableReplicas,
  sumReadyReplicas,
  sumSpecReplicas,
} from './rollout-math.js';

export type Condition = Record<string, unknown>;

export function conditionsOf(status: Record<string, unknown>): Condition[] {
  return asArray(status['conditions']).map(asRecord);
}

export function findCondition(status: Record<string, unknown>, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c['type'] === type);
}

export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** `SetDeploymentCondition`: no-op when status and reason are unchanged; keeps the transition time when the status is. */
export function setCondition(status: Record<string, unknown>, cond: Condition): void {
  const current = findCondition(status, asString(cond['type']));
  if (current !== undefined && current['status'] === cond['status'] && current['reason'] === cond['reason'])
    return;
  const next = { ...cond };
  if (current !== undefined && current['status'] === cond['status']) {
    next['lastTransitionTime'] = current['lastTransitionTime'];
  }
  status['conditions'] = [...conditionsOf(status).filter((c) => c['type'] !== cond['type']), next];
}

export function removeCondition(status: Record<string, unknown>, type: string): void {
  status['conditions'] = conditionsOf(status).filter((c) => c['type'] !== type);
}

function count(status: Record<string, unknown>, field: string): number {
  return asNumber(status[field], 0);
}

/** `calculateStatus`: counts summed over the ReplicaSets plus the Available condition. */
export function calculateStatus(
  d: KubeObject,
  allRSs: readonly KubeObject[],
  newRS: KubeObject | undefined,
  now: string,
): Record<string, unknown> {
  const old = asRecord(d['status']);
  const available = sumAvailableReplicas(allRSs);
  const unavailable = Math.max(0, sumSpecReplicas(allRSs) - available);
  const status: Record<string, unknown> = { observedGeneration: d.metadata.generation ?? 1 };
  const counts: Array<[string, number]> = [
    ['replicas', sumActualReplicas(allRSs)],
    ['updatedReplicas', newRS === undefined ? 0 : sumActualReplicas([newRS])],
    ['readyReplicas', sumReadyReplicas(allRSs)],
    ['availableReplicas', available],
    ['unavailableReplicas', unavailable],
  ];
  for (const [field, value] of counts) if (value !== 0) status[field] = value;
  if (old['collisionCount'] !== undefined) status['collisionCount'] = old['collisionCount'];
  status['conditions'] = conditionsOf(old);
  if (available >= deploymentReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(
        'Available',
        'True',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
        now,
      ),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return status;
}

/** `DeploymentComplete`: every replica updated and available, and the latest generation observed. */
export function isComplete(d: KubeObject, status: Record<string, unknown>): boolean {
  const replicas = deploymentReplicas(d);
  return (
    count(status, 'updatedReplicas') === replicas &&
    count(status, 'replicas') === replicas &&
    count(status, 'availableReplicas') === replicas &&
    count(status, 'observedGeneration') >= (d.metadata.generation ?? 1)
  );
}

/** `DeploymentProgressing`: more updated/ready/available pods or fewer old ones than last time. */
export function isProgressing(d: KubeObject, status: Record<string, unknown>): boolean {
  const old = asRecord(d['status']);
  const oldOld = count(old, 'replicas') - count(old, 'updatedReplicas');
  const newOld = count(status, 'replicas') - count(status, 'updatedReplicas');
  return (
    count(status, 'updatedReplicas') > count(old, 'updatedReplicas') ||
    newOld < oldOld ||
    count(status, 'readyReplicas') > count(old, 'readyReplicas') ||
    count(status, 'availableReplicas') > count(old, 'availableReplicas')
  );
}

export function progressDeadlineSeconds(d: KubeObject): number | undefined {
  const v = asRecord(d['spec'])['progressDeadlineSeconds'];
  if (v === undefined) return 600;
  // MaxInt32 means "no deadline" (`HasProgressDeadline`).
  return typeof v === 'number' && v < 2147483647 ? v : undefined;
}

/** `DeploymentTimedOut`: the Progressing condition has not been updated within the deadline. */
export function msUntilTimeout(
  d: KubeObject,
  status: Record<string, unknown>,
  nowMs: number,
): number | undefined {
  const deadline = progressDeadlineSeconds(d);
  const cond = findCondition(status, 'Progressing');
  if (deadline === undefined || cond === undefined) return undefined;
  if (cond['reason'] === 'NewReplicaSetAvailable' || cond['reason'] === 'ProgressDeadlineExceeded')
    return undefined;
  const from = Date.parse(asString(cond['lastUpdateTime']));
  if (Number.isNaN(from)) return undefined;
  return from + deadline * 1000 - nowMs;
}

/** `syncRolloutStatus`'s Progressing logic applied to a freshly calculated status. */
export function applyProgressing(
  d: KubeObject,
  status: Record<string, unknown>,
  newRS: KubeObject | undefined,
  now: string,
  nowMs: number,
): void {
  if (progressDeadlineSeconds(d) === undefined) {
    removeCondition(status, 'Progressing');
    return;
  }
  const current = findCondition(status, 'Progressing');
  const isAlreadyComplete =
    count(status, 'replicas') === count(status, 'updatedReplicas') &&
    current?.['reason'] === 'NewReplicaSetAvailable';
  if (isAlreadyComplete) return;
  const subject =
    newRS !== undefined
      ? `ReplicaSet "${newRS.metadata.name ?? ''}"`
      : `Deployment "${d.metadata.name ?? ''}"`;
  if (isComplete(d, status)) {
    setCondition(
      status,
      newCondition(
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `${subject} has successfully progressed.`,
        now,
      ),
    );
  } else if (isProgressing(d, status)) {
    const cond = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${subject} is progressing.`, now);
    // Unlike setCondition, progress refreshes lastUpdateTime even when the reason is unchanged.
    if (current !== undefined && current['status'] === 'True')
      cond['lastTransitionTime'] = current['lastTransitionTime'];
    removeCondition(status, 'Progressing');
    status['conditions'] = [...conditionsOf(status), cond];
  } else {
    const left = msUntilTimeout(d, status, nowMs);
    if (left !== undefined && left < 0) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `${subject} has timed out progressing.`,
          now,
        ),
      );
    }
  }
}

/**
 * `checkPausedConditions`: Progressing=Unknown/DeploymentPaused while paused (the progress deadline
 * does not run), DeploymentResumed once resumed; undefined when nothing changes.
 */
export function pausedCondition(d: KubeObject, now: string): Condition | undefined {
  const reason = findCondition(asRecord(d['status']), 'Progressing')?.['reason'];
  const isPaused = asRecord(d['spec'])['paused'] === true;
  if (isPaused && reason !== 'DeploymentPaused') {
    return newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now);
  }
  if (!isPaused && reason === 'DeploymentPaused') {
    return newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now);
  }
  return undefined;
}
