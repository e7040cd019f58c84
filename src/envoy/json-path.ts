/**
 * JSON paths as config errors print them: `static_resources.clusters[0].outlier_detection`, with map
 * keys in brackets (`typed_per_filter_config["envoy.filters.http.fault"]`).
 */

/** `parent.field`, or `field` at the root. */
export function fieldPath(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

/** `parent[index]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** `parent["key"]` (JSON-quoted so that dots and brackets inside keys stay unambiguous). */
export function keyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}
