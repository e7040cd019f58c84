/**
 * Patch engines of the lab API server (contract; implemented in this folder).
 */
import type { KubeObject, ManagedFieldsEntry, ResourceType } from '../kube-object.js';

export type PatchType = 'json' | 'merge' | 'strategic';

/**
 * Applies a JSON patch (RFC 6902), a JSON merge patch (RFC 7386) or a strategic merge patch (built-in
 * kinds only) to `target` and returns the patched object (a new object; `target` is not modified).
 * Throws KubeApiError: 422 for a patch that cannot apply (failed `test`, missing path), 400 for a
 * malformed patch, 415 for strategic merge patch on a custom resource.
 */
export function applyPatch(
  type: PatchType,
  target: KubeObject,
  patch: unknown,
  resource: ResourceType,
): KubeObject {
  void type;
  void target;
  void patch;
  void resource;
  throw new Error('applyPatch: not implemented yet');
}

export interface ServerSideApplyInput {
  /** The object as stored, or undefined when apply creates it. */
  readonly current: KubeObject | undefined;
  /** The applied configuration (what the user sent). */
  readonly applied: KubeObject;
  readonly fieldManager: string;
  readonly force: boolean;
  readonly resource: ResourceType;
  /** RFC 3339 time for managedFields entries. */
  readonly now: string;
}

/**
 * Server-side apply: merges `applied` into `current` with field ownership (`metadata.managedFields`,
 * FieldsV1), removing fields this manager owned before and no longer applies. Throws KubeApiError 409
 * Conflict (causes name each conflicting field and its manager) unless `force`.
 */
export function serverSideApply(input: ServerSideApplyInput): KubeObject {
  void input;
  throw new Error('serverSideApply: not implemented yet');
}

/**
 * Ownership bookkeeping for non-apply writes (create/update/patch): returns the new managedFields so
 * that a later server-side apply sees the fields this manager set (`operation: Update`).
 */
export function managedFieldsAfterUpdate(input: {
  readonly previous: KubeObject | undefined;
  readonly updated: KubeObject;
  readonly fieldManager: string;
  readonly subresource?: string;
  readonly now: string;
}): ManagedFieldsEntry[] {
  return input.updated.metadata.managedFields ?? [];
}
