/**
 * Protobuf JSON scalars and enums, as Envoy's loader accepts them (`MessageUtil::loadFromJson` in
 * `source/common/protobuf/utility.cc`: the standard proto3 JSON parser with case-insensitive enum
 * names). Normalized forms: 32-bit integers and doubles as numbers, 64-bit integers as numbers when
 * exactly representable (else as decimal strings), enums by their canonical name, bytes as base64.
 */
import { ErrorCode } from '../core/errors.js';
import type { ProtoEnum } from './proto-registry.js';
import { describeJson, type Fail } from './well-known-json.js';

const integerRanges: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const floatMax = 3.4028234663852886e38;
const decimalText = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const base64Text = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** True for the protobuf scalar type names (as opposed to message/enum type references). */
export function isScalarType(type: string): boolean {
  return type in integerRanges || ['double', 'float', 'bool', 'string', 'bytes'].includes(type);
}

/** The value an unset implicit-presence scalar field has. */
export function scalarDefault(type: string): unknown {
  if (type === 'bool') return false;
  if (type === 'string' || type === 'bytes') return '';
  return 0;
}

/** Converts one JSON scalar to the normalized form of protobuf scalar `type`. */
export function convertScalar(type: string, value: unknown, fail: Fail): unknown {
  const range = integerRanges[type];
  if (range !== undefined) return convertInteger(type, range, value, fail);
  switch (type) {
    case 'double':
    case 'float':
      return convertFloating(type, value, fail);
    case 'bool':
      if (typeof value !== 'boolean')
        fail(ErrorCode.configWrongType, `expected a boolean, got ${describeJson(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string')
        fail(ErrorCode.configWrongType, `expected a string, got ${describeJson(value)}`);
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !base64Text.test(value)) {
        fail(ErrorCode.configWrongType, `expected base64-encoded bytes, got ${describeJson(value)}`);
      }
      return value;
    default:
      return fail(ErrorCode.configWrongType, `unsupported scalar type ${type}`);
  }
}

function convertInteger(
  type: string,
  [min, max]: readonly [bigint, bigint],
  value: unknown,
  fail: Fail,
): number | string {
  let parsed: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      fail(ErrorCode.configWrongType, `expected an integer (${type}), got ${value}`);
    parsed = BigInt(value);
  } else if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    // proto3 JSON allows integers as strings (Envoy's YAML loader turns large integers into strings).
    parsed = BigInt(value);
  } else {
    return fail(ErrorCode.configWrongType, `expected an integer (${type}), got ${describeJson(value)}`);
  }
  if (parsed < min || parsed > max) {
    fail(ErrorCode.configOutOfRange, `${parsed} is out of range for ${type} [${min}, ${max}]`);
  }
  const asNumber = Number(parsed);
  return Number.isSafeInteger(asNumber) ? asNumber : parsed.toString();
}

function convertFloating(type: string, value: unknown, fail: Fail): number | string {
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  let parsed: number;
  if (typeof value === 'number') parsed = value;
  else if (typeof value === 'string' && decimalText.test(value)) parsed = Number(value);
  else return fail(ErrorCode.configWrongType, `expected a number (${type}), got ${describeJson(value)}`);
  if (!Number.isFinite(parsed) || (type === 'float' && Math.abs(parsed) > floatMax)) {
    fail(ErrorCode.configOutOfRange, `${String(value)} is out of range for ${type}`);
  }
  return parsed;
}

/**
 * Resolves an enum given by name or number to its canonical name. Names match case-insensitively
 * after an exact match fails, as with `case_insensitive_enum_parsing` in Envoy's loader. Numbers that
 * name no value are rejected (proto3 would keep them, but every Envoy enum field we read is
 * `defined_only` or switch-checked, so an undefined number is always a configuration error).
 */
export function convertEnum(enumType: ProtoEnum, value: unknown, fail: Fail): string {
  const typeName = enumType.fullName.replace(/^\./, '');
  if (typeof value === 'string') {
    if (Object.hasOwn(enumType.values, value)) return value;
    const upper = value.toUpperCase();
    if (Object.hasOwn(enumType.values, upper)) return upper;
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    const name = enumType.valuesById[value];
    if (name !== undefined) return name;
  } else {
    return fail(ErrorCode.configWrongType, `expected an enum name (${typeName}), got ${describeJson(value)}`);
  }
  return fail(
    ErrorCode.configInvalid,
    `unknown enum value ${JSON.stringify(value)} for ${typeName} (expected one of ${Object.keys(enumType.values).join(', ')})`,
  );
}

/** The numeric value of a normalized enum name. */
export function enumNumber(enumType: ProtoEnum, name: string): number {
  return enumType.values[name] ?? 0;
}
