/**
 * The annotations a Deployment puts on its new ReplicaSet (`deployment/util.SetNewReplicaSetAnnotations`):
 * the Deployment's own annotations (minus bookkeeping ones, so `kubernetes.io/change-cause` shows in
 * `kubectl rollout history`), the revision - bumped when an old ReplicaSet becomes new again on
 * rollback, with the previous revision appended to `revision-history` - and, on creation, the
 * desired/max replica counts.
 */
import type { KubeObject } from '../kube-object.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  deploymentReplicas,
  maxSurge,
} from './rollout-math.js';

/** Deployment annotations never copied to its ReplicaSets (`skipCopyAnnotation`). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

function copyAnnotations(d: KubeObject, rs: KubeObject): boolean {
  let changed = false;
  const annotations = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  rs.metadata.annotations = annotations;
  return changed;
}

/** `SetNewReplicaSetAnnotations`: bumps the revision, remembering the old one in revision-history. */
export function setNewRSAnnotations(
  d: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = copyAnnotations(d, rs);
  const annotations = rs.metadata.annotations ?? {};
  const oldRaw = annotations[REVISION_ANNOTATION];
  const oldRevision = oldRaw === undefined ? 0 : Number.parseInt(oldRaw, 10);
  if (Number.isNaN(oldRevision)) return false;
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRaw !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      annotations[REVISION_HISTORY_ANNOTATION] =
        history === undefined || history === '' ? oldRaw : `${history},${oldRaw}`;
    }
  }
  if (!exists) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(deploymentReplicas(d));
    annotations[MAX_REPLICAS_ANNOTATION] = String(deploymentReplicas(d) + maxSurge(d));
    changed = true;
  }
  rs.metadata.annotations = annotations;
  return changed;
}
