/**
 * Reads an Envoy bootstrap file (YAML or JSON, told apart by content) and builds its typed config.
 * Every error names the file; parse errors also give line and column.
 *
 * YAML follows Envoy's loader where it matters: keys tagged `!ignore` are dropped (so anchors can be
 * declared in them, `ValueUtil::loadFromYaml` in source/common/protobuf/utility.cc), duplicate keys
 * and multiple documents are errors. Scalars follow YAML 1.2 (Envoy's yaml-cpp also reads `yes`/`on`
 * as booleans; we do not).
 */
import { readFile } from 'node:fs/promises';
import { isScalar, parseAllDocuments, Scalar, visit } from 'yaml';
import { ConfigError, ErrorCode, type ConfigLocation } from '../../core/errors.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';
import { buildBootstrap } from './bootstrap-builder.js';

function parseError(file: string | undefined, documentIndex: number, problem: string): ConfigError {
  const location: ConfigLocation = { documentIndex, path: '' };
  if (file !== undefined) location.file = file;
  return new ConfigError(ErrorCode.configParse, location, problem);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function parseJson(text: string, file: string | undefined): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const message = (e as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    if (position === undefined) throw parseError(file, 0, `JSON syntax error: ${message}`);
    const { line, column } = lineAndColumn(text, Number(position));
    throw parseError(
      file,
      0,
      `JSON syntax error at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
    );
  }
}

function parseYaml(text: string, file: string | undefined): unknown {
  const documents = parseAllDocuments(text, { uniqueKeys: true, merge: false });
  if (documents.length === 0) throw parseError(file, 0, 'the file holds no configuration');
  for (const [index, document] of documents.entries()) {
    const error = document.errors[0];
    if (error !== undefined) {
      const at = error.linePos?.[0];
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
      throw parseError(
        file,
        index,
        `YAML syntax error${where}: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
  }
  if (documents.length > 1) throw parseError(file, 1, 'a bootstrap file holds exactly one YAML document');
  const document = documents[0];
  if (document === undefined) throw parseError(file, 0, 'the file holds no configuration');
  // Ignored pairs are renamed rather than removed so that aliases to anchors inside them resolve.
  visit(document, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.tag === '!ignore') pair.key = new Scalar(ignoredKey);
    },
  });
  return withoutIgnoredKeys(document.toJS({ maxAliasCount: 1000 }));
}

const ignoredKey = '\u0000spillway:ignore';

function withoutIgnoredKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIgnoredKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    if (key !== ignoredKey) out[key] = withoutIgnoredKeys(item);
  return out;
}

/** Parses bootstrap text: JSON when it starts with `{`, YAML otherwise. */
export function parseConfigText(text: string, file?: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  const parsed = body.trimStart().startsWith('{') ? parseJson(body, file) : parseYaml(body, file);
  if (parsed === null || parsed === undefined) throw parseError(file, 0, 'the file holds no configuration');
  return parsed;
}

/** Reads, parses, validates and builds a bootstrap file. */
export async function loadBootstrapFile(path: string): Promise<BootstrapConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      ErrorCode.configRead,
      { file: path, path: '' },
      `cannot read the file: ${(e as Error).message}`,
    );
  }
  return buildBootstrap(parseConfigText(text, path), { file: path });
}
