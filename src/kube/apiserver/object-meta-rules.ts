/**
 * Server-side bookkeeping rules for object metadata and versions: uids, timestamps, generation, the
 * storage version, and what create resets (the registry strategies' PrepareForCreate/PrepareForUpdate
 * in `pkg/registry/*`).
 */
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { randomBelow } from '../../core/random.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import { apiVersionOf } from './kube-object.js';

/** RFC 3339 with second precision, as Kubernetes writes `metav1.Time`. */
export function rfc3339(clock: Clock): string {
  return new Date(clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A random (version 4) UUID drawn from the injected Random. */
export function newUid(random: Random): string {
  const bytes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = random.nextU32();
    bytes.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// apimachinery `util/rand`: consonants and digits that cannot spell words.
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 random characters (`names.SimpleNameGenerator`). */
export function generateName(prefix: string, random: Random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += nameAlphabet[randomBelow(random, nameAlphabet.length)];
  return `${prefix.slice(0, 58)}${suffix}`;
}

export function storageApiVersion(resource: ResourceType): string {
  return apiVersionOf(resource, resource.versions[0] ?? 'v1');
}

/** The object as served at `version` (Istio kinds are stored once; only apiVersion differs). */
export function atVersion(object: KubeObject, resource: ResourceType, version: string): KubeObject {
  const apiVersion = apiVersionOf(resource, version);
  return object.apiVersion === apiVersion ? object : { ...object, apiVersion };
}

/** Everything but metadata and status, the part whose change bumps `metadata.generation`. */
function specPart(object: KubeObject): string {
  const rest: Record<string, unknown> = { ...object };
  delete rest['metadata'];
  delete rest['status'];
  delete rest['apiVersion'];
  delete rest['kind'];
  return canonicalJson(rest);
}

/** JSON with sorted object keys, so that equal objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

export function isSpecChanged(previous: KubeObject, next: KubeObject): boolean {
  return specPart(previous) !== specPart(next);
}

/** Whether two versions of an object differ in anything but resourceVersion and managedFields. */
export function isMeaningfullyChanged(previous: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const metadata = { ...o.metadata };
    delete metadata.resourceVersion;
    delete metadata.managedFields;
    return { ...o, metadata };
  };
  return canonicalJson(strip(previous)) !== canonicalJson(strip(next));
}

/** Whether ownership changed, ignoring the timestamps a no-op write would refresh. */
export function isManagedFieldsChanged(previous: unknown, next: unknown): boolean {
  const strip = (entries: unknown): unknown =>
    Array.isArray(entries)
      ? entries.map((e: unknown) => {
          const copy = { ...(e as Record<string, unknown>) };
          delete copy['time'];
          return copy;
        })
      : [];
  return canonicalJson(strip(previous)) !== canonicalJson(strip(next));
}

/** The status a new object starts with: strategies reset it on create (pods start Pending). */
export function initialStatus(resource: ResourceType, sent: unknown): unknown {
  if (resource.plural === 'namespaces') return { phase: 'Active' };
  if (resource.plural === 'pods') return { phase: 'Pending' };
  // Node registration carries its status (`pkg/registry/core/node/strategy.go` keeps it).
  if (resource.plural === 'nodes') return sent;
  if (resource.subresources.includes('status')) return undefined;
  return sent;
}
