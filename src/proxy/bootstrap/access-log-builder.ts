/**
 * `config.accesslog.v3.AccessLog` with the stdout, stderr and file loggers
 * (`extensions.access_loggers.{stream,file}.v3`). The logger is chosen by the `typed_config` type,
 * as Envoy's `getAndCheckFactory` does; `name` is informational.
 */
import { ErrorCode } from '../../core/errors.js';
import type { AccessLogConfig, AccessLogFormatConfig } from '../config/filter-config.js';
import type { ConfigNode } from './config-node.js';

const stdoutType = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const stderrType = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';
const fileType = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';

function dataSourceText(node: ConfigNode): string {
  node.allowOnly(['inline_string', 'inline_bytes']);
  const bytes = node.optionalString('inline_bytes');
  return bytes === undefined ? node.string('inline_string') : Buffer.from(bytes, 'base64').toString('utf8');
}

function jsonFormat(node: ConfigNode, field: string): AccessLogFormatConfig {
  const fields = node.json(field);
  return {
    kind: 'json',
    fields: typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {},
  };
}

/** `core.v3.SubstitutionFormatString`. */
function buildSubstitutionFormat(node: ConfigNode): AccessLogFormatConfig {
  node.allowOnly(['text_format', 'json_format', 'text_format_source']);
  const source = node.child('text_format_source');
  if (source !== undefined) return { kind: 'text', template: dataSourceText(source) };
  if (node.has('json_format')) return jsonFormat(node, 'json_format');
  return { kind: 'text', template: node.string('text_format') };
}

/** The `log_format` of a stream logger, or the deprecated format fields of the file logger. */
function buildFormat(typed: ConfigNode): AccessLogFormatConfig | undefined {
  const logFormat = typed.child('log_format');
  if (logFormat !== undefined) return buildSubstitutionFormat(logFormat);
  if (typed.has('format')) return { kind: 'text', template: typed.string('format') };
  if (typed.has('json_format')) return jsonFormat(typed, 'json_format');
  return undefined;
}

/** Builds one access log; `undefined` format means Envoy's default text format. */
export function buildAccessLog(node: ConfigNode): AccessLogConfig {
  node.allowOnly(['name', 'typed_config']);
  const typed = node.child('typed_config');
  if (typed === undefined) {
    throw node.error(
      ErrorCode.configInvalid,
      'an access log needs a typed_config (stdout, stderr or file logger)',
    );
  }
  const name = node.string('name');
  switch (typed.anyTypeName()) {
    case stdoutType:
      typed.allowOnly(['log_format']);
      return { name, sink: { kind: 'stdout' }, format: buildFormat(typed) };
    case stderrType:
      typed.allowOnly(['log_format']);
      return { name, sink: { kind: 'stderr' }, format: buildFormat(typed) };
    case fileType:
      typed.allowOnly(['path', 'format', 'json_format', 'log_format']);
      return { name, sink: { kind: 'file', path: typed.string('path') }, format: buildFormat(typed) };
    default:
      throw typed.error(
        ErrorCode.configUnsupported,
        `access logger ${typed.string('@type')} is not yet supported by Spillway (stdout, stderr and file loggers are)`,
        '@type',
      );
  }
}
