/**
 * Proportional scaling of a Deployment that is resized in the middle of a rollout
 * (`pkg/controller/deployment/sync.go` scale, `util.GetProportion`): the replicas to add or remove
 * are shared among the active ReplicaSets in proportion to their size relative to the
 * `max-replicas` annotation they were last scaled for; the rounding leftover goes to the largest.
 * Worked example: 10 replicas, surge 3, old RS 8 + new RS 5 (max-replicas 13); scaled to 15 (surge
 * 4, allowed 19): 6 to add, old gets round(8*19/13)-8 = 4, new gets min(round(5*19/13)-5, 2) = 2.
 */
import type { KubeObject } from '../kube-object.js';
import { asNumber, asRecord } from './json-fields.js';
import {
  MAX_REPLICAS_ANNOTATION,
  byCreation,
  deploymentReplicas,
  goRound,
  maxSurge,
  specReplicas,
  sumSpecReplicas,
} from './rollout-math.js';

function fraction(rs: KubeObject, d: KubeObject): number {
  if (deploymentReplicas(d) === 0) return -specReplicas(rs);
  const deploymentMax = deploymentReplicas(d) + maxSurge(d);
  const annotated = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? '', 10);
  const base = Number.isNaN(annotated) ? asNumber(asRecord(d['status'])['replicas'], 0) : annotated;
  if (base === 0) return 0;
  return goRound((specReplicas(rs) * deploymentMax) / base) - specReplicas(rs);
}

/** New sizes (by ReplicaSet name) for the active ReplicaSets of a rolling Deployment being resized. */
export function proportionalSizes(d: KubeObject, active: readonly KubeObject[]): Map<string, number> {
  const allowed = deploymentReplicas(d) > 0 ? deploymentReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(active);
  const sorted = [...active].sort((a, b) => {
    const bySize = specReplicas(b) - specReplicas(a);
    if (bySize !== 0) return bySize;
    // Equal sizes: newer first when growing, older first when shrinking.
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    let proportion = 0;
    if (toAdd !== 0 && specReplicas(rs) !== 0 && toAdd !== added) {
      const f = fraction(rs, d);
      proportion = toAdd > 0 ? Math.min(f, toAdd - added) : Math.max(f, toAdd - added);
    }
    sizes.set(rs.metadata.name ?? '', specReplicas(rs) + proportion);
    added += proportion;
  }
  const first = sorted[0];
  if (toAdd !== 0 && first !== undefined) {
    const name = first.metadata.name ?? '';
    sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
  }
  return sizes;
}
