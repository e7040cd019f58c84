/**
 * Canonical proto3 JSON <-> protobuf wire bytes for Envoy's API types, over protobufjs reflection.
 * Inside Spillway every xDS resource is proto3 JSON (`xds-resource.ts`); this is the one place that
 * turns it into the bytes of a `google.protobuf.Any` for the wire and back. The well-known types
 * follow https://protobuf.dev/programming-guides/json/: `Duration` "1.5s", `Timestamp` RFC 3339,
 * wrappers as plain values, `Struct`/`Value`/`ListValue` as JSON, `Any` as `{"@type", ...fields}`
 * (or `{"@type", "value"}` when it holds a well-known type), `FieldMask` as "a,b", `Empty` as `{}`.
 *
 * Input is expected to be well-formed (translation output is checked with `validateResource`);
 * unknown field names and unknown `Any` types throw, since dropping them silently would change
 * configuration.
 */
import protobuf from 'protobufjs';
import { lookupMessageType, type ProtoField, type ProtoType } from './proto-registry.js';
import { typeNameFromUrl, typeUrlOf } from './proto-json-validator.js';
import { durationTextToNanos, formatDurationNanos } from './well-known-json.js';

/** An `Any` as protobufjs carries it: the type URL and the encoded message. */
export interface EncodedAny {
  readonly type_url: string;
  readonly value: Uint8Array;
}

type Json = Record<string, unknown>;

const nanosPerSecond = 1_000_000_000n;

const wrapperTypes = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

function requireType(typeName: string): ProtoType {
  const type = lookupMessageType(typeName);
  if (type === undefined) throw new Error(`unknown protobuf message type ${typeName}`);
  return type;
}

function fullNameOf(type: ProtoType): string {
  return type.fullName.replace(/^\./, '');
}

function isRecord(value: unknown): value is Json {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

const fieldIndexCache = new WeakMap<ProtoType, Map<string, ProtoField>>();

function fieldByName(type: ProtoType, name: string): ProtoField | undefined {
  let index = fieldIndexCache.get(type);
  if (index === undefined) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(
        field.name.replace(/_(.)/g, (_m, c: string) => c.toUpperCase()),
        field,
      );
    }
    fieldIndexCache.set(type, index);
  }
  return index.get(name);
}

// ---------------------------------------------------------------- JSON -> protobufjs object form

function timestampToObject(text: string): Json {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not an RFC 3339 timestamp: ${text}`);
  const fraction = /\.(\d{1,9})/.exec(text)?.[1] ?? '';
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Number(fraction.padEnd(9, '0') || '0') };
}

/**
 * Field names of `google.protobuf.Value`: protobufjs's bundled well-known types use lowerCamelCase
 * (`stringValue`), unlike the keepCase Envoy files.
 */
const valueField = {
  null: 'nullValue',
  number: 'numberValue',
  string: 'stringValue',
  bool: 'boolValue',
  struct: 'structValue',
  list: 'listValue',
} as const;

function valueToObject(value: unknown): Json {
  if (value === null) return { [valueField.null]: 'NULL_VALUE' };
  if (typeof value === 'number') return { [valueField.number]: value };
  if (typeof value === 'string') return { [valueField.string]: value };
  if (typeof value === 'boolean') return { [valueField.bool]: value };
  if (Array.isArray(value)) return { [valueField.list]: { values: value.map(valueToObject) } };
  if (isRecord(value)) return { [valueField.struct]: structToObject(value) };
  throw new Error(`not JSON: ${typeof value}`);
}

function structToObject(value: Json): Json {
  const fields: Json = {};
  for (const [key, item] of Object.entries(value)) fields[key] = valueToObject(item);
  return { fields };
}

/** A message value in proto3 JSON -> the object form `Type.fromObject` takes. */
function messageToObject(type: ProtoType, json: unknown): unknown {
  const name = fullNameOf(type);
  if (name === 'google.protobuf.Duration') {
    if (typeof json !== 'string') return json;
    const total = durationTextToNanos(json);
    return { seconds: String(total / nanosPerSecond), nanos: Number(total % nanosPerSecond) };
  }
  if (name === 'google.protobuf.Timestamp') return typeof json === 'string' ? timestampToObject(json) : json;
  if (wrapperTypes.has(name)) return { value: json };
  if (name === 'google.protobuf.Struct') return structToObject(json as Json);
  if (name === 'google.protobuf.Value') return valueToObject(json);
  if (name === 'google.protobuf.ListValue') return { values: (json as unknown[]).map(valueToObject) };
  if (name === 'google.protobuf.FieldMask')
    return { paths: typeof json === 'string' && json !== '' ? json.split(',') : [] };
  if (name === 'google.protobuf.Any') return anyJsonToObject(json as Json);
  if (!isRecord(json)) throw new Error(`${name}: expected an object`);
  const out: Json = {};
  for (const [key, item] of Object.entries(json)) {
    const field = fieldByName(type, key);
    if (field === undefined) throw new Error(`${name} has no field "${key}"`);
    out[field.name] = fieldToObject(field, item);
  }
  return out;
}

function fieldToObject(field: ProtoField, value: unknown): unknown {
  field.resolve();
  const element = (item: unknown): unknown =>
    field.resolvedType instanceof protobuf.Type ? messageToObject(field.resolvedType, item) : item;
  if (field instanceof protobuf.MapField) {
    const out: Json = {};
    for (const [key, item] of Object.entries(value as Json)) out[key] = element(item);
    return out;
  }
  if (field.repeated) return (value as unknown[]).map(element);
  return element(value);
}

function anyJsonToObject(json: Json): EncodedAny {
  return encodeAnyJson(json);
}

// ---------------------------------------------------------------- protobufjs object form -> JSON

function objectToValue(value: Json): unknown {
  if (valueField.struct in value) return objectToStruct(value[valueField.struct] as Json);
  if (valueField.list in value)
    return (((value[valueField.list] as Json)['values'] as Json[] | undefined) ?? []).map(objectToValue);
  if (valueField.number in value) return value[valueField.number];
  if (valueField.string in value) return value[valueField.string];
  if (valueField.bool in value) return value[valueField.bool];
  return null;
}

const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** 64-bit integers come back as decimal strings; like the validator, keep them numbers when exact. */
function scalarToJson(type: string, value: unknown): unknown {
  if (typeof value === 'string' && int64Types.has(type)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return value;
}

function objectToStruct(value: Json): Json {
  const out: Json = {};
  for (const [key, item] of Object.entries((value['fields'] as Json | undefined) ?? {}))
    out[key] = objectToValue(item as Json);
  return out;
}

function objectToTimestamp(value: Json): string {
  const seconds = Number(value['seconds'] ?? 0);
  const nanos = Number(value['nanos'] ?? 0);
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const fraction = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${fraction}Z`;
}

/** How to decode input that may come from an untrusted peer. */
export interface DecodeOptions {
  /**
   * An `Any` whose type no shipped proto declares (or whose bytes do not decode as it) becomes
   * `{"@type": url, "value": "<base64>"}` instead of throwing. For peer messages such as a
   * DiscoveryRequest's `error_detail.details`, where one opaque detail must not make the whole
   * request unreadable; resources themselves are decoded strictly.
   */
  readonly opaqueUnknownAny?: boolean;
}

const strict: DecodeOptions = {};

function decodeAnyWith(any: EncodedAny, options: DecodeOptions): Json & { '@type': string } {
  if (options.opaqueUnknownAny !== true) return decodeAnyJson(any);
  try {
    return decodeAnyJson(any, options);
  } catch {
    return { '@type': any.type_url, value: Buffer.from(any.value).toString('base64') };
  }
}

/** The object form `Type.toObject` gives -> proto3 JSON. */
function objectToMessage(type: ProtoType, value: Json, options: DecodeOptions = strict): unknown {
  const name = fullNameOf(type);
  if (name === 'google.protobuf.Duration') {
    return formatDurationNanos(
      BigInt(String(value['seconds'] ?? 0)) * nanosPerSecond + BigInt(Number(value['nanos'] ?? 0)),
    );
  }
  if (name === 'google.protobuf.Timestamp') return objectToTimestamp(value);
  if (wrapperTypes.has(name)) {
    if ('value' in value) return value['value'];
    const valueField = type.fields['value'];
    return valueField?.type === 'bool'
      ? false
      : valueField?.type === 'string' || valueField?.type === 'bytes'
        ? ''
        : 0;
  }
  if (name === 'google.protobuf.Struct') return objectToStruct(value);
  if (name === 'google.protobuf.Value') return objectToValue(value);
  if (name === 'google.protobuf.ListValue')
    return ((value['values'] as Json[] | undefined) ?? []).map(objectToValue);
  if (name === 'google.protobuf.FieldMask') return ((value['paths'] as string[] | undefined) ?? []).join(',');
  if (name === 'google.protobuf.Any') {
    const bytes = value['value'];
    return decodeAnyWith(
      {
        type_url: String(value['type_url'] ?? ''),
        value: bytes instanceof Uint8Array ? bytes : new Uint8Array(),
      },
      options,
    );
  }
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    const field = type.fields[key];
    if (field === undefined) continue;
    field.resolve();
    const resolved = field.resolvedType;
    const element = (entry: unknown): unknown =>
      resolved instanceof protobuf.Type
        ? objectToMessage(resolved, entry as Json, options)
        : scalarToJson(field.type, entry);
    if (field instanceof protobuf.MapField) {
      const map: Json = {};
      for (const [k, entry] of Object.entries(item as Json)) map[k] = element(entry);
      out[key] = map;
    } else if (field.repeated) {
      out[key] = (item as unknown[]).map(element);
    } else {
      out[key] = element(item);
    }
  }
  return out;
}

// ---------------------------------------------------------------- public API

/** Encodes a message given in the object form protobufjs uses (`Any` fields as {@link EncodedAny}). */
export function encodeProtoObject(typeName: string, object: Json): Uint8Array {
  const type = requireType(typeName);
  return type.encode(type.fromObject(object)).finish();
}

/** Encodes a message given in proto3 JSON. */
export function encodeProtoJson(typeName: string, json: Json): Uint8Array {
  const type = requireType(typeName);
  return encodeProtoObject(typeName, messageToObject(type, json) as Json);
}

/**
 * protobufjs reads a Node `Buffer` with its BufferReader, which clamps a string or bytes field that
 * runs past the end instead of failing; the plain Uint8Array reader throws. Wire bytes from a peer
 * (gRPC hands out Buffers) are read through a plain view so that truncated input is an error.
 */
function strictBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

/**
 * Decodes wire bytes of message `typeName` to proto3 JSON (fields at their defaults are left out).
 * Throws on bytes that are not a valid encoding.
 */
export function decodeProtoJson(typeName: string, bytes: Uint8Array, options: DecodeOptions = strict): Json {
  const type = requireType(typeName);
  const object = type.toObject(type.decode(strictBytes(bytes)), {
    longs: String,
    enums: String,
    bytes: Uint8Array,
  });
  return objectToMessage(type, object, options) as Json;
}

/**
 * `{"@type": url, ...fields}` -> an encoded `Any`. A well-known type inside an `Any` uses the
 * `{"@type": url, "value": <its JSON>}` form.
 */
export function encodeAnyJson(json: Json): EncodedAny {
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string') throw new Error('an Any needs an "@type"');
  const typeName = typeNameFromUrl(typeUrl);
  const type = requireType(typeName);
  const { '@type': _declared, ...fields } = json;
  const body = typeName.startsWith('google.protobuf.') && 'value' in fields ? fields['value'] : fields;
  const object = messageToObject(type, body);
  return { type_url: typeUrl, value: type.encode(type.fromObject(object as Json)).finish() };
}

/** An encoded `Any` -> `{"@type": url, ...fields}`. */
export function decodeAnyJson(any: EncodedAny, options: DecodeOptions = strict): Json & { '@type': string } {
  const typeName = typeNameFromUrl(any.type_url);
  const type = requireType(typeName);
  const object = type.toObject(type.decode(strictBytes(any.value)), {
    longs: String,
    enums: String,
    bytes: Uint8Array,
  });
  const json = objectToMessage(type, object, options);
  if (typeName.startsWith('google.protobuf.') && !isRecord(json))
    return { '@type': any.type_url, value: json };
  return { '@type': any.type_url, ...(json as Json) };
}

/** The canonical type URL for a message type name (re-exported for callers of the codec). */
export { typeUrlOf };
