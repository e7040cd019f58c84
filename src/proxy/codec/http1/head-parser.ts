/**
 * Parses the head (start line + header fields) of an HTTP/1.x request or response that is already
 * complete in memory (the caller found the blank line). Names are lower-cased, values trimmed of
 * optional whitespace, order kept. Every reject carries the status Envoy's HTTP/1 codec answers with
 * and its response-code details (envoyproxy/envoy `source/common/http/http1/codec_impl.cc`).
 */
import { equalsLower, isFieldValueChar, isTargetChar, isTokenChar, lowerToken } from './header-chars.js';
import { knownHeaderName } from './known-header-names.js';

/** A malformed head: the local reply status and Envoy's `response_code_details`. */
export interface CodecError {
  readonly kind: 'error';
  readonly status: 400 | 426 | 431 | 501;
  readonly details: string;
}

export interface HeadLimits {
  /** Envoy `max_request_headers_kb` * 1024 (responses: 80 KiB, Envoy's MAX_RESPONSE_HEADERS_KB). */
  readonly maxHeadersBytes: number;
  /** `common_http_protocol_options.max_headers_count` (default 100). */
  readonly maxHeadersCount: number;
}

interface HeadFields {
  /** Flat `[name, value, name, value, ...]`, names lower-case. */
  readonly headers: string[];
  /** -1 when there is no Content-Length. */
  readonly contentLength: number;
  readonly isChunked: boolean;
  /** Raw `connection` value (joined if repeated), or undefined. */
  readonly connection: string | undefined;
  /** Raw `upgrade` value, or undefined. */
  readonly upgrade: string | undefined;
  readonly isHttp11: boolean;
}

export interface RequestHead extends HeadFields {
  readonly kind: 'request';
  readonly method: string;
  readonly target: string;
  /** Raw `expect` value, or undefined. */
  readonly expect: string | undefined;
}

export interface ResponseHead extends HeadFields {
  readonly kind: 'response';
  readonly status: number;
}

/**
 * Bytes the connections search as text for the blank line ending a head. Most heads are far shorter;
 * a longer one (or a head followed by a large body in the same read, which must not be converted to a
 * string) is searched in the buffer.
 */
export const headScanBytes = 4096;

export function codecError(status: CodecError['status'], details: string): CodecError {
  return { kind: 'error', status, details };
}

const badRequest = codecError(400, 'http1.codec_error');

/** Parses `text` (the head in latin1, without the final CRLF CRLF) as a request. */
export function parseRequestHead(text: string, limits: HeadLimits): RequestHead | CodecError {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
  let i = 0;
  while (i < lineEnd && isTokenChar[text.charCodeAt(i)] === 1) i++;
  if (i === 0 || text.charCodeAt(i) !== 0x20) return badRequest;
  const method = text.slice(0, i);
  const targetStart = ++i;
  while (i < lineEnd && isTargetChar[text.charCodeAt(i)] === 1) i++;
  if (i === targetStart || text.charCodeAt(i) !== 0x20) return badRequest;
  const target = text.slice(targetStart, i);
  const version = parseVersion(text, i + 1, lineEnd);
  if (version < 0) return badRequest;
  // Envoy counts the URL toward the header size limit (ServerConnectionImpl::getHeadersSize).
  const fields = parseFields(text, lineEnd, limits, target.length);
  if (fields.kind === 'error') return fields;
  return {
    kind: 'request',
    method,
    target,
    expect: fields.expect,
    headers: fields.headers,
    contentLength: fields.contentLength,
    isChunked: fields.isChunked,
    connection: fields.connection,
    upgrade: fields.upgrade,
    isHttp11: version === 11,
  };
}

/** Parses `text` (the head in latin1, without the final CRLF CRLF) as a response. */
export function parseResponseHead(text: string, limits: HeadLimits): ResponseHead | CodecError {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
  if (lineEnd < 12 || text.charCodeAt(8) !== 0x20) return badRequest;
  const version = parseVersion(text, 0, 8);
  if (version < 0) return badRequest;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return badRequest;
    status = status * 10 + d;
  }
  if (status < 100 || (lineEnd > 12 && text.charCodeAt(12) !== 0x20)) return badRequest;
  const fields = parseFields(text, lineEnd, limits, 0);
  if (fields.kind === 'error') return fields;
  return {
    kind: 'response',
    status,
    headers: fields.headers,
    contentLength: fields.contentLength,
    isChunked: fields.isChunked,
    connection: fields.connection,
    upgrade: fields.upgrade,
    isHttp11: version === 11,
  };
}

/** `HTTP/d.d` between `from` and `to`: 10 * major + minor, or -1. */
function parseVersion(text: string, from: number, to: number): number {
  if (to - from !== 8 || !text.startsWith('HTTP/', from) || text.charCodeAt(from + 6) !== 0x2e) return -1;
  const major = text.charCodeAt(from + 5) - 0x30;
  const minor = text.charCodeAt(from + 7) - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return -1;
  return major * 10 + minor;
}

interface ParsedFields extends Omit<HeadFields, 'isHttp11'> {
  readonly kind: 'fields';
  readonly expect: string | undefined;
}

/**
 * Parses the header lines after the start line. Limits as Envoy's codec checks them
 * (codec_impl.cc `checkMaxHeadersSize`: names + values (+ URL) above `max_request_headers_kb` -> 431
 * `http1.headers_too_large`; `completeCurrentHeader`: more than `max_headers_count` -> 431
 * `http1.too_many_headers`).
 */
export function parseFields(
  text: string,
  startLineEnd: number,
  limits: HeadLimits,
  initialSize: number,
): ParsedFields | CodecError {
  const headers: string[] = [];
  let size = initialSize;
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string | undefined;
  let upgrade: string | undefined;
  let expect: string | undefined;
  let pos = startLineEnd + 2;
  const end = text.length;
  while (pos < end) {
    let lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd < 0) lineEnd = end;
    const first = text.charCodeAt(pos);
    // obs-fold (a line starting with SP/HTAB): RFC 9112 §5.2 lets a server reject it with 400; we do,
    // rather than splice values together differently from the upstream.
    if (first === 0x20 || first === 0x09) return badRequest;
    let i = pos;
    while (i < lineEnd && isTokenChar[text.charCodeAt(i)] === 1) i++;
    // No whitespace between name and colon (RFC 9112 §5.1): 400.
    if (i === pos || text.charCodeAt(i) !== 0x3a) return badRequest;
    const name = knownHeaderName(text, pos, i) ?? lowerToken(text.slice(pos, i));
    i++;
    while (i < lineEnd && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
    const valueStart = i;
    let valueEnd = valueStart;
    for (; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (isFieldValueChar[c] !== 1) return codecError(400, 'http1.invalid_characters');
      if (c !== 0x20 && c !== 0x09) valueEnd = i + 1;
    }
    const value = text.slice(valueStart, valueEnd);
    size += name.length + value.length;
    if (size > limits.maxHeadersBytes) return codecError(431, 'http1.headers_too_large');
    headers.push(name, value);
    if (headers.length > limits.maxHeadersCount * 2) return codecError(431, 'http1.too_many_headers');
    switch (name) {
      case 'content-length': {
        const n = parseContentLength(value);
        // Repeated Content-Length with differing values is a smuggling vector: 400 (RFC 9112 §6.3).
        if (n < 0 || (contentLength >= 0 && n !== contentLength)) return badRequest;
        contentLength = n;
        break;
      }
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        break;
      case 'upgrade':
        upgrade = value;
        break;
      case 'expect':
        expect = value;
        break;
      default:
        break;
    }
    pos = lineEnd + 2;
  }
  let isChunked = false;
  if (transferEncoding !== undefined) {
    // codec_impl.cc `onHeadersCompleteImpl`: Transfer-Encoding together with Content-Length is 400
    // `http1.content_length_and_chunked_not_allowed` (unless `allow_chunked_length`, which Spillway does
    // not support); any coding other than exactly `chunked` is 501 `http1.invalid_transfer_encoding`.
    if (contentLength >= 0) return codecError(400, 'http1.content_length_and_chunked_not_allowed');
    if (!equalsLower(transferEncoding, 'chunked')) return codecError(501, 'http1.invalid_transfer_encoding');
    isChunked = true;
  }
  return { kind: 'fields', headers, contentLength, isChunked, connection, upgrade, expect };
}

/** Decimal digits only, at most 15 of them (below 2^53); -1 otherwise. */
function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
