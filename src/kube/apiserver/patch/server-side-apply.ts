/**
 * Server-side apply (structured-merge-diff merge/update.go Apply, with kube-apiserver's fieldmanager
 * around it): merge the applied configuration into the live object, refuse changes to fields other
 * managers own unless forced, record what the applier now owns, and remove what it stopped applying
 * when nobody else owns it.
 */
import { KubeApiError } from '../kube-object.js';
import type { KubeObject, ResourceType, StatusCause } from '../kube-object.js';
import { FieldSet, formatPath } from './field-set.js';
import { mergeApplied, pruneFields } from './apply-merge.js';
import {
  decodeManagers,
  encodeManagers,
  isSameManager,
  stripUnowned,
  withoutManagedFields,
} from './managed-fields.js';
import type { Manager } from './managed-fields.js';
import { schemaFor } from './merge-schema.js';
import { compareValues, fieldSetOf } from './typed-fields.js';
import { cloneJson, isJsonObject, jsonEqual } from './json-value.js';
import { badRequest } from './patch-errors.js';

export interface ApplyRequest {
  readonly current: KubeObject | undefined;
  readonly applied: KubeObject;
  readonly fieldManager: string;
  readonly force: boolean;
  readonly resource: ResourceType;
  readonly now: string;
}

interface Conflict {
  readonly manager: Manager;
  readonly path: string[];
}

/** fieldmanager conflict.go printManager: Update managers are named with their API version. */
function describeManager(manager: Manager): string {
  const name = JSON.stringify(manager.manager);
  return manager.operation === 'Update' ? `${name} using ${manager.apiVersion}` : name;
}

/** The 409 kube-apiserver answers (fieldmanager NewConflictError, errors.NewApplyConflict). */
function conflictError(conflicts: readonly Conflict[]): KubeApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: formatPath(c.path),
  }));
  let message: string;
  const [only] = conflicts;
  if (conflicts.length === 1 && only !== undefined) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(only.manager)}: ${formatPath(only.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const key = describeManager(c.manager);
      byManager.set(key, [...(byManager.get(key) ?? []), formatPath(c.path)]);
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((key) => [`conflicts with ${key}:`, ...(byManager.get(key) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new KubeApiError(409, 'Conflict', message, { causes });
}

/** Applies `applied` for `fieldManager`; see index.ts serverSideApply. */
export function applyConfiguration(request: ApplyRequest): KubeObject {
  const { current, applied, fieldManager, resource, now } = request;
  if ((applied.metadata.managedFields ?? []).length > 0) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const schema = schemaFor(resource);
  // Apply to the main resource does not change status where status is a subresource (the
  // registry strategies' reset fields).
  const stripStatus = resource.subresources.includes('status');
  const config: Record<string, unknown> = cloneJson(applied);
  if (stripStatus) delete config['status'];
  const live = current === undefined ? undefined : withoutManagedFields(current);
  const managers = decodeManagers(current?.metadata.managedFields);
  if (live !== undefined && managers.length === 0) {
    // fieldmanager: an object written before any field manager existed is owned as a whole by
    // "before-first-apply", so a first apply still conflicts with what is there.
    managers.push({
      manager: 'before-first-apply',
      operation: 'Update',
      apiVersion: live.apiVersion,
      subresource: undefined,
      time: now,
      set: stripUnowned(fieldSetOf(live, schema), stripStatus),
    });
  }
  const appliedSet = stripUnowned(fieldSetOf(config, schema), stripStatus);
  const merged = mergeApplied(live ?? {}, config, schema);
  const comparison = compareValues(live ?? {}, merged, schema);
  const changed = stripUnowned(comparison.added.union(comparison.modified), stripStatus);

  const self = {
    manager: fieldManager,
    operation: 'Apply' as const,
    apiVersion: applied.apiVersion,
    subresource: undefined,
  };
  const previous = managers.find((m) => isSameManager(m, self));
  const conflicts: Conflict[] = [];
  for (const m of managers) {
    if (m === previous) continue;
    for (const path of m.set.intersection(changed).paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length > 0 && !request.force) throw conflictError(conflicts);
  // update.go: forced conflicts leave their owners; removed fields leave everyone.
  for (const m of managers) {
    m.set = (m === previous ? m.set : m.set.difference(changed)).difference(comparison.removed);
  }

  const owners = managers.filter((m) => m !== previous).reduce((all, m) => all.union(m.set), appliedSet);
  const stopped = (previous?.set ?? new FieldSet()).difference(appliedSet);
  const pruned = pruneFields(merged, stopped, owners, schema);
  if (!isJsonObject(pruned)) throw badRequest('applied configuration is not an object');

  const isUnchanged = live !== undefined && jsonEqual(pruned, live);
  if (previous === undefined) {
    managers.push({ ...self, time: now, set: appliedSet });
  } else {
    if (!isUnchanged || !jsonEqual(previous.set.toFieldsV1(), appliedSet.toFieldsV1())) previous.time = now;
    previous.set = appliedSet;
  }
  const result = pruned as KubeObject;
  const metadata = isJsonObject(result.metadata) ? result.metadata : {};
  return { ...result, metadata: { ...metadata, managedFields: encodeManagers(managers) } };
}
