/**
 * The workload identity Istio's telemetry exchanges between proxies (istio/proxy
 * `extensions/common/metadata_object.{h,cc}` WorkloadMetadataObject), and the two encodings the
 * Spillway proxy reads and writes:
 *
 * - the `x-envoy-peer-metadata` header: base64 of a binary `google.protobuf.Struct` with the fields
 *   `NAME`, `NAMESPACE`, `WORKLOAD_NAME`, `CLUSTER_ID`, `OWNER` and `LABELS` (`app`, `version`,
 *   `service.istio.io/canonical-name`, `service.istio.io/canonical-revision`), map keys sorted
 *   (protobuf deterministic serialization); `convertWorkloadMetadataToStruct`,
 *   `convertStructToWorkloadMetadata`;
 * - the endpoint metadata `istio.workload` = `workload;namespace;canonical name;canonical revision;cluster`
 *   (`convertEndpointMetadata`; at least 5 parts, else nothing).
 *
 * The Struct codec is the minimal protobuf wire format for these two messages (Struct field 1 = map
 * entries; Value field 3 = string, 5 = struct); other Value kinds are skipped. Header values come from
 * the network: any malformed input decodes to `undefined`, never an exception.
 */

export interface WorkloadPeer {
  /** Pod name (`NAME`). */
  readonly instanceName: string;
  readonly namespace: string;
  readonly workloadName: string;
  readonly clusterId: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
  readonly appName: string;
  readonly appVersion: string;
}

const canonicalNameLabel = 'service.istio.io/canonical-name';
const canonicalRevisionLabel = 'service.istio.io/canonical-revision';

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function recordOf(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** From node metadata (or a decoded Struct): the fields `convertStructToWorkloadMetadata` reads. */
export function workloadPeerOf(metadata: Readonly<Record<string, unknown>>): WorkloadPeer {
  const labels = recordOf(metadata['LABELS']);
  return {
    instanceName: stringOf(metadata['NAME']),
    namespace: stringOf(metadata['NAMESPACE']),
    workloadName: stringOf(metadata['WORKLOAD_NAME']),
    clusterId: stringOf(metadata['CLUSTER_ID']),
    canonicalName: stringOf(labels[canonicalNameLabel]),
    canonicalRevision: stringOf(labels[canonicalRevisionLabel]),
    appName: stringOf(labels['app']),
    appVersion: stringOf(labels['version']),
  };
}

/** `istio.workload` endpoint metadata; undefined with fewer than five parts. */
export function workloadPeerOfEndpoint(encoded: string): WorkloadPeer | undefined {
  const parts = encoded.split(';');
  if (parts.length < 5) return undefined;
  return {
    instanceName: '',
    workloadName: parts[0] as string,
    namespace: parts[1] as string,
    canonicalName: parts[2] as string,
    canonicalRevision: parts[3] as string,
    clusterId: parts[4] as string,
    appName: '',
    appVersion: '',
  };
}

// ---- protobuf wire format ----

type StructValue = string | StructMap;
interface StructMap {
  readonly [key: string]: StructValue;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function lengthDelimited(tag: number, bytes: readonly number[] | Buffer): number[] {
  return [tag, ...varint(bytes.length), ...bytes];
}

function encodeStruct(map: StructMap): number[] {
  const out: number[] = [];
  for (const key of Object.keys(map).sort()) {
    const value = map[key] as StructValue;
    // Value: string_value = 3 (tag 0x1a), struct_value = 5 (tag 0x2a).
    const encodedValue =
      typeof value === 'string'
        ? lengthDelimited(0x1a, Buffer.from(value, 'utf8'))
        : lengthDelimited(0x2a, encodeStruct(value));
    // Map entry: key = 1 (0x0a), value = 2 (0x12); Struct.fields = 1 (0x0a).
    const entry = [
      ...lengthDelimited(0x0a, Buffer.from(key, 'utf8')),
      ...lengthDelimited(0x12, encodedValue),
    ];
    out.push(...lengthDelimited(0x0a, entry));
  }
  return out;
}

class Reader {
  pos: number;
  constructor(
    private readonly bytes: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  get isDone(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new RangeError('varint too long');
  }
  /** A length-delimited field's bounds. */
  sub(): Reader {
    const length = this.varint();
    if (this.pos + length > this.end) throw new RangeError('truncated field');
    const reader = new Reader(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }
  text(): string {
    const sub = this.sub();
    return this.bytes.toString('utf8', sub.pos, sub.end);
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.sub();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`wire type ${wireType}`);
    if (this.pos > this.end) throw new RangeError('truncated field');
  }
}

function decodeValue(reader: Reader, depth: number): StructValue | undefined {
  let value: StructValue | undefined;
  while (!reader.isDone) {
    const tag = reader.varint();
    if (tag === 0x1a) value = reader.text();
    else if (tag === 0x2a && depth < 4) value = decodeStruct(reader.sub(), depth + 1);
    else reader.skip(tag & 7);
  }
  return value;
}

function decodeStruct(reader: Reader, depth: number): StructMap {
  const out: Record<string, StructValue> = {};
  while (!reader.isDone) {
    const tag = reader.varint();
    if (tag !== 0x0a) {
      reader.skip(tag & 7);
      continue;
    }
    const entry = reader.sub();
    let key: string | undefined;
    let value: StructValue | undefined;
    while (!entry.isDone) {
      const entryTag = entry.varint();
      if (entryTag === 0x0a) key = entry.text();
      else if (entryTag === 0x12) value = decodeValue(entry.sub(), depth);
      else entry.skip(entryTag & 7);
    }
    if (key !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

/** The `x-envoy-peer-metadata` value of a workload (`MXPropagationMethod::computeValue`). */
export function encodePeerMetadataHeader(peer: WorkloadPeer): string {
  const struct: Record<string, StructValue> = {};
  if (peer.instanceName !== '') struct['NAME'] = peer.instanceName;
  if (peer.namespace !== '') struct['NAMESPACE'] = peer.namespace;
  if (peer.workloadName !== '') struct['WORKLOAD_NAME'] = peer.workloadName;
  if (peer.clusterId !== '') struct['CLUSTER_ID'] = peer.clusterId;
  const labels: Record<string, StructValue> = {};
  if (peer.canonicalName !== '') labels[canonicalNameLabel] = peer.canonicalName;
  if (peer.canonicalRevision !== '') labels[canonicalRevisionLabel] = peer.canonicalRevision;
  if (peer.appName !== '') labels['app'] = peer.appName;
  if (peer.appVersion !== '') labels['version'] = peer.appVersion;
  struct['LABELS'] = labels;
  return Buffer.from(encodeStruct(struct)).toString('base64');
}

/** Decodes an `x-envoy-peer-metadata` value; undefined if it is not base64 of a Struct. */
export function decodePeerMetadataHeader(value: string): WorkloadPeer | undefined {
  // Base64::decodeWithoutPadding: standard alphabet, padding optional.
  if (value === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  try {
    return workloadPeerOf(decodeStruct(new Reader(bytes, 0, bytes.length), 0));
  } catch {
    return undefined;
  }
}
