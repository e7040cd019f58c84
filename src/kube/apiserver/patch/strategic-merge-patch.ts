/**
 * Strategic merge patch, as kube-apiserver applies it to built-in kinds
 * (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go, server options `IgnoreUnmatchedNulls` and
 * `MergeParallelList`). Lists merge according to merge-schema.ts; directives: `$patch`
 * (replace/delete in maps and list items), `$retainKeys`, `$setElementOrder/<list>`,
 * `$deleteFromPrimitiveList/<list>`; `null` deletes.
 *
 * Worked example (Deployment, containers merge by name):
 *   live   {containers: [{name: a, image: x}, {name: b, image: y}]}
 *   patch  {$setElementOrder/containers: [{name: b}, {name: a}], containers: [{name: a, image: z}]}
 *   result {containers: [{name: b, image: y}, {name: a, image: z}]}
 */
import { fieldSchema } from './merge-schema.js';
import type { FieldSchema, ListSchema } from './merge-schema.js';
import { cloneJson, isJsonObject, jsonEqual } from './json-value.js';
import type { JsonObject } from './json-value.js';
import { badRequest, internalError, unprocessable } from './patch-errors.js';

const directive = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

/** Go's `%v` of a map, for the error texts strategicpatch produces. */
function goFormat(value: unknown): string {
  if (isJsonObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${key}:${goFormat(value[key])}`);
    return `map[${entries.join(' ')}]`;
  }
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  return value === null ? '<nil>' : String(value);
}

function noMergeKey(item: JsonObject, mergeKey: string): Error {
  return internalError(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
}

/** Drops nulls from a value the live object does not have (`discardNullValuesFromPatch`). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) result[key] = withoutNulls(item);
  }
  return result;
}

/** `$retainKeys`: the patch may only name listed keys; live keys not listed are cleared. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const retain = patch[retainKeysDirective];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  for (const [key, value] of Object.entries(patch)) {
    // kubectl sends `rollingUpdate: null` next to `$retainKeys: [type]`: deletions are allowed.
    if (value === null || key.startsWith('$') || retain.includes(key)) continue;
    throw unprocessable("patch content doesn't match retainKeys list");
  }
  for (const key of Object.keys(original)) {
    if (!retain.includes(key)) delete original[key];
  }
}

/** The order list kept by `normalizeElementOrder`: position of an item, by merge key or by value. */
function orderIndex(order: readonly unknown[], item: unknown, mergeKey: string | undefined): number {
  if (mergeKey === undefined) return order.findIndex((entry) => jsonEqual(entry, item));
  const key = isJsonObject(item) ? item[mergeKey] : undefined;
  return order.findIndex((entry) => isJsonObject(entry) && jsonEqual(entry[mergeKey], key));
}

/**
 * Orders a merged list: items named by `patchOrder` in that order, items only the server has in
 * their server order, the two interleaved by server position (`normalizeElementOrder` and
 * `mergeSortedSlice`).
 */
function normalizeOrder(
  merged: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const sortBy = (items: unknown[], order: readonly unknown[]): unknown[] =>
    items
      .map((item, i) => ({ item, i, at: orderIndex(order, item, mergeKey) }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map(({ item }) => item);
  const fromPatch = sortBy(
    merged.filter((item) => orderIndex(patchOrder, item, mergeKey) >= 0),
    patchOrder,
  );
  const serverOnly = sortBy(
    merged.filter((item) => orderIndex(patchOrder, item, mergeKey) < 0),
    serverOrder,
  );
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    const left = serverOnly[i];
    const right = fromPatch[j];
    if (j >= fromPatch.length) {
      result.push(left);
      i++;
    } else if (i >= serverOnly.length) {
      result.push(right);
      j++;
    } else {
      const li = orderIndex(serverOrder, left, mergeKey);
      const ri = orderIndex(serverOrder, right, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) {
        result.push(left);
        i++;
      } else {
        result.push(right);
        j++;
      }
    }
  }
  return result;
}

function mergeKeyedList(
  original: readonly unknown[],
  patch: readonly unknown[],
  list: Extract<ListSchema, { type: 'map' }>,
): unknown[] {
  let items = [...original];
  const plain: JsonObject[] = [];
  let isReplace = false;
  for (const entry of patch) {
    if (!isJsonObject(entry)) throw unprocessable('unable to merge a list of non-objects by key');
    const marker = entry[directive];
    if (marker === undefined) {
      plain.push(entry);
    } else if (marker === 'delete') {
      if (!Object.hasOwn(entry, list.mergeKey)) throw noMergeKey(entry, list.mergeKey);
      const key = entry[list.mergeKey];
      items = items.filter((item) => !(isJsonObject(item) && jsonEqual(item[list.mergeKey], key)));
    } else if (marker === 'replace') {
      isReplace = true;
    } else if (marker === 'merge') {
      throw internalError('merging lists cannot yet be specified in the patch');
    } else {
      throw internalError(`Unknown patch type: ${goFormat(marker)} in map: ${goFormat(entry)}`);
    }
  }
  if (isReplace) return plain.map((item) => mergeMap({}, item, list.item));
  for (const entry of plain) {
    if (!Object.hasOwn(entry, list.mergeKey)) throw noMergeKey(entry, list.mergeKey);
    const key = entry[list.mergeKey];
    const at = items.findIndex((item) => isJsonObject(item) && jsonEqual(item[list.mergeKey], key));
    const existing = items[at];
    if (at >= 0 && isJsonObject(existing)) items[at] = mergeMap(existing, entry, list.item);
    else items.push(mergeMap({}, entry, list.item));
  }
  return items;
}

function dedupe(values: readonly unknown[]): unknown[] {
  const result: unknown[] = [];
  for (const value of values) {
    if (!result.some((kept) => jsonEqual(kept, value))) result.push(value);
  }
  return result;
}

/** Merges a list field whose schema says `merge`; `order` is its `$setElementOrder`, if sent. */
function mergeList(
  original: readonly unknown[],
  patch: readonly unknown[],
  list: Extract<ListSchema, { type: 'map' | 'set' }>,
  order: readonly unknown[] | undefined,
): unknown[] {
  if (list.type === 'set') {
    const merged = dedupe([...original, ...patch]);
    return normalizeOrder(merged, order ?? patch, original, undefined);
  }
  const merged = mergeKeyedList(original, patch, list);
  const plainPatch = patch.filter((entry) => isJsonObject(entry) && entry[directive] === undefined);
  return normalizeOrder(merged, order ?? plainPatch, original, list.mergeKey);
}

function mergeField(original: unknown, patch: unknown, schema: FieldSchema | undefined): unknown {
  if (isJsonObject(patch)) {
    return mergeMap(isJsonObject(original) ? original : {}, patch, schema);
  }
  if (Array.isArray(patch)) {
    const list = schema?.list;
    if (list === undefined || list.type === 'atomic') return withoutNulls(patch);
    return mergeList(Array.isArray(original) ? original : [], patch, list, undefined);
  }
  return patch;
}

/** Merges `patch` into a copy of `original` (strategicpatch `mergeMap`). */
export function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  schema: FieldSchema | undefined,
): JsonObject {
  const marker = patch[directive];
  if (marker !== undefined) {
    if (marker === 'replace') {
      const replaced = withoutNulls(patch) as JsonObject;
      delete replaced[directive];
      return replaced;
    }
    if (marker === 'delete') return {};
    throw internalError(`Unknown patch type: ${goFormat(marker)} in map: ${goFormat(patch)}`);
  }
  const result = cloneJson(original);
  applyRetainKeys(result, patch);
  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(deleteFromPrimitiveListPrefix)) continue;
    const field = key.slice(deleteFromPrimitiveListPrefix.length);
    if (!Array.isArray(values)) throw badRequest('invalid patch format of primitive list');
    const current = result[field];
    if (Array.isArray(current)) {
      result[field] = current.filter((item) => !values.some((value) => jsonEqual(value, item)));
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const sub = fieldSchema(schema, key);
    const orderKey = `${setElementOrderPrefix}${key}`;
    const order = patch[orderKey];
    if (value === null) {
      delete result[key];
    } else if (order !== undefined && Array.isArray(value)) {
      result[key] = mergeOrderedList(result[key], value, sub, order);
    } else if (!Object.hasOwn(result, key)) {
      result[key] = withoutNulls(mergeField(undefined, value, sub));
    } else {
      result[key] = mergeField(result[key], value, sub);
    }
  }
  // A `$setElementOrder` without its list reorders the live list alone.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const field = key.slice(setElementOrderPrefix.length);
    if (Object.hasOwn(patch, field)) continue;
    const current = result[field];
    const list = fieldSchema(schema, field)?.list;
    if (Array.isArray(current) && list !== undefined && list.type !== 'atomic') {
      result[field] = mergeOrderedList(current, [], fieldSchema(schema, field), order);
    }
  }
  return result;
}

function mergeOrderedList(
  original: unknown,
  patch: readonly unknown[],
  schema: FieldSchema | undefined,
  order: unknown,
): unknown[] {
  if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
  const list = schema?.list;
  if (list === undefined || list.type === 'atomic') return patch.map(withoutNulls);
  return mergeList(Array.isArray(original) ? original : [], patch, list, order);
}

/** Applies a strategic merge patch to a copy of `doc` using `schema` (the kind's merge schema). */
export function applyStrategicMergePatch(doc: JsonObject, patch: unknown, schema: FieldSchema): JsonObject {
  if (!isJsonObject(patch)) throw badRequest('invalid JSON document');
  return mergeMap(doc, patch, schema);
}
