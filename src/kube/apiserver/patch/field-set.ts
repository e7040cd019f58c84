/**
 * Sets of field paths in the FieldsV1 form of `metadata.managedFields`
 * (sigs.k8s.io/structured-merge-diff fieldpath): a tree whose edges are path elements - `f:<field>`,
 * `k:<json of the list item's keys>`, `v:<json of a set value>`, `i:<index>` - and whose nodes are
 * members of the set or only lead to members (a member with children is written as `".": {}`).
 *
 * Example: `{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":
 * {".":{},"f:image":{}}}}}}}` holds `.spec.replicas`, the container item `a` and its `image`.
 */
import { isJsonObject } from './json-value.js';
import type { JsonObject } from './json-value.js';

export class FieldSet {
  isMember = false;
  readonly children = new Map<string, FieldSet>();

  /** The child for a path element, created when missing. */
  child(element: string): FieldSet {
    let node = this.children.get(element);
    if (node === undefined) {
      node = new FieldSet();
      this.children.set(element, node);
    }
    return node;
  }

  /** True when the set holds no member. */
  isEmpty(): boolean {
    if (this.isMember) return false;
    for (const node of this.children.values()) if (!node.isEmpty()) return false;
    return true;
  }

  /** Adds `path` (a list of path elements) as a member. */
  insert(path: readonly string[]): void {
    const node = path.reduce<FieldSet>((parent, element) => parent.child(element), this);
    node.isMember = true;
  }

  /** True when `path` is a member. */
  has(path: readonly string[]): boolean {
    return this.nodeAt(path)?.isMember === true;
  }

  /** True when `path` or anything below it is a member. */
  hasAtOrBelow(path: readonly string[]): boolean {
    const node = this.nodeAt(path);
    return node !== undefined && !node.isEmpty();
  }

  nodeAt(path: readonly string[]): FieldSet | undefined {
    return path.reduce<FieldSet | undefined>((parent, element) => parent?.children.get(element), this);
  }

  /** Every member path, depth first in insertion order. */
  paths(prefix: readonly string[] = []): string[][] {
    const result: string[][] = this.isMember ? [[...prefix]] : [];
    for (const [element, node] of this.children) result.push(...node.paths([...prefix, element]));
    return result;
  }

  union(other: FieldSet): FieldSet {
    const result = this.clone();
    for (const path of other.paths()) result.insert(path);
    return result;
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) if (!other.has(path)) result.insert(path);
    return result;
  }

  intersection(other: FieldSet): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) if (other.has(path)) result.insert(path);
    return result;
  }

  clone(): FieldSet {
    const result = new FieldSet();
    result.isMember = this.isMember;
    for (const [element, node] of this.children) result.children.set(element, node.clone());
    return result;
  }

  /** The FieldsV1 JSON of this set. */
  toFieldsV1(): JsonObject {
    const result: JsonObject = {};
    if (this.isMember && this.children.size > 0) result['.'] = {};
    const elements = [...this.children.keys()].sort(compareElements);
    for (const element of elements) {
      const node = this.children.get(element);
      if (node !== undefined && !node.isEmpty()) result[element] = node.toFieldsV1();
    }
    return result;
  }

  /** Parses FieldsV1 JSON (as stored in managedFields); unknown shapes are ignored. */
  static fromFieldsV1(json: unknown): FieldSet {
    const result = new FieldSet();
    const read = (node: FieldSet, value: unknown): void => {
      if (!isJsonObject(value)) return;
      const keys = Object.keys(value);
      if (keys.length === 0) node.isMember = true;
      for (const key of keys) {
        if (key === '.') node.isMember = true;
        else read(node.child(key), value[key]);
      }
    };
    for (const [key, value] of Object.entries(isJsonObject(json) ? json : {})) {
      if (key !== '.') read(result.child(key), value);
    }
    return result;
  }
}

const elementKinds = ['f', 'v', 'i', 'k'];

/** structured-merge-diff serializes fields, then values, indexes and keys, each sorted. */
function compareElements(a: string, b: string): number {
  const byKind = elementKinds.indexOf(a.slice(0, 1)) - elementKinds.indexOf(b.slice(0, 1));
  if (byKind !== 0) return byKind;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted, as path element keys and values are written. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fieldElement(name: string): string {
  return `f:${name}`;
}

export function keyElement(keys: JsonObject): string {
  return `k:${canonicalJson(keys)}`;
}

export function valueElement(value: unknown): string {
  return `v:${canonicalJson(value)}`;
}

/**
 * A path as structured-merge-diff prints it in conflict messages:
 * `.spec.template.spec.containers[name="default"].image`, `[containerPort=80,protocol="TCP"]`,
 * `[="value"]`, `[0]`.
 */
export function formatPath(path: readonly string[]): string {
  return path
    .map((element) => {
      const body = element.slice(2);
      switch (element.slice(0, 2)) {
        case 'f:':
          return `.${body}`;
        case 'k:': {
          const keys: unknown = JSON.parse(body);
          if (!isJsonObject(keys)) return `[${body}]`;
          const parts = Object.keys(keys)
            .sort()
            .map((key) => `${key}=${canonicalJson(keys[key])}`);
          return `[${parts.join(',')}]`;
        }
        case 'v:':
          return `[=${body}]`;
        case 'i:':
          return `[${body}]`;
        default:
          return element;
      }
    })
    .join('');
}
