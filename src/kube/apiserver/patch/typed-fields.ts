/**
 * Field sets of objects under a merge schema, as structured-merge-diff computes them
 * (typed/tofieldset.go for what an applied configuration owns, typed/compare.go for what a write
 * added, changed or removed).
 */
import { FieldSet, fieldElement, keyElement, valueElement } from './field-set.js';
import { fieldSchema } from './merge-schema.js';
import type { FieldSchema, ListSchema } from './merge-schema.js';
import { isJsonObject, jsonEqual } from './json-value.js';
import type { JsonObject } from './json-value.js';

/** The path element of a list item: its keys for keyed lists, its value for sets, else its index. */
export function itemElement(item: unknown, index: number, list: ListSchema): string {
  if (list.type === 'set') return valueElement(item);
  if (list.type === 'map' && isJsonObject(item)) {
    const keys: JsonObject = {};
    for (const key of list.keys) {
      const value = item[key] ?? list.keyDefaults?.[key];
      if (value !== undefined) keys[key] = value;
    }
    return keyElement(keys);
  }
  return `i:${index}`;
}

/** The list schema when the list merges item by item under apply, undefined when it is atomic. */
export function granularList(schema: FieldSchema | undefined): ListSchema | undefined {
  const list = schema?.list;
  if (list === undefined || list.type === 'atomic' || schema?.applyAtomic === true) return undefined;
  return list;
}

/** Item schema of a granular list. */
export function itemSchema(list: ListSchema): FieldSchema | undefined {
  return list.type === 'map' ? list.item : undefined;
}

/**
 * What an applied configuration sets: every scalar, null, empty object and atomic value, and every
 * item of a granular list; objects only through their fields (tofieldset.go).
 */
export function fieldSetOf(value: unknown, schema: FieldSchema | undefined): FieldSet {
  const set = new FieldSet();
  const walk = (node: unknown, nodeSchema: FieldSchema | undefined, path: string[]): void => {
    if (isJsonObject(node)) {
      const entries = Object.entries(node);
      if ((nodeSchema?.applyAtomic === true || entries.length === 0) && path.length > 0) {
        set.insert(path);
        return;
      }
      for (const [key, child] of entries) {
        walk(child, fieldSchema(nodeSchema, key), [...path, fieldElement(key)]);
      }
      return;
    }
    const list = granularList(nodeSchema);
    if (Array.isArray(node) && list !== undefined) {
      node.forEach((item, index) => {
        const itemPath = [...path, itemElement(item, index, list)];
        set.insert(itemPath);
        if (isJsonObject(item)) walk(item, itemSchema(list), itemPath);
      });
      return;
    }
    set.insert(path);
  };
  walk(value, schema, []);
  return set;
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

type Shape = 'none' | 'object' | 'list' | 'scalar';

function shapeOf(value: unknown): Shape {
  if (value === undefined) return 'none';
  if (isJsonObject(value)) return 'object';
  return Array.isArray(value) ? 'list' : 'scalar';
}

/** Keyed view of a granular list: element -> item, in list order. */
function itemsByElement(value: unknown, list: ListSchema): Map<string, unknown> {
  const items = new Map<string, unknown>();
  if (Array.isArray(value)) value.forEach((item, i) => items.set(itemElement(item, i, list), item));
  return items;
}

/**
 * Map-typed fields (free-form keys) whose node a write owns as a whole when it creates them. Go
 * structs always exist in the zero-value object kube-apiserver compares against, so creating a
 * struct does not make its node a member, but creating a map, a list or a list item does.
 */
const mapFields = new Set([
  'labels',
  'annotations',
  'nodeSelector',
  'matchLabels',
  'data',
  'stringData',
  'binaryData',
  'limits',
  'requests',
]);

function ownsNode(path: readonly string[], shape: Shape): boolean {
  const last = path[path.length - 1] ?? '';
  if (shape === 'list' || !last.startsWith('f:')) return true;
  return mapFields.has(last.slice(2));
}

/** What changed from `lhs` to `rhs`, path by path (compare.go). */
export function compareValues(lhs: unknown, rhs: unknown, schema: FieldSchema | undefined): Comparison {
  const result: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: unknown, r: unknown, path: string[]): void => {
    if (l === undefined) result.added.insert(path);
    else if (r === undefined) result.removed.insert(path);
    else if (!jsonEqual(l, r)) result.modified.insert(path);
  };
  const walk = (l: unknown, r: unknown, nodeSchema: FieldSchema | undefined, path: string[]): void => {
    const ls = shapeOf(l);
    const rs = shapeOf(r);
    const shape = ls === 'none' ? rs : ls;
    const isMixed = ls !== 'none' && rs !== 'none' && ls !== rs;
    const list = granularList(nodeSchema);
    if (isMixed || shape === 'scalar' || (shape === 'list' && list === undefined)) {
      leaf(l, r, path);
      return;
    }
    if (shape === 'object') {
      const lo = isJsonObject(l) ? l : {};
      const ro = isJsonObject(r) ? r : {};
      const isEmpty = Object.keys(lo).length === 0 && Object.keys(ro).length === 0;
      if (path.length > 0 && (nodeSchema?.applyAtomic === true || isEmpty)) {
        leaf(l, r, path);
        return;
      }
      for (const key of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        walk(lo[key], ro[key], fieldSchema(nodeSchema, key), [...path, fieldElement(key)]);
      }
    } else if (list !== undefined) {
      const lItems = itemsByElement(l, list);
      const rItems = itemsByElement(r, list);
      for (const element of new Set([...lItems.keys(), ...rItems.keys()])) {
        walk(lItems.get(element), rItems.get(element), itemSchema(list), [...path, element]);
      }
    }
    if (path.length === 0 || !ownsNode(path, shape)) return;
    if (l === undefined) result.added.insert(path);
    else if (r === undefined) result.removed.insert(path);
  };
  walk(lhs, rhs, schema, []);
  return result;
}
