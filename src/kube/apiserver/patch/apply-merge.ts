/**
 * The value side of server-side apply (structured-merge-diff merge.go and the prune step of
 * merge/update.go): merging an applied configuration into the live object, and removing the fields
 * a manager stopped applying.
 */
import type { FieldSet } from './field-set.js';
import { fieldElement } from './field-set.js';
import { fieldSchema } from './merge-schema.js';
import type { FieldSchema, ListSchema } from './merge-schema.js';
import { granularList, itemElement, itemSchema } from './typed-fields.js';
import { cloneJson, isJsonObject } from './json-value.js';
import type { JsonObject } from './json-value.js';

/**
 * Merges two granular lists item by item, interleaving as merge.go visitListItems does: items only
 * the live list has keep their place, shared and new items follow the applied order. Example: live
 * [a, b, c], applied [c, a] -> [b, c, a].
 */
function mergeLists(live: readonly unknown[], applied: readonly unknown[], list: ListSchema): unknown[] {
  const lEls = live.map((item, i) => itemElement(item, i, list));
  const rEls = applied.map((item, i) => itemElement(item, i, list));
  const lByEl = new Map(lEls.map((el, i) => [el, live[i]]));
  const rSet = new Set(rEls);
  const shared = rEls.filter((el) => lByEl.has(el));
  let sharedAt = 0;
  const merged = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (l: unknown, r: unknown): unknown => mergeApplied(l, r, itemSchema(list));
  let li = 0;
  let ri = 0;
  while (li < live.length || ri < applied.length) {
    const lEl = lEls[li];
    const rEl = rEls[ri];
    if (lEl !== undefined && rEl !== undefined) {
      if (lEl === rEl) {
        merged.add(lEl);
        out.push(mergeItem(live[li], applied[ri]));
        li++;
        ri++;
        if (shared[sharedAt] === lEl) sharedAt++;
        continue;
      }
      const nextShared = shared[sharedAt];
      if (rSet.has(lEl) && nextShared !== undefined && nextShared !== lEl) {
        li++;
        continue;
      }
    }
    if (lEl !== undefined) {
      if (!rSet.has(lEl)) {
        out.push(live[li]);
        li++;
        continue;
      }
      if (merged.has(lEl)) {
        li++;
        continue;
      }
    }
    if (rEl === undefined) {
      li++; // only reachable with duplicate keys; drop the duplicate
      continue;
    }
    merged.add(rEl);
    out.push(mergeItem(lByEl.get(rEl), applied[ri]));
    ri++;
    if (shared[sharedAt] === rEl) sharedAt++;
  }
  return out;
}

/**
 * Merges an applied value into a live one: objects field by field, granular lists item by item,
 * anything else (scalars, atomic lists and structs) replaced. A `null` in the applied configuration
 * clears the field (Go decoding turns it into the zero value anyway).
 */
export function mergeApplied(live: unknown, applied: unknown, schema: FieldSchema | undefined): unknown {
  if (applied === undefined) return cloneJson(live);
  if (isJsonObject(applied)) {
    if (!isJsonObject(live) || schema?.applyAtomic === true) return withoutNulls(applied);
    const out: JsonObject = cloneJson(live);
    for (const [key, value] of Object.entries(applied)) {
      if (value === null) delete out[key];
      else out[key] = mergeApplied(live[key], value, fieldSchema(schema, key));
    }
    return out;
  }
  const list = granularList(schema);
  if (Array.isArray(applied) && list !== undefined && Array.isArray(live)) {
    return mergeLists(live, applied, list);
  }
  return withoutNulls(applied);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = withoutNulls(item);
  return out;
}

/**
 * Removes the members of `toRemove` (what the applier owned and stopped applying) from `value`
 * unless `owners` (every manager, the applier's new set included) own them or something below them
 * (update.go prune, addBackOwnedItems). Below a kept node, only members of `toRemove` nobody owns
 * go; other content stays (addBackDanglingItems).
 */
export function pruneFields(
  value: unknown,
  toRemove: FieldSet,
  owners: FieldSet | undefined,
  schema: FieldSchema | undefined,
): unknown {
  const visit = (
    element: string,
    child: unknown,
    sub: FieldSchema | undefined,
  ): { keep: boolean; value: unknown } => {
    const node = toRemove.children.get(element);
    if (node === undefined || node.isEmpty()) return { keep: true, value: child };
    const owned = owners?.children.get(element);
    if (node.isMember && (owned === undefined || owned.isEmpty())) return { keep: false, value: undefined };
    return { keep: true, value: pruneFields(child, node, owned, sub) };
  };
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      const result = visit(fieldElement(key), child, fieldSchema(schema, key));
      if (result.keep) out[key] = result.value;
    }
    return out;
  }
  const list = granularList(schema);
  if (Array.isArray(value) && list !== undefined) {
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const result = visit(itemElement(item, i, list), item, itemSchema(list));
      if (result.keep) out.push(result.value);
    });
    return out;
  }
  return value;
}
