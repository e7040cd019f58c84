/** Narrowing helpers for manifests parsed from `unknown` JSON. */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function recordAt(parent: unknown, key: string): JsonRecord | undefined {
  if (!isRecord(parent)) return undefined;
  const v = parent[key];
  return isRecord(v) ? v : undefined;
}

export function arrayAt(parent: unknown, key: string): unknown[] | undefined {
  if (!isRecord(parent)) return undefined;
  const v = parent[key];
  return Array.isArray(v) ? v : undefined;
}

export function stringAt(parent: unknown, key: string): string | undefined {
  if (!isRecord(parent)) return undefined;
  const v = parent[key];
  return typeof v === 'string' ? v : undefined;
}

export function numberAt(parent: unknown, key: string): number | undefined {
  if (!isRecord(parent)) return undefined;
  const v = parent[key];
  return typeof v === 'number' ? v : undefined;
}

export function boolAt(parent: unknown, key: string): boolean | undefined {
  if (!isRecord(parent)) return undefined;
  const v = parent[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** A `map[string]string` field (labels, selectors); non-string values are left to the schema check. */
export function stringMapAt(parent: unknown, key: string): Record<string, string> {
  const r = recordAt(parent, key);
  const out: Record<string, string> = {};
  if (r === undefined) return out;
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** True when `key` is set to something other than null (Go's "field present" for pointers/slices). */
export function has(parent: unknown, key: string): boolean {
  return isRecord(parent) && parent[key] !== undefined && parent[key] !== null;
}
