/**
 * Validates user JSON (from YAML or JSON files, or xDS resources) against Envoy's real protos, the
 * way Envoy's loader would (`MessageUtil::loadFromJson` then PGV `Validate()`), and returns it
 * normalized: proto field names (lowerCamelCase json names are accepted), enums by name, durations
 * as canonical text ("1.5s"), wrappers unwrapped, `Any` resolved and validated against its type.
 *
 * Error policy: the FIRST problem found, in document order, is thrown as a `ConfigError` naming the
 * file, document and JSON path (Envoy also stops at the first failure).
 *
 * Normalization drops implicit-presence scalars set to their default (`false`, `0`, `""`, the zero
 * enum value) and empty lists/maps: protobuf cannot tell them from unset, so neither can Envoy, and
 * builders may then treat "present" as "set to something that matters".
 */
import { ConfigError, ErrorCode, type ConfigLocation } from '../core/errors.js';
import { fieldPath, indexPath, keyPath } from './json-path.js';
import { checkFieldRules, wrapperScalarType } from './pgv-rules.js';
import {
  isProtoEnum,
  isProtoType,
  lookupMessageType,
  mapKeyType,
  type ProtoField,
  type ProtoType,
} from './proto-registry.js';
import { convertEnum, convertScalar, scalarDefault } from './proto-scalar.js';
import {
  checkTimestamp,
  copyJsonValue,
  describeJson,
  formatDurationNanos,
  parseDurationNanos,
  setOwn,
  type Fail,
} from './well-known-json.js';

/** A normalized message: proto field names, canonical values. */
export type NormalizedMessage = Record<string, unknown>;

const typeUrlPrefix = 'type.googleapis.com/';

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` (or the bare name) -> the bare name. */
export function typeNameFromUrl(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash === -1 ? typeUrl : typeUrl.slice(slash + 1);
}

/** The canonical type URL of a message type name. */
export function typeUrlOf(typeName: string): string {
  return `${typeUrlPrefix}${typeNameFromUrl(typeName)}`;
}

/** Validates `value` as message `typeName` (full name, e.g. `envoy.config.bootstrap.v3.Bootstrap`). */
export function validateProtoJson(
  typeName: string,
  value: unknown,
  location: ConfigLocation,
): NormalizedMessage {
  const walker: ProtoJsonWalker = new ProtoJsonWalker(location);
  const type = lookupMessageType(typeName);
  if (type === undefined)
    walker.fail(location.path, ErrorCode.configInvalid, `unknown message type ${typeName}`);
  const normalized = walker.value(type, value, location.path);
  if (!isPlainObject(normalized)) throw new Error(`${typeName} does not have an object JSON form`);
  return normalized;
}

/**
 * Validates an xDS or bootstrap resource given by type URL or name. The JSON may carry its own
 * `"@type"` (as resources inside a DiscoveryResponse do); it must then name the same type.
 */
export function validateResource(
  typeUrlOrName: string,
  json: unknown,
  location: ConfigLocation,
): NormalizedMessage {
  const typeName = typeNameFromUrl(typeUrlOrName);
  if (isPlainObject(json) && '@type' in json) {
    const { '@type': declared, ...rest } = json;
    if (typeof declared !== 'string' || typeNameFromUrl(declared) !== typeName) {
      const walker: ProtoJsonWalker = new ProtoJsonWalker(location);
      walker.fail(
        fieldPath(location.path, '@type'),
        ErrorCode.configInvalid,
        `expected a ${typeName} resource, got @type ${JSON.stringify(declared)}`,
      );
    }
    return validateProtoJson(typeName, rest, location);
  }
  return validateProtoJson(typeName, json, location);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** protoc's default JSON name: `max_ejection_percent` -> `maxEjectionPercent`. */
function jsonNameOf(field: ProtoField): string {
  const declared: unknown = field.options?.['json_name'];
  if (typeof declared === 'string') return declared;
  return field.name.replace(/_(.)/g, (_m, c: string) => c.toUpperCase());
}

const fieldIndexCache = new WeakMap<ProtoType, Map<string, ProtoField>>();

function fieldIndex(type: ProtoType): Map<string, ProtoField> {
  let index = fieldIndexCache.get(type);
  if (index === undefined) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(jsonNameOf(field), field);
    }
    fieldIndexCache.set(type, index);
  }
  return index;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestionFor(type: ProtoType, key: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const field of type.fieldsArray) {
    const distance = Math.min(editDistance(key, field.name), editDistance(key, jsonNameOf(field)));
    if (distance < bestDistance) {
      best = field.name;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function displayName(type: ProtoType): string {
  return type.fullName.replace(/^\./, '');
}

/** Well-known types whose JSON is not an object of their fields. */
const specialJsonTypes = new Set([
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
  '.google.protobuf.Any',
]);

function isImplicitPresenceScalar(field: ProtoField): boolean {
  return !field.repeated && !field.map && field.partOf === null && !isProtoType(field.resolvedType);
}

function defaultOf(field: ProtoField): unknown {
  const resolved = field.resolvedType;
  if (isProtoEnum(resolved)) return resolved.valuesById[0] ?? Object.keys(resolved.values)[0];
  return scalarDefault(field.type);
}

function isEmptyValue(field: ProtoField, value: unknown): boolean {
  if (field.map) return isPlainObject(value) && Object.keys(value).length === 0;
  if (field.repeated) return Array.isArray(value) && value.length === 0;
  return isImplicitPresenceScalar(field) && value === defaultOf(field);
}

function oneofIsRequired(options: Record<string, unknown> | undefined): boolean {
  return options?.['(validate.required)'] === true;
}

class ProtoJsonWalker {
  constructor(private readonly location: ConfigLocation) {}

  fail(path: string, code: string, problem: string): never {
    const where: ConfigLocation = { path };
    if (this.location.file !== undefined) where.file = this.location.file;
    if (this.location.documentIndex !== undefined) where.documentIndex = this.location.documentIndex;
    throw new ConfigError(code, where, problem);
  }

  private failer(path: string): Fail {
    return (code, problem) => this.fail(path, code, problem);
  }

  /** Normalizes the JSON of one message-typed value (which may be a well-known type). */
  value(type: ProtoType, json: unknown, path: string): unknown {
    if (specialJsonTypes.has(type.fullName)) return this.specialValue(type, json, path);
    const wrapped = wrapperScalarType(type.fullName);
    if (wrapped !== undefined) {
      // Envoy YAML commonly writes wrappers as `{value: x}`; canonical proto3 JSON is the bare value.
      const inner =
        isPlainObject(json) && Object.keys(json).length === 1 && 'value' in json ? json['value'] : json;
      return convertScalar(wrapped, inner, this.failer(path));
    }
    return this.message(type, json, path);
  }

  private specialValue(type: ProtoType, json: unknown, path: string): unknown {
    const fail = this.failer(path);
    switch (type.fullName) {
      case '.google.protobuf.Duration':
        return formatDurationNanos(
          parseDurationNanos(json, fail, {
            wrongType: ErrorCode.configWrongType,
            outOfRange: ErrorCode.configOutOfRange,
          }),
        );
      case '.google.protobuf.Timestamp':
        return checkTimestamp(json, fail, ErrorCode.configWrongType);
      case '.google.protobuf.FieldMask':
        if (typeof json !== 'string')
          fail(ErrorCode.configWrongType, `expected a field mask string, got ${describeJson(json)}`);
        return json;
      case '.google.protobuf.Struct':
        if (!isPlainObject(json))
          fail(
            ErrorCode.configWrongType,
            `expected an object (google.protobuf.Struct), got ${describeJson(json)}`,
          );
        return copyJsonValue(json, fail, ErrorCode.configWrongType);
      case '.google.protobuf.ListValue':
        if (!Array.isArray(json))
          fail(
            ErrorCode.configWrongType,
            `expected a list (google.protobuf.ListValue), got ${describeJson(json)}`,
          );
        return copyJsonValue(json, fail, ErrorCode.configWrongType);
      case '.google.protobuf.Value':
        return copyJsonValue(json, fail, ErrorCode.configWrongType);
      default:
        return this.any(json, path);
    }
  }

  private any(json: unknown, path: string): NormalizedMessage {
    if (!isPlainObject(json))
      this.fail(
        path,
        ErrorCode.configWrongType,
        `expected an object with "@type" (google.protobuf.Any), got ${describeJson(json)}`,
      );
    const typeUrl = json['@type'];
    if (typeof typeUrl !== 'string' || typeUrl === '') {
      this.fail(
        path,
        ErrorCode.configInvalid,
        'an Any must name its type in "@type" (e.g. "type.googleapis.com/envoy...")',
      );
    }
    const type = lookupMessageType(typeNameFromUrl(typeUrl));
    if (type === undefined) {
      this.fail(
        fieldPath(path, '@type'),
        ErrorCode.configInvalid,
        `unknown type ${JSON.stringify(typeUrl)}: no Envoy API message has that name`,
      );
    }
    const { '@type': _declared, ...rest } = json;
    if (specialJsonTypes.has(type.fullName) || wrapperScalarType(type.fullName) !== undefined) {
      for (const key of Object.keys(rest)) {
        if (key !== 'value')
          this.fail(
            fieldPath(path, key),
            ErrorCode.configUnknownField,
            `unknown field "${key}" in an Any holding ${displayName(type)} (expected "value")`,
          );
      }
      return { '@type': typeUrl, value: this.value(type, rest['value'], fieldPath(path, 'value')) };
    }
    const inner = this.message(type, rest, path);
    return { '@type': typeUrl, ...inner };
  }

  private message(type: ProtoType, json: unknown, path: string): NormalizedMessage {
    if (!isPlainObject(json)) {
      this.fail(
        path,
        ErrorCode.configWrongType,
        `expected an object (${displayName(type)}), got ${describeJson(json)}`,
      );
    }
    const index = fieldIndex(type);
    const given = new Map<ProtoField, unknown>();
    const keyUsed = new Map<ProtoField, string>();
    const oneofChoice = new Map<string, string>();
    for (const [key, raw] of Object.entries(json)) {
      const field = index.get(key);
      if (field === undefined) {
        this.fail(
          fieldPath(path, key),
          ErrorCode.configUnknownField,
          `unknown field "${key}" in ${displayName(type)}${suggestionFor(type, key)}`,
        );
      }
      const fieldAt = fieldPath(path, field.name);
      const previousKey = keyUsed.get(field);
      if (previousKey !== undefined)
        this.fail(fieldAt, ErrorCode.configInvalid, `set twice (as "${previousKey}" and "${key}")`);
      keyUsed.set(field, key);
      // proto3 JSON: null means "unset", except inside google.protobuf.Value.
      if (raw === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
      const oneof = field.partOf;
      if (oneof !== null) {
        const chosen = oneofChoice.get(oneof.name);
        if (chosen !== undefined) {
          this.fail(
            fieldAt,
            ErrorCode.configInvalid,
            `only one of ${oneof.oneof.join(', ')} may be set (oneof ${oneof.name}), but "${chosen}" is set too`,
          );
        }
        oneofChoice.set(oneof.name, field.name);
      }
      given.set(field, this.fieldValue(field, raw, fieldAt));
    }
    for (const field of type.fieldsArray) {
      const isSet = given.has(field);
      const value = isSet ? given.get(field) : isImplicitPresenceScalar(field) ? defaultOf(field) : undefined;
      checkFieldRules(field, value, isSet, (suffix, code, problem) =>
        this.fail(`${fieldPath(path, field.name)}${suffix}`, code, problem),
      );
    }
    for (const oneof of type.oneofsArray) {
      const parsed: unknown = oneof.parsedOptions;
      const parsedRequired =
        Array.isArray(parsed) && parsed.some((o) => isPlainObject(o) && oneofIsRequired(o));
      if ((oneofIsRequired(oneof.options) || parsedRequired) && !oneofChoice.has(oneof.name)) {
        this.fail(
          path,
          ErrorCode.configInvalid,
          `one of ${oneof.oneof.join(', ')} must be set (oneof ${oneof.name} in ${displayName(type)})`,
        );
      }
    }
    const normalized: NormalizedMessage = {};
    for (const field of type.fieldsArray) {
      if (!given.has(field)) continue;
      const value = given.get(field);
      if (!isEmptyValue(field, value)) normalized[field.name] = value;
    }
    return normalized;
  }

  private fieldValue(field: ProtoField, raw: unknown, path: string): unknown {
    if (field.map) {
      if (!isPlainObject(raw))
        this.fail(path, ErrorCode.configWrongType, `expected an object (map), got ${describeJson(raw)}`);
      const out: Record<string, unknown> = {};
      const keyType = mapKeyType(field);
      for (const [key, item] of Object.entries(raw)) {
        const at = keyPath(path, key);
        if (keyType === 'bool' && key !== 'true' && key !== 'false') {
          this.fail(at, ErrorCode.configWrongType, 'bool map keys must be "true" or "false"');
        } else if (keyType !== 'string' && keyType !== 'bool') {
          convertScalar(keyType, key, this.failer(at));
        }
        if (item === null) this.fail(at, ErrorCode.configWrongType, 'map values cannot be null');
        setOwn(out, key, this.singular(field, item, at));
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw))
        this.fail(path, ErrorCode.configWrongType, `expected a list, got ${describeJson(raw)}`);
      return raw.map((item, i) => {
        const at = indexPath(path, i);
        if (item === null) this.fail(at, ErrorCode.configWrongType, 'list items cannot be null');
        return this.singular(field, item, at);
      });
    }
    return this.singular(field, raw, path);
  }

  private singular(field: ProtoField, raw: unknown, path: string): unknown {
    const resolved = field.resolvedType;
    if (isProtoType(resolved)) return this.value(resolved, raw, path);
    if (isProtoEnum(resolved)) {
      if (raw === null && resolved.fullName === '.google.protobuf.NullValue') return 'NULL_VALUE';
      return convertEnum(resolved, raw, this.failer(path));
    }
    return convertScalar(field.type, raw, this.failer(path));
  }
}
