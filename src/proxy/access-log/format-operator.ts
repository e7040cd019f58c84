/**
 * The building block of access-log formats: one `%COMMAND(arg):maxlen%` operator, compiled once and
 * evaluated per request. Mirrors Envoy's `FormatterProvider` (`envoy/formatter/substitution_formatter.h`):
 * `format()` yields a string or nothing, `formatValue()` yields a typed value for JSON.
 */
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { StreamInfo } from '../http/stream-info.js';

/**
 * One operator's value for one request. `undefined` means "not available": text formats print `-`,
 * JSON formats print `null` (Envoy `SubstitutionFormatUtils::unspecifiedValue`). Numbers stay numbers in
 * JSON and print in decimal in text.
 */
export type FormatValue = string | number | undefined;

export type FormatOperator = (info: StreamInfo) => FormatValue;

/**
 * Envoy `CommandSyntaxChecker` flags: whether the `(arg)` part is forbidden, optional or required, and
 * whether a `:maxlen` suffix is accepted.
 */
export type ArgumentRule = 'none' | 'optional' | 'required';

export interface OperatorDefinition {
  readonly argument: ArgumentRule;
  readonly isLengthAllowed: boolean;
  /** Compiles the operator; may throw a ConfigError for a bad argument. */
  create(arg: string, maxLength: number | undefined, path: string): FormatOperator;
}

export function configInvalid(path: string, problem: string): ConfigError {
  return new ConfigError(ErrorCode.configInvalid, { path }, problem);
}

/**
 * Envoy `CommandSyntaxChecker::verifySyntax`: rejects an argument or a length where the command takes
 * none, and a missing argument where one is required.
 */
export function checkOperatorSyntax(
  command: string,
  definition: OperatorDefinition,
  arg: string,
  maxLength: number | undefined,
  path: string,
): void {
  if (definition.argument === 'none' && (arg !== '' || maxLength !== undefined)) {
    throw configInvalid(path, `access log operator %${command}% does not take any parameters or length`);
  }
  if (definition.argument === 'required' && arg === '') {
    throw configInvalid(path, `access log operator %${command}% requires parameters`);
  }
  if (!definition.isLengthAllowed && maxLength !== undefined) {
    throw configInvalid(path, `access log operator %${command}% does not allow length to be specified`);
  }
}

/**
 * Envoy `SubstitutionFormatUtils::truncate` cuts the UTF-8 bytes at `maxLength`. We cut at the same byte
 * budget but never inside a character, so the output stays valid UTF-8 (identical for ASCII).
 */
export function truncateUtf8(value: string, maxLength: number | undefined): string {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short strings skip the encoding.
  if (maxLength === undefined || value.length * 3 <= maxLength) return value;
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxLength) return value;
  let end = maxLength;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** A definition for a command without argument or length. */
export function simple(evaluate: FormatOperator): OperatorDefinition {
  return { argument: 'none', isLengthAllowed: false, create: () => evaluate };
}

/** A string value where Envoy treats the empty string as "not set". */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
