/**
 * `json_format` access logs: one compact JSON object per line, built from a struct whose string values
 * are format templates (Envoy `JsonFormatterImpl`, `source/common/formatter/substitution_formatter.cc`).
 *
 * Rules reproduced from Envoy:
 * - keys are sorted (byte order) at every level, output is compact (`{"a":1,"b":"x"}`) plus `\n`;
 * - a string without `%` is a constant; numbers, booleans, null, lists and nested structs are copied;
 * - a template that is exactly one operator keeps its type: numbers stay numbers (`%DURATION%` -> 12),
 *   an unavailable value is `null` (the `json_format` of `SubstitutionFormatString` is typed: "values
 *   are rendered as strings, numbers, or boolean values as appropriate");
 * - a template with several pieces (`"%DURATION%ms"`) is a string, with `-` for unavailable values.
 *
 * Example: `{status: "%RESPONSE_CODE%", took: "%DURATION%ms", up: "%UPSTREAM_HOST%"}` for a local reply
 * gives `{"status":503,"took":"2ms","up":null}`.
 */
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { StreamInfo } from '../http/stream-info.js';
import type { FormatValue } from './format-operator.js';
import { parseSubstitutionFormat, renderSegments, type FormatSegment } from './substitution-format.js';

/** Either raw JSON text, or a template whose value is inserted there. */
type JsonPiece = string | readonly FormatSegment[];

/** A JSON number as Envoy serializes it; NaN becomes null (Envoy `JsonStringSerializer::addNumber`). */
function jsonNumber(n: number): string {
  return Number.isNaN(n) ? 'null' : String(n);
}

function jsonValue(value: FormatValue): string {
  if (value === undefined) return 'null';
  return typeof value === 'number' ? jsonNumber(value) : JSON.stringify(value);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Compiles the struct into alternating raw JSON text and templates (Envoy `JsonFormatBuilder`). */
class JsonTemplateBuilder {
  readonly pieces: JsonPiece[] = [];
  private raw = '';

  add(value: unknown, path: string): void {
    if (typeof value === 'string') {
      if (!value.includes('%')) {
        this.raw += JSON.stringify(value);
        return;
      }
      this.pieces.push(this.raw, parseSubstitutionFormat(value, path));
      this.raw = '';
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value) && !Number.isNaN(value)) {
        throw new ConfigError(
          ErrorCode.configWrongType,
          { path },
          'infinite numbers cannot be logged as JSON',
        );
      }
      this.raw += jsonNumber(value);
    } else if (typeof value === 'boolean') {
      this.raw += value ? 'true' : 'false';
    } else if (value === null) {
      this.raw += 'null';
    } else if (Array.isArray(value)) {
      this.raw += '[';
      value.forEach((element: unknown, index) => {
        if (index > 0) this.raw += ',';
        this.add(element, `${path}[${index}]`);
      });
      this.raw += ']';
    } else if (isPlainObject(value)) {
      this.addStruct(value, path);
    } else {
      throw new ConfigError(
        ErrorCode.configWrongType,
        { path },
        'json_format values must be strings, numbers, booleans, null, lists or nested structs',
      );
    }
  }

  addStruct(fields: Record<string, unknown>, path: string): void {
    this.raw += '{';
    Object.keys(fields)
      .sort(byteOrder)
      .forEach((key, index) => {
        if (index > 0) this.raw += ',';
        this.raw += `${JSON.stringify(key)}:`;
        this.add(fields[key], `${path}.${key}`);
      });
    this.raw += '}';
  }

  finish(): JsonPiece[] {
    this.pieces.push(this.raw);
    this.raw = '';
    return this.pieces.filter((piece) => piece !== '');
  }
}

/** A compiled `json_format`; `format()` returns one line ending in `\n`. */
export class JsonAccessLogFormat {
  private readonly pieces: readonly JsonPiece[];

  constructor(fields: Record<string, unknown>, path = 'json_format') {
    const builder = new JsonTemplateBuilder();
    builder.addStruct(fields, path);
    this.pieces = builder.finish();
  }

  format(info: StreamInfo): string {
    let out = '';
    for (const piece of this.pieces) {
      if (typeof piece === 'string') {
        out += piece;
      } else if (piece.length === 1) {
        const only = piece[0] as FormatSegment;
        out += only.kind === 'literal' ? JSON.stringify(only.text) : jsonValue(only.evaluate(info));
      } else {
        out += JSON.stringify(renderSegments(piece, info));
      }
    }
    return `${out}\n`;
  }
}
