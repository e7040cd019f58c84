/**
 * The `pod-template-hash` of a Deployment's pod template (`controller.ComputeHash`): FNV-1a (32 bit)
 * over the template, with the Deployment's collisionCount mixed in, printed in decimal and then
 * mapped byte by byte onto the alphabet of `rand.SafeEncodeString`. Kubernetes hashes Go's
 * `%#v` dump of the struct, which we cannot reproduce; we hash the canonical JSON instead, so our
 * hashes are stable but differ from a real cluster's. The decimal is zero-padded to 10 digits so
 * every hash has 10 characters.
 */
import { canonicalJson } from './json-fields.js';
import { NAME_SUFFIX_ALPHABET } from './owner-references.js';
import { POD_TEMPLATE_HASH_LABEL } from './rollout-math.js';

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Removes the pod-template-hash label so templates compare and hash as Kubernetes does. */
export function withoutHashLabel(template: unknown): unknown {
  if (typeof template !== 'object' || template === null) return template;
  const copy = structuredClone(template) as Record<string, unknown>;
  const meta = copy['metadata'];
  if (typeof meta === 'object' && meta !== null) {
    const labels = (meta as Record<string, unknown>)['labels'];
    if (typeof labels === 'object' && labels !== null)
      delete (labels as Record<string, unknown>)[POD_TEMPLATE_HASH_LABEL];
  }
  return copy;
}

export function computePodTemplateHash(template: unknown, collisionCount: number | undefined): string {
  let text = canonicalJson(withoutHashLabel(template));
  if (collisionCount !== undefined) text += `#${collisionCount}`;
  const decimal = String(fnv1a32(text)).padStart(10, '0');
  let out = '';
  for (let i = 0; i < decimal.length; i++)
    out += NAME_SUFFIX_ALPHABET[decimal.charCodeAt(i) % NAME_SUFFIX_ALPHABET.length];
  return out;
}
