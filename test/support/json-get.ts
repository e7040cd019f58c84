/**
 * Reads into parsed JSON by a dotted path (`configs.1.dynamic_active_clusters`), for assertions on
 * admin output; undefined when any step is missing.
 */
export function jsonGet(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path === '' ? [] : path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `jsonGet` of a list, and `pick` of each element's fields. */
export function jsonPick(value: unknown, path: string, fields: readonly string[]): unknown[][] {
  const list = jsonGet(value, path);
  if (!Array.isArray(list)) return [];
  return list.map((item) => fields.map((field) => jsonGet(item, field)));
}
