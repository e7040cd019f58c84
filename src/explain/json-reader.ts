/**
 * Reading a peer's JSON answer (a proxy admin page, a control-plane debug page) from `unknown` with
 * a path in every complaint, so a malformed or foreign answer is reported precisely instead of
 * surfacing as `undefined` somewhere in the rendering.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { isRecord, type JsonRecord } from '../core/json-shape.js';

export class JsonReader {
  constructor(
    private readonly source: string,
    readonly value: unknown,
    readonly path = '',
  ) {}

  private fail(expected: string): never {
    const shown = this.value === undefined ? 'nothing' : JSON.stringify(this.value)?.slice(0, 60);
    throw new SpillwayError(
      ErrorCode.explainPeerAnswerInvalid,
      `${this.source}: ${this.path === '' ? 'the answer' : this.path}: expected ${expected}, got ${shown}`,
    );
  }

  private record(): JsonRecord {
    return isRecord(this.value) ? this.value : this.fail('an object');
  }

  at(key: string): JsonReader {
    return new JsonReader(this.source, this.record()[key], this.path === '' ? key : `${this.path}.${key}`);
  }

  has(key: string): boolean {
    const v = this.record()[key];
    return v !== undefined && v !== null;
  }

  items(): JsonReader[] {
    if (!Array.isArray(this.value)) this.fail('a list');
    return (this.value as unknown[]).map((v, i) => new JsonReader(this.source, v, `${this.path}[${i}]`));
  }

  string(): string {
    return typeof this.value === 'string' ? this.value : this.fail('a string');
  }

  oneOf<T extends string>(values: readonly T[]): T {
    const v = this.value;
    return typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as T)
      : this.fail(`one of ${values.join(', ')}`);
  }

  number(): number {
    return typeof this.value === 'number' && Number.isFinite(this.value) ? this.value : this.fail('a number');
  }

  boolean(): boolean {
    return typeof this.value === 'boolean' ? this.value : this.fail('true or false');
  }

  /** The value, or undefined when it is absent or null. */
  optional<T>(read: (r: JsonReader) => T): T | undefined {
    return this.value === undefined || this.value === null ? undefined : read(this);
  }

  numberMap(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of Object.keys(this.record())) out[key] = this.at(key).number();
    return out;
  }

  stringList(): string[] {
    return this.items().map((r) => r.string());
  }
}
