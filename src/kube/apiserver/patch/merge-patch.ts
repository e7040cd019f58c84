/**
 * JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything else replaces.
 */
import { cloneJson, isJsonObject } from './json-value.js';
import type { JsonObject } from './json-value.js';
import { badRequest } from './patch-errors.js';

function merge(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}

/**
 * Applies a merge patch to `doc`. kube-apiserver only accepts an object here: json-patch's
 * MergePatch answers anything else with ErrBadJSONPatch, which patch.go maps to 400.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) throw badRequest('Invalid JSON Patch');
  return merge(cloneJson(doc), patch);
}
