/**
 * The ADS messages on the wire. Requests are decoded with the codec (`decodeProtoJson`) and then
 * parsed from `unknown`; responses are assembled from bytes encoded once per resource content
 * version: a DiscoveryResponse is its envelope fields plus, for each resource, the
 * already-framed `resources` entry (tag, length, encoded `Any`), so serving one resource to a
 * thousand proxies encodes it once. Field numbers come from the reflected Envoy protos, not
 * from constants copied here.
 */
import { encodeProtoObject, decodeProtoJson, type EncodedAny } from '../envoy/proto-json-codec.js';
import { lookupMessageType } from '../envoy/proto-registry.js';
import { scanDiscoveryRequest, type ResourceNamesCache } from './discovery-request-scan.js';

export const discoveryRequestType = 'envoy.service.discovery.v3.DiscoveryRequest';
export const discoveryResponseType = 'envoy.service.discovery.v3.DiscoveryResponse';
export const deltaDiscoveryRequestType = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
export const deltaDiscoveryResponseType = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

/** A request or a field of it that is not what the protocol allows. */
export class XdsProtocolError extends Error {
  override readonly name = 'XdsProtocolError';
}

/** `error_detail` of a NACK (a `google.rpc.Status`). */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A state-of-the-world DiscoveryRequest. `node` is the raw proto3 JSON (present on the first request). */
export interface DiscoveryRequestMessage {
  readonly versionInfo: string;
  readonly node: unknown;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** An incremental DeltaDiscoveryRequest. */
export interface DeltaDiscoveryRequestMessage {
  readonly node: unknown;
  readonly typeUrl: string;
  readonly resourceNamesSubscribe: readonly string[];
  readonly resourceNamesUnsubscribe: readonly string[];
  readonly initialResourceVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

// ---------------------------------------------------------------- decoding requests

function decodeRequest(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  try {
    return decodeProtoJson(typeName, bytes, { opaqueUnknownAny: true });
  } catch (err) {
    throw new XdsProtocolError(
      `malformed ${typeName.split('.').pop() ?? typeName}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function stringField(json: Record<string, unknown>, field: string): string {
  const value = json[field];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new XdsProtocolError(`${field} is not a string`);
  return value;
}

function stringList(json: Record<string, unknown>, field: string): string[] {
  const value = json[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new XdsProtocolError(`${field} is not a list of strings`);
  return value;
}

function errorDetailField(json: Record<string, unknown>): ErrorDetail | undefined {
  const value = json['error_detail'];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null)
    throw new XdsProtocolError('error_detail is not a message');
  const detail = value as Record<string, unknown>;
  const code = detail['code'] ?? 0;
  const message = detail['message'] ?? '';
  return { code: typeof code === 'number' ? code : 0, message: typeof message === 'string' ? message : '' };
}

/**
 * Decodes a state-of-the-world request. With a `ResourceNamesCache`, a plain request (an ACK) is
 * read by `scanDiscoveryRequest`, and a names list read before comes back as the same array.
 */
export function decodeDiscoveryRequest(
  bytes: Uint8Array,
  namesCache?: ResourceNamesCache,
): DiscoveryRequestMessage {
  const scanned = namesCache === undefined ? undefined : scanDiscoveryRequest(bytes, namesCache);
  if (scanned !== undefined) return { ...scanned, node: undefined, errorDetail: undefined };
  const json = decodeRequest(discoveryRequestType, bytes);
  return {
    versionInfo: stringField(json, 'version_info'),
    node: json['node'],
    resourceNames: stringList(json, 'resource_names'),
    typeUrl: stringField(json, 'type_url'),
    responseNonce: stringField(json, 'response_nonce'),
    errorDetail: errorDetailField(json),
  };
}

export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequestMessage {
  const json = decodeRequest(deltaDiscoveryRequestType, bytes);
  const initial = new Map<string, string>();
  const versions = json['initial_resource_versions'];
  if (versions !== undefined) {
    if (typeof versions !== 'object' || versions === null)
      throw new XdsProtocolError('initial_resource_versions is not a map');
    for (const [name, version] of Object.entries(versions)) {
      if (typeof version !== 'string')
        throw new XdsProtocolError('initial_resource_versions is not a string map');
      initial.set(name, version);
    }
  }
  return {
    node: json['node'],
    typeUrl: stringField(json, 'type_url'),
    resourceNamesSubscribe: stringList(json, 'resource_names_subscribe'),
    resourceNamesUnsubscribe: stringList(json, 'resource_names_unsubscribe'),
    initialResourceVersions: initial,
    responseNonce: stringField(json, 'response_nonce'),
    errorDetail: errorDetailField(json),
  };
}

// ---------------------------------------------------------------- encoding responses

interface FieldNumbers {
  readonly response: { versionInfo: number; resources: number; typeUrl: number; nonce: number };
  readonly delta: {
    systemVersionInfo: number;
    resources: number;
    typeUrl: number;
    removedResources: number;
    nonce: number;
  };
  readonly resource: { name: number; version: number; resource: number };
}

let fieldNumbers: FieldNumbers | undefined;

function fieldsOf(typeName: string, names: readonly string[]): Record<string, number> {
  const type = lookupMessageType(typeName);
  if (type === undefined) throw new Error(`${typeName} is not among the shipped protos`);
  const out: Record<string, number> = {};
  for (const name of names) {
    const field = type.fields[name];
    if (field === undefined) throw new Error(`${typeName} has no field ${name}`);
    out[name] = field.id;
  }
  return out;
}

function numbers(): FieldNumbers {
  if (fieldNumbers === undefined) {
    const r = fieldsOf(discoveryResponseType, ['version_info', 'resources', 'type_url', 'nonce']);
    const d = fieldsOf(deltaDiscoveryResponseType, [
      'system_version_info',
      'resources',
      'type_url',
      'removed_resources',
      'nonce',
    ]);
    const res = fieldsOf('envoy.service.discovery.v3.Resource', ['name', 'version', 'resource']);
    const n = (table: Record<string, number>, key: string): number => table[key] ?? 0;
    fieldNumbers = {
      response: {
        versionInfo: n(r, 'version_info'),
        resources: n(r, 'resources'),
        typeUrl: n(r, 'type_url'),
        nonce: n(r, 'nonce'),
      },
      delta: {
        systemVersionInfo: n(d, 'system_version_info'),
        resources: n(d, 'resources'),
        typeUrl: n(d, 'type_url'),
        removedResources: n(d, 'removed_resources'),
        nonce: n(d, 'nonce'),
      },
      resource: { name: n(res, 'name'), version: n(res, 'version'), resource: n(res, 'resource') },
    };
  }
  return fieldNumbers;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field (wire type 2): tag, length, bytes. */
function lengthDelimited(fieldNumber: number, bytes: Uint8Array): Buffer {
  const head = [...varint(fieldNumber * 8 + 2), ...varint(bytes.length)];
  const out = Buffer.allocUnsafe(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

function stringFieldBytes(fieldNumber: number, text: string): Buffer | undefined {
  // proto3: a string at its default ("") is not written.
  return text === '' ? undefined : lengthDelimited(fieldNumber, Buffer.from(text, 'utf8'));
}

/** The bytes of a `google.protobuf.Any` message. */
export function encodeAnyMessage(any: EncodedAny): Uint8Array {
  return encodeProtoObject('google.protobuf.Any', { type_url: any.type_url, value: any.value });
}

/** One `DiscoveryResponse.resources` entry, framed, from the bytes of an `Any` message. */
export function sotwResourceEntry(anyMessage: Uint8Array): Buffer {
  return lengthDelimited(numbers().response.resources, anyMessage);
}

/** One `DeltaDiscoveryResponse.resources` entry (a framed `Resource{name, version, resource}`). */
export function deltaResourceEntry(name: string, version: string, anyMessage: Uint8Array): Buffer {
  const f = numbers().resource;
  const parts = [
    stringFieldBytes(f.version, version),
    lengthDelimited(f.resource, anyMessage),
    stringFieldBytes(f.name, name),
  ].filter((p): p is Buffer => p !== undefined);
  return lengthDelimited(numbers().delta.resources, Buffer.concat(parts));
}

export interface DiscoveryResponseParts {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Entries from {@link sotwResourceEntry}. */
  readonly resourceEntries: readonly Uint8Array[];
}

export function encodeDiscoveryResponse(parts: DiscoveryResponseParts): Buffer {
  const f = numbers().response;
  const chunks: Uint8Array[] = [];
  const version = stringFieldBytes(f.versionInfo, parts.versionInfo);
  if (version !== undefined) chunks.push(version);
  chunks.push(...parts.resourceEntries);
  const typeUrl = stringFieldBytes(f.typeUrl, parts.typeUrl);
  if (typeUrl !== undefined) chunks.push(typeUrl);
  const nonce = stringFieldBytes(f.nonce, parts.nonce);
  if (nonce !== undefined) chunks.push(nonce);
  return Buffer.concat(chunks);
}

export interface DeltaDiscoveryResponseParts {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Entries from {@link deltaResourceEntry}. */
  readonly resourceEntries: readonly Uint8Array[];
  readonly removedResources: readonly string[];
}

export function encodeDeltaDiscoveryResponse(parts: DeltaDiscoveryResponseParts): Buffer {
  const f = numbers().delta;
  const chunks: Uint8Array[] = [];
  const version = stringFieldBytes(f.systemVersionInfo, parts.systemVersionInfo);
  if (version !== undefined) chunks.push(version);
  chunks.push(...parts.resourceEntries);
  const typeUrl = stringFieldBytes(f.typeUrl, parts.typeUrl);
  if (typeUrl !== undefined) chunks.push(typeUrl);
  const nonce = stringFieldBytes(f.nonce, parts.nonce);
  if (nonce !== undefined) chunks.push(nonce);
  // A removed name is written even when empty: it is an element of a list, not a scalar field.
  for (const name of parts.removedResources)
    chunks.push(lengthDelimited(f.removedResources, Buffer.from(name, 'utf8')));
  return Buffer.concat(chunks);
}
