/**
 * Field ownership records (`metadata.managedFields`) and the bookkeeping of non-apply writes
 * (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager, structured-merge-diff merge/update.go).
 */
import type { KubeObject, ManagedFieldsEntry } from '../kube-object.js';
import { FieldSet } from './field-set.js';
import { compareValues } from './typed-fields.js';
import type { FieldSchema } from './merge-schema.js';
import { isJsonObject, jsonEqual } from './json-value.js';

/** One manager's ownership, decoded. */
export interface Manager {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource: string | undefined;
  time: string;
  set: FieldSet;
}

/**
 * Fields nobody owns: identity and bookkeeping the server sets itself (fieldmanager's stripped
 * paths), and `status`, which writes to the main resource do not change on kinds with a status
 * subresource.
 */
const strippedPaths: readonly (readonly string[])[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'generation',
    'managedFields',
    'resourceVersion',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ].map((field) => ['f:metadata', `f:${field}`]),
];

/** `set` without the fields nobody owns. */
export function stripUnowned(set: FieldSet, stripStatus: boolean): FieldSet {
  const result = set.clone();
  const paths = stripStatus ? [...strippedPaths, ['f:status']] : strippedPaths;
  for (const path of paths) {
    const parent = result.nodeAt(path.slice(0, -1));
    const last = path[path.length - 1];
    if (parent !== undefined && last !== undefined) parent.children.delete(last);
  }
  return result;
}

/** The same manager record: manager, operation, subresource, and for Update the API version. */
export function isSameManager(a: Omit<Manager, 'time' | 'set'>, b: Omit<Manager, 'time' | 'set'>): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    a.subresource === b.subresource &&
    (a.operation === 'Apply' || a.apiVersion === b.apiVersion)
  );
}

/** Decodes an object's managedFields; entries that are not FieldsV1 are dropped. */
export function decodeManagers(entries: readonly ManagedFieldsEntry[] | undefined): Manager[] {
  return (entries ?? [])
    .filter((entry) => entry.fieldsType === 'FieldsV1' && isJsonObject(entry.fieldsV1))
    .map((entry) => ({
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      subresource: entry.subresource,
      time: entry.time,
      set: FieldSet.fromFieldsV1(entry.fieldsV1),
    }));
}

/**
 * Encodes managers back into managedFields, dropping those that own nothing, ordered as
 * fieldmanager's sortEncodedManagedFields: Apply before Update, then by time, manager, API version.
 */
export function encodeManagers(managers: readonly Manager[]): ManagedFieldsEntry[] {
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return managers
    .filter((m) => !m.set.isEmpty())
    .sort(
      (a, b) =>
        compare(a.operation, b.operation) ||
        compare(a.time, b.time) ||
        compare(a.manager, b.manager) ||
        compare(a.apiVersion, b.apiVersion) ||
        compare(a.subresource ?? '', b.subresource ?? ''),
    )
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1' as const,
      fieldsV1: m.set.toFieldsV1(),
      ...(m.subresource !== undefined ? { subresource: m.subresource } : {}),
    }));
}

/** The object without managedFields, as field sets are computed over it. */
export function withoutManagedFields(object: KubeObject): KubeObject {
  const { managedFields: _ignored, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * Ownership after a create/update/patch by `fieldManager`: it gains every field the write added or
 * changed (taking them from other managers, as an update always forces) and loses the fields it
 * removed. A write that touches nothing leaves the records as they were.
 */
export function recordUpdate(input: {
  readonly previous: KubeObject | undefined;
  readonly updated: KubeObject;
  readonly fieldManager: string;
  readonly subresource: string | undefined;
  readonly now: string;
  readonly schema: FieldSchema;
  readonly hasStatusSubresource: boolean;
}): ManagedFieldsEntry[] {
  const { previous, updated } = input;
  // A client may send managedFields it edited; otherwise the stored ones stand (fieldmanager keeps
  // the live records when the request's are empty or unchanged).
  const sent = updated.metadata.managedFields;
  const stored = previous?.metadata.managedFields;
  const records = sent !== undefined && sent.length > 0 && !jsonEqual(sent, stored) ? sent : stored;
  const managers = decodeManagers(records);
  const stripStatus = input.hasStatusSubresource && input.subresource === undefined;
  const onlyStatus = input.subresource === 'status';
  const comparison = compareValues(
    previous === undefined ? {} : withoutManagedFields(previous),
    withoutManagedFields(updated),
    input.schema,
  );
  let changed = stripUnowned(comparison.added.union(comparison.modified), stripStatus);
  let removed = comparison.removed;
  if (onlyStatus) {
    const keepStatus = (set: FieldSet): FieldSet => {
      const result = new FieldSet();
      const status = set.children.get('f:status');
      if (status !== undefined) result.children.set('f:status', status);
      return result;
    };
    changed = keepStatus(changed);
    removed = keepStatus(removed);
  }
  const self = {
    manager: input.fieldManager,
    operation: 'Update' as const,
    apiVersion: updated.apiVersion,
    subresource: input.subresource,
  };
  // update.go: whatever the write changed moves to the writer (an update always forces); whatever
  // it removed leaves every owner. The writer's record is re-stamped only when it gained fields.
  const own = managers.find((m) => isSameManager(m, self));
  for (const m of managers) {
    m.set = (m === own ? m.set : m.set.difference(changed)).difference(removed);
  }
  if (!changed.isEmpty()) {
    if (own === undefined) managers.push({ ...self, time: input.now, set: changed });
    else {
      own.set = own.set.union(changed);
      own.time = input.now;
    }
  }
  return encodeManagers(managers);
}
