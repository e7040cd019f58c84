/**
 * The arithmetic of Deployment rollouts, reproducing `pkg/controller/deployment/util/deployment_util.go`:
 * maxSurge/maxUnavailable from ints or percentages (surge rounds up, unavailable rounds down, and
 * both zero means unavailable 1), how far the new ReplicaSet may grow, and the replica counts summed
 * over ReplicaSets. Deployment and ReplicaSet fields are read from JSON with the API defaults
 * (replicas 1, RollingUpdate 25 %/25 %, revisionHistoryLimit 10, progressDeadlineSeconds 600).
 */
import type { KubeObject } from '../kube-object.js';
import { asNumber, asRecord, asString } from './json-fields.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an int as is, "25%" of `total` rounded up or down.
 * Worked example: 25 % of 1 replica is 0.25 -> surge 1 (up), unavailable 0 (down).
 */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (m) {
      const exact = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(exact) : Math.floor(exact);
    }
    const n = Number.parseInt(value, 10);
    if (!Number.isNaN(n)) return n;
  }
  return 0;
}

export function deploymentReplicas(d: KubeObject): number {
  return asNumber(asRecord(d['spec'])['replicas'], 1);
}

export function isRollingUpdate(d: KubeObject): boolean {
  return asString(asRecord(asRecord(d['spec'])['strategy'])['type'], 'RollingUpdate') === 'RollingUpdate';
}

/** `ResolveFenceposts`: [surge, unavailable] for the deployment's replica count. */
export function resolveFenceposts(d: KubeObject): [number, number] {
  const rolling = asRecord(asRecord(asRecord(d['spec'])['strategy'])['rollingUpdate']);
  const desired = deploymentReplicas(d);
  const surge = scaledValue(rolling['maxSurge'] ?? '25%', desired, true);
  let unavailable = scaledValue(rolling['maxUnavailable'] ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d)[0] : 0;
}

export function maxUnavailable(d: KubeObject): number {
  const replicas = deploymentReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d)[1], replicas);
}

export function specReplicas(rs: KubeObject): number {
  return asNumber(asRecord(rs['spec'])['replicas'], 1);
}

function statusCount(rs: KubeObject, field: string): number {
  return asNumber(asRecord(rs['status'])[field], 0);
}

/** Sum of `spec.replicas`. */
export const sumSpecReplicas = (rss: readonly KubeObject[]): number =>
  rss.reduce((n, rs) => n + specReplicas(rs), 0);
/** Sum of `status.replicas` (pods that exist). */
export const sumActualReplicas = (rss: readonly KubeObject[]): number =>
  rss.reduce((n, rs) => n + statusCount(rs, 'replicas'), 0);
export const sumReadyReplicas = (rss: readonly KubeObject[]): number =>
  rss.reduce((n, rs) => n + statusCount(rs, 'readyReplicas'), 0);
export const sumAvailableReplicas = (rss: readonly KubeObject[]): number =>
  rss.reduce((n, rs) => n + statusCount(rs, 'availableReplicas'), 0);
export const availableOf = (rs: KubeObject): number => statusCount(rs, 'availableReplicas');

/**
 * `NewRSNewReplicas` for RollingUpdate: grow the new ReplicaSet up to replicas + maxSurge pods in
 * total, never beyond the desired count. Example: 4 replicas, 25 %: surge 1, so with 4 old pods the
 * new ReplicaSet starts at 1.
 */
export function newRSNewReplicas(d: KubeObject, allRSs: readonly KubeObject[], newRS: KubeObject): number {
  if (!isRollingUpdate(d)) return deploymentReplicas(d);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = deploymentReplicas(d) + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  return specReplicas(newRS) + Math.min(maxTotal - current, deploymentReplicas(d) - specReplicas(newRS));
}

export function revisionOf(rs: KubeObject): number {
  const n = Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

/** `ReplicaSetsByCreationTimestamp`: oldest first, ties by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** `ReplicaSetsByRevision`: lowest revision first, ties by creation. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const d = revisionOf(a) - revisionOf(b);
  return d !== 0 ? d : byCreation(a, b);
}

/** Go's `math.Round`: halves away from zero. */
export function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
