/**
 * A cursor over one normalized (already schema-validated) message, used by the builders: typed
 * reads with Envoy's defaults, errors that carry file/document/path, and the allow-list check that
 * turns every set-but-unimplemented field into "not yet supported by Spillway".
 */
import { ConfigError, ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { fieldPath, indexPath, keyPath } from '../../envoy/json-path.js';
import { durationTextToMs } from '../../envoy/well-known-json.js';

/** Where a resource came from: the file and YAML document (path excluded). */
export interface ConfigSource {
  readonly file?: string;
  readonly documentIndex?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ConfigNode {
  constructor(
    readonly value: Readonly<Record<string, unknown>>,
    readonly path: string,
    readonly source: ConfigSource,
  ) {}

  /** A node for a normalized message at `location`. */
  static at(value: Record<string, unknown>, location: ConfigLocation): ConfigNode {
    const source: { file?: string; documentIndex?: number } = {};
    if (location.file !== undefined) source.file = location.file;
    if (location.documentIndex !== undefined) source.documentIndex = location.documentIndex;
    return new ConfigNode(value, location.path, source);
  }

  location(field?: string): ConfigLocation {
    const where: ConfigLocation = { path: field === undefined ? this.path : fieldPath(this.path, field) };
    if (this.source.file !== undefined) where.file = this.source.file;
    if (this.source.documentIndex !== undefined) where.documentIndex = this.source.documentIndex;
    return where;
  }

  /** A ConfigError at this node (or at one of its fields). */
  error(code: string, problem: string, field?: string): ConfigError {
    return new ConfigError(code, this.location(field), problem);
  }

  has(field: string): boolean {
    return this.value[field] !== undefined;
  }

  string(field: string, fallback = ''): string {
    const v = this.value[field];
    return typeof v === 'string' ? v : fallback;
  }

  optionalString(field: string): string | undefined {
    const v = this.value[field];
    return typeof v === 'string' ? v : undefined;
  }

  number(field: string, fallback: number): number {
    const v = this.value[field];
    if (typeof v === 'number') return v;
    // 64-bit integers too large for a double stay decimal strings after normalization.
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
    return fallback;
  }

  optionalNumber(field: string): number | undefined {
    return this.has(field) ? this.number(field, 0) : undefined;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.value[field];
    return typeof v === 'boolean' ? v : fallback;
  }

  /** A duration field in whole milliseconds (truncated like Envoy), or `fallback` when unset. */
  durationMs(field: string, fallback: number): number {
    const v = this.value[field];
    return typeof v === 'string' ? durationTextToMs(v) : fallback;
  }

  optionalDurationMs(field: string): number | undefined {
    const v = this.value[field];
    return typeof v === 'string' ? durationTextToMs(v) : undefined;
  }

  /** The enum name set on `field`, or `fallback` (the zero value, which normalization drops). */
  enumName(field: string, fallback: string): string {
    return this.string(field, fallback);
  }

  child(field: string): ConfigNode | undefined {
    const v = this.value[field];
    return isRecord(v) ? new ConfigNode(v, fieldPath(this.path, field), this.source) : undefined;
  }

  children(field: string): ConfigNode[] {
    const v = this.value[field];
    if (!Array.isArray(v)) return [];
    return v.map(
      (item, i) =>
        new ConfigNode(isRecord(item) ? item : {}, indexPath(fieldPath(this.path, field), i), this.source),
    );
  }

  /** Entries of a map<string, message> field. */
  entries(field: string): Array<[string, ConfigNode]> {
    const v = this.value[field];
    if (!isRecord(v)) return [];
    return Object.entries(v).map(([key, item]) => [
      key,
      new ConfigNode(isRecord(item) ? item : {}, keyPath(fieldPath(this.path, field), key), this.source),
    ]);
  }

  strings(field: string): string[] {
    const v = this.value[field];
    return Array.isArray(v) ? v.filter((item): item is string => typeof item === 'string') : [];
  }

  numbers(field: string): number[] {
    const v = this.value[field];
    return Array.isArray(v) ? v.map((item) => Number(item)) : [];
  }

  /** Raw JSON (for Struct fields). */
  json(field: string): unknown {
    return this.value[field];
  }

  /** The `@type` of an `Any` node, without the `type.googleapis.com/` prefix. */
  anyTypeName(): string {
    const url = this.string('@type');
    return url.slice(url.lastIndexOf('/') + 1);
  }

  /**
   * Rejects every set field outside `supported` and `ignored`. `ignored` lists fields we accept and
   * deliberately ignore because they cannot change Spillway's observable behaviour; each call site
   * says why.
   */
  allowOnly(supported: readonly string[], ignored: readonly string[] = []): void {
    for (const key of Object.keys(this.value)) {
      if (key === '@type' || supported.includes(key) || ignored.includes(key)) continue;
      throw this.error(ErrorCode.configUnsupported, `"${key}" is not yet supported by Spillway`, key);
    }
  }
}
