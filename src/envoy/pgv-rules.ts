/**
 * The protoc-gen-validate rules (`(validate.rules)` field options) that Envoy checks on every config
 * it loads (`MessageUtil::validate` runs the generated `Validate()`), evaluated on the normalized JSON.
 * Messages follow PGV's generated wording ("value must be less than or equal to 100", from
 * bufbuild/protoc-gen-validate `templates/goshared/ltgt.go`), with the offending value appended.
 *
 * Presence follows the generated C++: rules on implicit-presence scalars run on the default value
 * when the field is unset (so `name` with `min_len: 1` fails when missing); rules on message fields
 * (wrappers, `Duration`) run only when set, except `required`; oneof members only when chosen.
 */
import { isIP } from 'node:net';
import { ErrorCode } from '../core/errors.js';
import { indexPath, keyPath } from './json-path.js';
import { isProtoEnum, isProtoType, type ProtoField } from './proto-registry.js';
import { durationRuleNanos, durationTextToNanos } from './well-known-json.js';

/** Reports a rule violation at the field (suffix '') or at one of its items (`[0]`, `["key"]`). */
export type FailAt = (suffix: string, code: string, problem: string) => never;

type Rules = Record<string, unknown>;

const rulesCache = new WeakMap<ProtoField, Rules | null>();

function mergeInto(target: Rules, source: Rules): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isRecord(existing) && isRecord(value)) mergeInto(existing, value);
    else target[key] = isRecord(value) ? structuredClone(value) : value;
  }
}

function isRecord(value: unknown): value is Rules {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field's merged `(validate.rules)`, or undefined when it has none. */
export function fieldRules(field: ProtoField): Rules | undefined {
  const cached = rulesCache.get(field);
  if (cached !== undefined) return cached ?? undefined;
  let merged: Rules | null = null;
  const parsed: unknown = field.parsedOptions;
  for (const entry of Array.isArray(parsed) ? parsed : []) {
    const rules: unknown = isRecord(entry) ? entry['(validate.rules)'] : undefined;
    if (!isRecord(rules)) continue;
    merged ??= {};
    mergeInto(merged, rules);
  }
  rulesCache.set(field, merged);
  return merged ?? undefined;
}

const wrapperScalars: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

/** The scalar type a wrapper message carries (`UInt32Value` -> `uint32`), if the name is a wrapper. */
export function wrapperScalarType(fullName: string): string | undefined {
  return wrapperScalars[fullName];
}

/**
 * Checks `field`'s rules. `value` is the normalized value, or undefined when the field is unset;
 * `isSet` distinguishes an explicit value from the default for implicit-presence scalars.
 */
export function checkFieldRules(field: ProtoField, value: unknown, isSet: boolean, failAt: FailAt): void {
  const rules = fieldRules(field);
  if (rules === undefined) return;
  if (field.map) {
    checkMapRules(field, rules['map'], isRecord(value) ? value : {}, failAt);
    return;
  }
  if (field.repeated) {
    checkRepeatedRules(field, rules['repeated'], Array.isArray(value) ? value : [], failAt);
    return;
  }
  checkSingular(field, rules, value, isSet, '', failAt);
}

function checkSingular(
  field: ProtoField,
  rules: Rules,
  value: unknown,
  isSet: boolean,
  suffix: string,
  failAt: FailAt,
): void {
  const fail = (code: string, problem: string): never => failAt(suffix, code, problem);
  // Rules on a oneof member apply only when that member is the one chosen.
  if (field.partOf !== null && !isSet) return;
  const resolved = field.resolvedType;
  if (isProtoType(resolved)) {
    const required =
      (isRecord(rules['message']) && rules['message']['required'] === true) ||
      (isRecord(rules['duration']) && rules['duration']['required'] === true) ||
      (isRecord(rules['any']) && rules['any']['required'] === true);
    if (!isSet) {
      if (required) fail(ErrorCode.configInvalid, 'value is required');
      return;
    }
    const wrapped = wrapperScalars[resolved.fullName];
    if (wrapped !== undefined) checkScalarRules(wrapped, rules[wrapped], value, fail);
    else if (resolved.fullName === '.google.protobuf.Duration')
      checkDurationRules(rules['duration'], value, fail);
    else if (resolved.fullName === '.google.protobuf.Any') checkAnyRules(rules['any'], value, fail);
    return;
  }
  if (isProtoEnum(resolved)) {
    checkEnumRules(rules['enum'], resolved.values[String(value)] ?? 0, fail);
    return;
  }
  checkScalarRules(field.type, rules[field.type], value, fail);
}

function checkRepeatedRules(field: ProtoField, rules: unknown, items: unknown[], failAt: FailAt): void {
  if (!isRecord(rules)) return;
  if (rules['ignore_empty'] === true && items.length === 0) return;
  const min = numberOf(rules['min_items']);
  const max = numberOf(rules['max_items']);
  if (min !== undefined && items.length < min) {
    failAt('', ErrorCode.configOutOfRange, `value must contain at least ${min} item(s), got ${items.length}`);
  }
  if (max !== undefined && items.length > max) {
    failAt(
      '',
      ErrorCode.configOutOfRange,
      `value must contain no more than ${max} item(s), got ${items.length}`,
    );
  }
  if (rules['unique'] === true) {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key))
        failAt(indexPath('', i), ErrorCode.configInvalid, 'repeated value must contain unique items');
      seen.add(key);
    });
  }
  const itemRules = rules['items'];
  if (!isRecord(itemRules)) return;
  items.forEach((item, i) => checkSingular(field, itemRules, item, true, indexPath('', i), failAt));
}

function checkMapRules(field: ProtoField, rules: unknown, entries: Rules, failAt: FailAt): void {
  if (!isRecord(rules)) return;
  const keys = Object.keys(entries);
  if (rules['ignore_empty'] === true && keys.length === 0) return;
  const min = numberOf(rules['min_pairs']);
  const max = numberOf(rules['max_pairs']);
  if (min !== undefined && keys.length < min) {
    failAt('', ErrorCode.configOutOfRange, `value must contain at least ${min} pair(s), got ${keys.length}`);
  }
  if (max !== undefined && keys.length > max) {
    failAt(
      '',
      ErrorCode.configOutOfRange,
      `value must contain no more than ${max} pair(s), got ${keys.length}`,
    );
  }
  const keyRules = rules['keys'];
  const valueRules = rules['values'];
  for (const key of keys) {
    const at = (code: string, problem: string): never => failAt(keyPath('', key), code, problem);
    if (isRecord(keyRules)) checkScalarRules('string', keyRules['string'], key, at);
    if (isRecord(valueRules)) checkSingular(field, valueRules, entries[key], true, keyPath('', key), failAt);
  }
}

type FailHere = (code: string, problem: string) => never;

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (isRecord(value) && typeof value['low'] === 'number' && typeof value['high'] === 'number') {
    return value['high'] * 2 ** 32 + (value['low'] >>> 0);
  }
  return undefined;
}

/** PGV's numeric `const`/`lt`/`lte`/`gt`/`gte`/`in`/`not_in`, as one range check like `ltgt.go`. */
function checkRange(rules: Rules, value: number | bigint, show: string, fail: FailHere, unit = ''): void {
  const u = (n: number | undefined): string => `${n}${unit}`;
  const toBig = (n: unknown): number | undefined => numberOf(n);
  const v = Number(value);
  const constant = toBig(rules['const']);
  if (constant !== undefined && v !== constant)
    fail(ErrorCode.configOutOfRange, `value must equal ${u(constant)} (got ${show})`);
  const inList = Array.isArray(rules['in']) ? rules['in'].map(toBig) : undefined;
  if (inList !== undefined && inList.length > 0 && !inList.includes(v)) {
    fail(ErrorCode.configOutOfRange, `value must be in list [${inList.join(', ')}] (got ${show})`);
  }
  const notIn = Array.isArray(rules['not_in']) ? rules['not_in'].map(toBig) : [];
  if (notIn.includes(v))
    fail(ErrorCode.configOutOfRange, `value must not be in list [${notIn.join(', ')}] (got ${show})`);
  const lt = toBig(rules['lt']);
  const lte = toBig(rules['lte']);
  const gt = toBig(rules['gt']);
  const gte = toBig(rules['gte']);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const belowUpper = upper === undefined || (lt !== undefined ? v < lt : v <= (lte as number));
  const aboveLower = lower === undefined || (gt !== undefined ? v > gt : v >= (gte as number));
  if (upper !== undefined && lower !== undefined && upper < lower) {
    // PGV: an upper bound below the lower bound means "outside the range".
    if (!belowUpper && !aboveLower)
      fail(
        ErrorCode.configOutOfRange,
        `value must be outside range ${rangeText(u, lt, lte, gt, gte)} (got ${show})`,
      );
    return;
  }
  if (belowUpper && aboveLower) return;
  if (upper !== undefined && lower !== undefined) {
    fail(
      ErrorCode.configOutOfRange,
      `value must be inside range ${rangeText(u, lt, lte, gt, gte)} (got ${show})`,
    );
  }
  if (!belowUpper) {
    fail(
      ErrorCode.configOutOfRange,
      lt !== undefined
        ? `value must be less than ${u(lt)} (got ${show})`
        : `value must be less than or equal to ${u(lte)} (got ${show})`,
    );
  }
  fail(
    ErrorCode.configOutOfRange,
    gt !== undefined
      ? `value must be greater than ${u(gt)} (got ${show})`
      : `value must be greater than or equal to ${u(gte)} (got ${show})`,
  );
}

function rangeText(
  u: (n: number | undefined) => string,
  lt?: number,
  lte?: number,
  gt?: number,
  gte?: number,
): string {
  return `${gt !== undefined ? `(${u(gt)}` : `[${u(gte)}`}, ${lt !== undefined ? `${u(lt)})` : `${u(lte)}]`}`;
}

function checkScalarRules(type: string, rules: unknown, value: unknown, fail: FailHere): void {
  if (!isRecord(rules)) return;
  if (type === 'string') return checkStringRules(rules, typeof value === 'string' ? value : '', fail);
  if (type === 'bytes') return checkBytesRules(rules, typeof value === 'string' ? value : '', fail);
  if (type === 'bool') {
    if (typeof rules['const'] === 'boolean' && value !== rules['const']) {
      fail(ErrorCode.configInvalid, `value must equal ${String(rules['const'])}`);
    }
    return;
  }
  const numeric = typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : Number(value ?? 0);
  if (rules['ignore_empty'] === true && Number(numeric) === 0) return;
  checkRange(rules, numeric, String(value ?? 0), fail);
}

function checkDurationRules(rules: unknown, value: unknown, fail: FailHere): void {
  if (!isRecord(rules) || typeof value !== 'string') return;
  const nanos = durationTextToNanos(value);
  const asRules: Rules = {};
  for (const key of ['const', 'lt', 'lte', 'gt', 'gte'] as const) {
    if (rules[key] !== undefined) asRules[key] = Number(durationRuleNanos(rules[key])) / 1e9;
  }
  for (const key of ['in', 'not_in'] as const) {
    const list = rules[key];
    if (Array.isArray(list)) asRules[key] = list.map((d) => Number(durationRuleNanos(d)) / 1e9);
  }
  checkRange(asRules, Number(nanos) / 1e9, value, fail, 's');
}

function checkAnyRules(rules: unknown, value: unknown, fail: FailHere): void {
  if (!isRecord(rules) || !isRecord(value)) return;
  const typeUrl = String(value['@type'] ?? '');
  const inList = rules['in'];
  if (Array.isArray(inList) && inList.length > 0 && !inList.includes(typeUrl)) {
    fail(ErrorCode.configInvalid, `type URL must be in list [${inList.join(', ')}]`);
  }
  const notIn = rules['not_in'];
  if (Array.isArray(notIn) && notIn.includes(typeUrl))
    fail(ErrorCode.configInvalid, `type URL must not be ${typeUrl}`);
}

function checkEnumRules(rules: unknown, value: number, fail: FailHere): void {
  if (!isRecord(rules)) return;
  checkRange(
    { const: rules['const'], in: rules['in'], not_in: rules['not_in'] },
    value,
    String(value),
    (_code, problem) => fail(ErrorCode.configInvalid, problem),
  );
}

// Patterns from PGV's well-known regexes (bufbuild/protoc-gen-validate `module/checker.go`).
// The two control-character classes are written as code-point tests (`no-control-regex`).
const headerNameStrict = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;

/** `^[^\u0000-\u0008\u000A-\u001F\u007F]*$`: no control characters except horizontal tab. */
function isStrictHeaderValue(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false;
  }
  return true;
}

/** `^[^\u0000\u000A\u000D]*$`: the non-strict pattern, for names and values alike. */
function isLooseHeaderString(value: string): boolean {
  return !/[\n\r]/.test(value) && !value.includes(String.fromCharCode(0));
}

function isHostname(value: string): boolean {
  const host = value.endsWith('.') ? value.slice(0, -1) : value;
  if (value.length > 253 || host === '') return false;
  return host.split('.').every((part) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(part));
}

function checkStringRules(rules: Rules, value: string, fail: FailHere): void {
  if (rules['ignore_empty'] === true && value === '') return;
  const invalid = (problem: string): never =>
    fail(ErrorCode.configInvalid, `${problem} (got ${JSON.stringify(value)})`);
  const runes = [...value].length;
  const bytes = Buffer.byteLength(value, 'utf8');
  const bound = (key: string): number | undefined => numberOf(rules[key]);
  if (typeof rules['const'] === 'string' && value !== rules['const'])
    invalid(`value must equal ${JSON.stringify(rules['const'])}`);
  const len = bound('len');
  if (len !== undefined && runes !== len)
    fail(ErrorCode.configOutOfRange, `value length must be ${len} runes, got ${runes}`);
  const minLen = bound('min_len');
  if (minLen !== undefined && runes < minLen) {
    fail(ErrorCode.configOutOfRange, `value length must be at least ${minLen} runes, got ${runes}`);
  }
  const maxLen = bound('max_len');
  if (maxLen !== undefined && runes > maxLen)
    fail(ErrorCode.configOutOfRange, `value length must be at most ${maxLen} runes, got ${runes}`);
  const minBytes = bound('min_bytes');
  if (minBytes !== undefined && bytes < minBytes)
    fail(ErrorCode.configOutOfRange, `value length must be at least ${minBytes} bytes`);
  const maxBytes = bound('max_bytes');
  if (maxBytes !== undefined && bytes > maxBytes)
    fail(ErrorCode.configOutOfRange, `value length must be at most ${maxBytes} bytes`);
  if (typeof rules['prefix'] === 'string' && !value.startsWith(rules['prefix']))
    invalid(`value does not have prefix ${JSON.stringify(rules['prefix'])}`);
  if (typeof rules['suffix'] === 'string' && !value.endsWith(rules['suffix']))
    invalid(`value does not have suffix ${JSON.stringify(rules['suffix'])}`);
  if (typeof rules['contains'] === 'string' && !value.includes(rules['contains']))
    invalid(`value does not contain substring ${JSON.stringify(rules['contains'])}`);
  if (typeof rules['not_contains'] === 'string' && value.includes(rules['not_contains']))
    invalid(`value contains substring ${JSON.stringify(rules['not_contains'])}`);
  if (Array.isArray(rules['in']) && rules['in'].length > 0 && !rules['in'].includes(value))
    invalid(`value must be in list [${rules['in'].join(', ')}]`);
  if (Array.isArray(rules['not_in']) && rules['not_in'].includes(value))
    invalid(`value must not be in list [${rules['not_in'].join(', ')}]`);
  if (typeof rules['pattern'] === 'string') {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(`^(?:${rules['pattern']})$`, 'u');
    } catch {
      pattern = undefined; // an RE2 construct JS lacks: leave it to the builders' own checks
    }
    if (pattern !== undefined && !pattern.test(value))
      invalid(`value does not match regex pattern ${JSON.stringify(rules['pattern'])}`);
  }
  if (rules['ip'] === true && isIP(value) === 0) invalid('value must be a valid IP address');
  if (rules['ipv4'] === true && isIP(value) !== 4) invalid('value must be a valid IPv4 address');
  if (rules['ipv6'] === true && isIP(value) !== 6) invalid('value must be a valid IPv6 address');
  if (rules['hostname'] === true && !isHostname(value)) invalid('value must be a valid hostname');
  if (rules['address'] === true && !isHostname(value) && isIP(value) === 0)
    invalid('value must be an ip address, or a hostname');
  const known = rules['well_known_regex'];
  if (known === 'HTTP_HEADER_NAME' || known === 'HTTP_HEADER_VALUE') {
    const strict = rules['strict'] !== false;
    if (known === 'HTTP_HEADER_NAME' && strict && value === '')
      invalid('value is empty, which is not a valid header name');
    const matches = !strict
      ? isLooseHeaderString(value)
      : known === 'HTTP_HEADER_NAME'
        ? headerNameStrict.test(value)
        : isStrictHeaderValue(value);
    if (!matches) invalid(`value does not match the ${strict ? '' : 'non-strict '}${known} pattern`);
  }
}

function checkBytesRules(rules: Rules, base64: string, fail: FailHere): void {
  const length = Buffer.from(base64, 'base64').length;
  const min = numberOf(rules['min_len']);
  const max = numberOf(rules['max_len']);
  if (min !== undefined && length < min)
    fail(ErrorCode.configOutOfRange, `value length must be at least ${min} bytes`);
  if (max !== undefined && length > max)
    fail(ErrorCode.configOutOfRange, `value length must be at most ${max} bytes`);
}
