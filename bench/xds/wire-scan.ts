/**
 * Just enough protobuf reading for a simulated proxy to answer like Envoy without decoding whole
 * responses: the envelope of a `DiscoveryResponse` (version_info = 1, resources = 2, type_url = 4,
 * nonce = 5) and the name (field 1) of each resource inside its `google.protobuf.Any` (type_url = 1,
 * value = 2) - `Cluster.name`, `ClusterLoadAssignment.cluster_name`, `RouteConfiguration.name`,
 * `Listener.name` are all field 1. Field numbers from envoy/service/discovery/v3/discovery.proto and
 * the resource protos.
 */

export interface ResponseEnvelope {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Each resource's `Any.value` bytes (views into the response, not copies). */
  readonly resources: readonly Uint8Array[];
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get isDone(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error('truncated varint');
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }

  /** Reads a tag; returns [field, wireType]. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  lengthDelimited(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.bytes.length) throw new Error('truncated field');
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

const utf8 = new TextDecoder();

export function scanResponse(bytes: Uint8Array): ResponseEnvelope {
  const r = new Reader(bytes);
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const resources: Uint8Array[] = [];
  while (!r.isDone) {
    const [field, wire] = r.tag();
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    const value = r.lengthDelimited();
    if (field === 1) versionInfo = utf8.decode(value);
    else if (field === 4) typeUrl = utf8.decode(value);
    else if (field === 5) nonce = utf8.decode(value);
    else if (field === 2) resources.push(anyValue(value));
  }
  return { versionInfo, typeUrl, nonce, resources };
}

function anyValue(any: Uint8Array): Uint8Array {
  const r = new Reader(any);
  while (!r.isDone) {
    const [field, wire] = r.tag();
    if (field === 2 && wire === 2) return r.lengthDelimited();
    r.skip(wire);
  }
  return new Uint8Array(0);
}

/** Field 1 (a string) of a resource message: its name. */
export function resourceName(message: Uint8Array): string {
  const r = new Reader(message);
  while (!r.isDone) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) return utf8.decode(r.lengthDelimited());
    r.skip(wire);
  }
  return '';
}

/**
 * The bytes an IPv4 address has inside an encoded `SocketAddress` (field 2, `address`, a string):
 * tag 0x12, length, text. A fresh marker address found this way is in some endpoint of the message.
 */
export function socketAddressNeedle(address: string): Buffer {
  const text = Buffer.from(address, 'utf8');
  return Buffer.concat([Buffer.from([0x12, text.length]), text]);
}
