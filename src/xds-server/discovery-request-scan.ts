/**
 * A fast path for the request a state-of-the-world stream sends most: the ACK. Envoy repeats its
 * whole subscription in every request (xDS protocol doc, "ACK/NACK and resource type instance
 * version"), so a sidecar that knows 1,000 clusters sends 1,000 EDS names with every EDS ACK.
 * Decoding them into fresh strings each time (through protobufjs and the JSON mapping) was most of
 * the control plane's cost per push in bench:xds scenario B. This scanner reads the envelope
 * itself and, when the names are byte for byte a list it read before (the same proxy's last ACK,
 * or another proxy's with the same subscription), hands back that same array - one native copy
 * and a map lookup instead of a thousand new strings, and `TypeSubscription` recognises the list
 * at once.
 *
 * It only accepts the plain shape: version, names, type URL and nonce with their declared wire
 * types, ASCII text. Anything else - a `node` (first requests), an `error_detail` (NACKs), other or
 * unknown fields, non-ASCII text, truncation - returns undefined and the caller decodes with the
 * codec as before, so odd or malformed input is handled, and refused, exactly as it always was.
 * Field numbers come from the reflected protos.
 */
import { lookupMessageType } from '../envoy/proto-registry.js';

export interface ScannedRequest {
  readonly versionInfo: string;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
}

interface Fields {
  readonly versionInfo: number;
  readonly resourceNames: number;
  readonly typeUrl: number;
  readonly responseNonce: number;
}

let fields: Fields | undefined;

function fieldNumbers(): Fields {
  if (fields === undefined) {
    const type = lookupMessageType('envoy.service.discovery.v3.DiscoveryRequest');
    const id = (name: string): number => {
      const field = type?.fields[name];
      if (field === undefined) throw new Error(`DiscoveryRequest has no field ${name}`);
      return field.id;
    };
    fields = {
      versionInfo: id('version_info'),
      resourceNames: id('resource_names'),
      typeUrl: id('type_url'),
      responseNonce: id('response_nonce'),
    };
  }
  return fields;
}

/** [start, end) of a length-delimited value. */
type Span = readonly [number, number];

/** Latin-1 of an ASCII-only span, or undefined if a byte is not ASCII. */
function ascii(bytes: Uint8Array, [start, end]: Span): string | undefined {
  for (let i = start; i < end; i++) if ((bytes[i] as number) > 0x7f) return undefined;
  return latin1(bytes, start, end);
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/**
 * Decoded `resource_names` lists by the exact bytes they were read from. Sidecars that see the same
 * services send the same list, so a few entries serve a whole fleet. A lookup hashes a few bytes
 * (length, count, both ends) and confirms with a byte comparison against the stored copy - no
 * string is built for a list seen before. Bounded: it is simply emptied when full.
 */
export class ResourceNamesCache {
  private readonly lists = new Map<string, { readonly bytes: Buffer; readonly names: readonly string[] }[]>();
  private storedBytes = 0;

  constructor(
    private readonly maxLists = 4096,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  private static key(region: Uint8Array, count: number): string {
    const edge = Math.min(64, region.length);
    const head = Buffer.from(region.buffer, region.byteOffset, edge).toString('latin1');
    const tail = Buffer.from(region.buffer, region.byteOffset + region.length - edge, edge).toString(
      'latin1',
    );
    return `${region.length}|${count}|${head}|${tail}`;
  }

  get(region: Uint8Array, count: number): readonly string[] | undefined {
    const candidates = this.lists.get(ResourceNamesCache.key(region, count));
    if (candidates === undefined) return undefined;
    const view = Buffer.from(region.buffer, region.byteOffset, region.length);
    return candidates.find((c) => c.bytes.equals(view))?.names;
  }

  set(region: Uint8Array, count: number, names: readonly string[]): void {
    if (this.lists.size >= this.maxLists || this.storedBytes + region.length > this.maxBytes) {
      this.lists.clear();
      this.storedBytes = 0;
    }
    const key = ResourceNamesCache.key(region, count);
    let candidates = this.lists.get(key);
    if (candidates === undefined) this.lists.set(key, (candidates = []));
    // A copy: the request's buffer must not be kept alive by the cache.
    candidates.push({ bytes: Buffer.from(region), names });
    this.storedBytes += region.length;
  }
}

/** Scans a DiscoveryRequest; a names list read before (same bytes) comes back as the same array. */
export function scanDiscoveryRequest(
  bytes: Uint8Array,
  cache: ResourceNamesCache,
): ScannedRequest | undefined {
  const f = fieldNumbers();
  const length = bytes.length;
  let pos = 0;
  let version: Span | undefined;
  let typeUrl: Span | undefined;
  let nonce: Span | undefined;
  let count = 0;
  /** Where the names run from and to (tags included), while they are contiguous. */
  let namesStart = -1;
  let namesEnd = -1;
  let isContiguous = true;
  while (pos < length) {
    const tagStart = pos;
    // Every field this scanner accepts has a one-byte tag (field number below 16).
    const tag = bytes[pos++] as number;
    if (tag > 0x7f || (tag & 7) !== 2) return undefined;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= length || shift > 28) return undefined;
      const b = bytes[pos++] as number;
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (pos + size > length) return undefined;
    const field = tag >>> 3;
    // Later occurrences of a singular field replace earlier ones, as protobufjs decodes them.
    if (field === f.resourceNames) {
      if (namesStart < 0) namesStart = tagStart;
      else if (namesEnd !== tagStart) isContiguous = false;
      namesEnd = pos + size;
      count++;
    } else if (field === f.versionInfo) version = [pos, pos + size];
    else if (field === f.typeUrl) typeUrl = [pos, pos + size];
    else if (field === f.responseNonce) nonce = [pos, pos + size];
    else return undefined;
    pos += size;
  }
  const text = (span: Span | undefined): string | undefined => (span === undefined ? '' : ascii(bytes, span));
  const typeUrlText = text(typeUrl);
  const versionText = text(version);
  const nonceText = text(nonce);
  if (typeUrlText === undefined || versionText === undefined || nonceText === undefined) return undefined;
  if (count === 0)
    return { versionInfo: versionText, resourceNames: [], typeUrl: typeUrlText, responseNonce: nonceText };
  const region = isContiguous ? bytes.subarray(namesStart, namesEnd) : undefined;
  let resourceNames = region === undefined ? undefined : cache.get(region, count);
  if (resourceNames === undefined) {
    const decoded = decodeNames(bytes, f.resourceNames);
    if (decoded === undefined) return undefined;
    resourceNames = decoded;
    if (region !== undefined) cache.set(region, count, decoded);
  }
  return { versionInfo: versionText, resourceNames, typeUrl: typeUrlText, responseNonce: nonceText };
}

/** Every `resource_names` entry of a request already scanned as well formed; undefined if one is not ASCII. */
function decodeNames(bytes: Uint8Array, namesField: number): string[] | undefined {
  const names: string[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++] as number;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++] as number;
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (tag >>> 3 === namesField) {
      const name = ascii(bytes, [pos, pos + size]);
      if (name === undefined) return undefined;
      names.push(name);
    }
    pos += size;
  }
  return names;
}
