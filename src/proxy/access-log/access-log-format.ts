/**
 * Turns an `AccessLogFormatConfig` into something that renders one log line per request: a text
 * template (Envoy's default when none is configured) or a `json_format` struct.
 */
import type { AccessLogFormatConfig } from '../config/filter-config.js';
import type { StreamInfo } from '../http/stream-info.js';
import { JsonAccessLogFormat } from './json-format.js';
import { parseSubstitutionFormat, renderSegments, type FormatSegment } from './substitution-format.js';

/**
 * Envoy's default access log format, byte for byte (envoyproxy/envoy
 * `source/common/formatter/http_specific_formatter.cc` `DEFAULT_FORMAT`, also in `usage.rst`). The
 * formatter adds no newline of its own; this format ends in one.
 */
export const defaultAccessLogFormat =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ' +
  '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

export interface AccessLogFormat {
  /** One complete log record (a text format supplies its own newline; JSON adds one). */
  format(info: StreamInfo): string;
}

/** A text format (Envoy `text_format`): exactly the template's output, nothing appended. */
export class TextAccessLogFormat implements AccessLogFormat {
  private readonly segments: readonly FormatSegment[];

  constructor(template: string, path = 'text_format') {
    this.segments = parseSubstitutionFormat(template, path);
  }

  format(info: StreamInfo): string {
    return renderSegments(this.segments, info);
  }
}

/** Compiles a configured format (undefined = Envoy's default); throws ConfigError on bad operators. */
export function compileAccessLogFormat(
  format: AccessLogFormatConfig | undefined,
  path = 'format',
): AccessLogFormat {
  if (format === undefined) return new TextAccessLogFormat(defaultAccessLogFormat, path);
  if (format.kind === 'text') return new TextAccessLogFormat(format.template, `${path}.text_format`);
  return new JsonAccessLogFormat(format.fields, `${path}.json_format`);
}
