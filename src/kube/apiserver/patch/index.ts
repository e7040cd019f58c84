/**
 * Patch engines of the lab API server (contract; implemented in this folder).
 */
import { KubeApiError } from '../kube-object.js';
import type { KubeObject, ManagedFieldsEntry, ResourceType } from '../kube-object.js';
import { resourceTypes } from '../resource-registry.js';
import { applyJsonPatch } from './json-patch.js';
import { isJsonObject } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { schemaFor } from './merge-schema.js';
import { unprocessable } from './patch-errors.js';
import { recordUpdate } from './managed-fields.js';
import { applyConfiguration } from './server-side-apply.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

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
  switch (type) {
    case 'json':
      return asKubeObject(applyJsonPatch(target, patch));
    case 'merge':
      return asKubeObject(applyMergePatch(target, patch));
    case 'strategic':
      if (!resource.isBuiltin) {
        // The CRD handler only registers these patch types (apiextensions-apiserver crdHandler).
        throw new KubeApiError(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: ' +
            'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        );
      }
      return asKubeObject(applyStrategicMergePatch(target, patch, schemaFor(resource)));
  }
}

/**
 * The patched document as an object. A patch that turns the object into something else (say a JSON
 * patch replacing the root with a string) fails to decode in kube-apiserver: 422 there too.
 */
function asKubeObject(value: unknown): KubeObject {
  if (!isJsonObject(value)) throw unprocessable('patched document is not an object');
  if (!isJsonObject(value['metadata'])) value['metadata'] = {};
  return value as KubeObject;
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
  return applyConfiguration(input);
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
  // The contract carries no ResourceType: find the served type by the object's group and kind.
  const slash = input.updated.apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : input.updated.apiVersion.slice(0, slash);
  const resource = resourceTypes.find((r) => r.group === group && r.kind === input.updated.kind);
  return recordUpdate({
    previous: input.previous,
    updated: input.updated,
    fieldManager: input.fieldManager,
    subresource: input.subresource,
    now: input.now,
    schema: schemaFor({ group, kind: input.updated.kind }),
    hasStatusSubresource: resource?.subresources.includes('status') ?? false,
  });
}
