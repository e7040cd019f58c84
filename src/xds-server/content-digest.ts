/**
 * Content versions. Each resource's version is a hash of its JSON text; a type's version is the XOR
 * of the hashes of the resources it covers. XOR is order-independent and can be updated in O(1)
 * per changed resource, so a one-resource change never costs a pass over the whole set, and the
 * same content always yields the same version (on every stream, after every reconnect, on every
 * control-plane replica).
 *
 * The hash covers the JSON text as given: equal content with a different key order counts as a
 * change (one redundant push, never a missed one). Translation emits keys in a fixed order.
 */
import { createHash } from 'node:crypto';

/** 64 bits of a SHA-256 over the content, as hex and as two 32-bit halves for XOR. */
export interface ContentHash {
  readonly hex: string;
  readonly hi: number;
  readonly lo: number;
}

export function hashContent(text: string): ContentHash {
  const digest = createHash('sha256').update(text).digest();
  const hi = digest.readUInt32BE(0);
  const lo = digest.readUInt32BE(4);
  return { hex: digest.subarray(0, 8).toString('hex'), hi, lo };
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/** An order-independent digest over a set of content hashes. */
export class XorDigest {
  private hi = 0;
  private lo = 0;

  /** Adds a hash that is not in the set, or removes one that is (XOR is its own inverse). */
  toggle(hash: ContentHash): void {
    this.hi = (this.hi ^ hash.hi) >>> 0;
    this.lo = (this.lo ^ hash.lo) >>> 0;
  }

  reset(): void {
    this.hi = 0;
    this.lo = 0;
  }

  copyFrom(other: XorDigest): void {
    this.hi = other.hi;
    this.lo = other.lo;
  }

  /** The version string: 16 hex digits. */
  version(): string {
    return `${hex32(this.hi)}${hex32(this.lo)}`;
  }
}
