/**
 * A fast path for the request a state-of-the-world stream sends most: the ACK. Envoy repeats its
 * whole subscription in every request (xDS protocol doc, "ACK/NACK and resource type instance
 * version"), so a sidecar that knows 1,000 clusters sends 1,000 EDS names with every EDS ACK.
 * Decoding them into fresh strings each time (through protobufjs and the JSON mapping) was most of
 * the control plane's cost per push in bench:xds scenario B. This scanner reads the envelope
 * itself and, when the names are byte for byte the list the stream sent last time for that type,
 * hands back that same array - no new strings, and `TypeSubscription` recognises it at once.
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
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** True when the span holds exactly the (ASCII) text. */
function spanEquals(bytes: Uint8Array, [start, end]: Span, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = start, j = 0; i < end; i++, j++) {
    const b = bytes[i] as number;
    if (b > 0x7f || b !== text.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * Scans a DiscoveryRequest. `previousNames(typeUrl)` gives the names array last decoded on this
 * stream for that type; equal names return that array itself.
 */
export function scanDiscoveryRequest(
  bytes: Uint8Array,
  previousNames: (typeUrl: string) => readonly string[] | undefined,
): ScannedRequest | undefined {
  const f = fieldNumbers();
  const length = bytes.length;
  let pos = 0;
  let version: Span | undefined;
  let typeUrl: Span | undefined;
  let nonce: Span | undefined;
  const names: Span[] = [];
  const varint = (): number | undefined => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= length) return undefined;
      const b = bytes[pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    return undefined;
  };
  while (pos < length) {
    const tag = varint();
    if (tag === undefined || (tag & 7) !== 2) return undefined;
    const size = varint();
    if (size === undefined || pos + size > length) return undefined;
    const span: Span = [pos, pos + size];
    pos += size;
    // Later occurrences of a singular field replace earlier ones, as protobufjs decodes them.
    switch (tag >>> 3) {
      case f.versionInfo:
        version = span;
        break;
      case f.resourceNames:
        names.push(span);
        break;
      case f.typeUrl:
        typeUrl = span;
        break;
      case f.responseNonce:
        nonce = span;
        break;
      default:
        return undefined;
    }
  }
  const text = (span: Span | undefined): string | undefined => (span === undefined ? '' : ascii(bytes, span));
  const typeUrlText = text(typeUrl);
  const versionText = text(version);
  const nonceText = text(nonce);
  if (typeUrlText === undefined || versionText === undefined || nonceText === undefined) return undefined;
  let resourceNames: readonly string[] | undefined = previousNames(typeUrlText);
  if (
    resourceNames === undefined ||
    resourceNames.length !== names.length ||
    !names.every((span, i) => spanEquals(bytes, span, (resourceNames as readonly string[])[i] as string))
  ) {
    const decoded: string[] = [];
    for (const span of names) {
      const name = ascii(bytes, span);
      if (name === undefined) return undefined;
      decoded.push(name);
    }
    resourceNames = decoded;
  }
  return { versionInfo: versionText, resourceNames, typeUrl: typeUrlText, responseNonce: nonceText };
}
