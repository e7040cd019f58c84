/**
 * Reading and comparing fields of Kubernetes objects held as plain JSON. Objects reach the
 * controllers through the API (already validated), but the controllers still read them from
 * `unknown` so that a field of an unexpected type degrades to its default instead of a crash.
 */

export type JsonRecord = Record<string, unknown>;

/** `v` if it is a plain JSON object, else an empty one. */
export function asRecord(v: unknown): JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : {};
}

/** `v` if it is a plain JSON object, else undefined. */
export function recordOrUndefined(v: unknown): JsonRecord | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : undefined;
}

/** `v` if it is an array, else an empty one. */
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asString(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

export function asNumber(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** A `map[string]string` such as labels; non-string values are dropped. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asRecord(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/**
 * Drops what JSON serialisation with Go's `omitempty` would drop (null, empty objects and arrays),
 * so that two objects Kubernetes considers semantically equal compare equal here.
 */
export function normalizeJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeJson);
  if (typeof v === 'object' && v !== null) {
    const out: JsonRecord = {};
    for (const key of Object.keys(v).sort()) {
      const n = normalizeJson((v as JsonRecord)[key]);
      if (n === null || n === undefined) continue;
      if (Array.isArray(n) && n.length === 0) continue;
      if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[key] = n;
    }
    return out;
  }
  return v;
}

/** Stable JSON text (sorted keys, empties dropped) for hashing and comparison. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalizeJson(v)) ?? 'null';
}

/** Semantic equality in the sense of `apiequality.Semantic.DeepEqual` on JSON-shaped data. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}
