/**
 * Envoy's substitution format strings: literal text mixed with `%COMMAND(arg):maxlen%` operators, with
 * `%%` for a literal `%`. Parsed once into segments (Envoy `SubstitutionFormatParser::parse`,
 * `source/common/formatter/substitution_formatter.cc`), rendered per request.
 *
 * Parse rules reproduced from Envoy: every `%` that is not `%%` must start a command matching
 * `%[A-Z0-9_]+(\(...\))?(:[0-9]+)?%` or the format is rejected ("Couldn't find valid command at
 * position N"), so `"50% done"` is a config error; an unknown command is rejected ("Not supported field
 * in StreamInfo"); each command checks whether it accepts an argument and a length.
 *
 * Example: `"%REQ(X-FOO?X-BAR):3% took %DURATION%ms%%"` becomes the segments
 * `[REQ(x-foo, alt x-bar, max 3 bytes)] [" took "] [DURATION] ["ms%"]`.
 */
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { StreamInfo } from '../http/stream-info.js';
import {
  checkOperatorSyntax,
  configInvalid,
  type FormatOperator,
  type FormatValue,
  type OperatorDefinition,
} from './format-operator.js';
import { headerOperators } from './header-operators.js';
import { streamInfoOperators, unsupportedEnvoyOperators } from './stream-info-operators.js';

export type FormatSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'operator'; readonly command: string; readonly evaluate: FormatOperator };

/**
 * Envoy `commandWithArgsRegex()`. The argument is matched lazily up to a `)` that is followed by an
 * optional `:digits` and the closing `%`, so an argument may itself contain `)` or `%` (START_TIME).
 */
const commandPattern = /%([A-Z0-9_]+)(?:\((.*?)\))?(?::([0-9]+))?%/y;

function lookupOperator(command: string, path: string): OperatorDefinition {
  const definition = headerOperators.get(command) ?? streamInfoOperators.get(command);
  if (definition !== undefined) return definition;
  if (unsupportedEnvoyOperators.has(command)) {
    throw new ConfigError(
      ErrorCode.configUnsupported,
      { path },
      `access log operator %${command}% is an Envoy operator that Spillway does not support`,
    );
  }
  throw configInvalid(path, `unknown access log operator %${command}% (Envoy rejects unknown commands)`);
}

/** Parses a format string once; throws a ConfigError (at `path`) for any malformed or unknown operator. */
export function parseSubstitutionFormat(template: string, path = 'format'): FormatSegment[] {
  const segments: FormatSegment[] = [];
  let literal = '';
  let pos = 0;
  while (pos < template.length) {
    const c = template[pos] as string;
    if (c !== '%') {
      literal += c;
      pos++;
      continue;
    }
    if (template[pos + 1] === '%') {
      literal += '%';
      pos += 2;
      continue;
    }
    if (literal !== '') segments.push({ kind: 'literal', text: literal });
    literal = '';
    commandPattern.lastIndex = pos;
    const match = commandPattern.exec(template);
    if (match === null) {
      throw configInvalid(
        path,
        `incorrect access log format "${template}": no valid command at position ${pos} (write %% for a literal %)`,
      );
    }
    const command = match[1] as string;
    const arg = match[2] ?? '';
    const maxLength = match[3] === undefined ? undefined : Number(match[3]);
    const definition = lookupOperator(command, path);
    checkOperatorSyntax(command, definition, arg, maxLength, path);
    segments.push({ kind: 'operator', command, evaluate: definition.create(arg, maxLength, path) });
    pos += match[0].length;
  }
  if (literal !== '' || template === '') segments.push({ kind: 'literal', text: literal });
  return segments;
}

/** A value as text: `-` when unavailable (Envoy `DefaultUnspecifiedValueString`). */
export function valueToText(value: FormatValue): string {
  return value === undefined ? '-' : typeof value === 'number' ? String(value) : value;
}

/** Renders parsed segments for one request as text (Envoy `FormatterImpl::format`). */
export function renderSegments(segments: readonly FormatSegment[], info: StreamInfo): string {
  let out = '';
  for (const segment of segments) {
    out += segment.kind === 'literal' ? segment.text : valueToText(segment.evaluate(info));
  }
  return out;
}
