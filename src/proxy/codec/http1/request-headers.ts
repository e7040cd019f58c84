/**
 * Turns a parsed HTTP/1.1 request head into the connection manager's `HeaderMap` (pseudo-headers
 * first, Host as `:authority`), applying the request-level rules of Envoy's HTTP/1 codec and HCM
 * (envoyproxy/envoy `source/common/http/http1/codec_impl.cc`, `source/common/http/conn_manager_impl.cc`).
 */
import type { HeaderMap } from '../../http/stream-info.js';
import { equalsLower, hasListToken } from './header-chars.js';
import { codecError, type CodecError, type RequestHead } from './head-parser.js';

export interface RequestHeaders {
  readonly kind: 'headers';
  readonly headers: HeaderMap;
  /** An Upgrade (other than h2c) or CONNECT request: refused by the HCM, connection closed after. */
  readonly isUpgrade: boolean;
  /** `connection: close`. */
  readonly isCloseRequested: boolean;
  /** `expect: 100-continue` was present (and has been removed from `headers`). */
  readonly isExpectContinue: boolean;
}

/** The request's headers, or the codec error Envoy answers the head with. */
export function toRequestHeaders(head: RequestHead): RequestHeaders | CodecError {
  // codec_impl.cc `checkProtocolVersion`: anything but HTTP/1.1 is HTTP/1.0 for Envoy, and with
  // `accept_http_10` false (the default; Spillway has no such option) it answers 426 `low_version`.
  if (!head.isHttp11) {
    return codecError(426, 'low_version');
  }
  const method = head.method;
  const isConnect = method === 'CONNECT';
  // codec_impl.cc `onHeadersCompleteImpl`: CONNECT with a non-zero Content-Length is 400
  // `http1.body_disallowed`; with Transfer-Encoding 501 `http1.invalid_transfer_encoding`.
  if (isConnect && head.isChunked) return codecError(501, 'http1.invalid_transfer_encoding');
  if (isConnect && head.contentLength > 0) return codecError(400, 'http1.body_disallowed');

  const headers: HeaderMap = new Map();
  // Pseudo-headers first (their values are settled below; a Map keeps the first insertion's place).
  headers.set(':method', method);
  headers.set(':path', '');
  headers.set(':scheme', 'http');
  headers.set(':authority', '');
  const raw = head.headers;
  // Envoy's HTTP/1 codec turns Host into :authority; other repeated fields are joined with ", ".
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name === 'host') {
      host ??= value;
      continue;
    }
    const prior = headers.get(name);
    headers.set(name, prior === undefined ? value : `${prior}, ${value}`);
  }
  let scheme = 'http';
  const target = head.target;
  if (isConnect) {
    // The authority-form target names the tunnel's destination (codec_impl.cc `handlePath`).
    host = target;
    headers.delete(':path');
  } else if (target.charCodeAt(0) === 0x2f || (target === '*' && method === 'OPTIONS')) {
    headers.set(':path', target);
  } else {
    // absolute-form (`allow_absolute_url` defaults to true): the target's authority replaces Host
    // (RFC 9112 §3.2.2) and its scheme must be http(s), else 400 `http1.invalid_url`.
    const abs = parseAbsoluteTarget(target);
    if (abs === undefined) return codecError(400, 'http1.invalid_url');
    scheme = abs.scheme;
    host = abs.authority;
    headers.set(':path', abs.path);
  }
  // Envoy's HCM refuses an HTTP/1.1 request without Host (`missing_host_header`, 400).
  if (host === undefined) return codecError(400, 'missing_host_header');
  headers.set(':scheme', scheme);
  headers.set(':authority', host);

  // Envoy `Utility::isUpgrade`: Connection lists `upgrade` and an Upgrade header is present. An h2c
  // upgrade is ignored (codec_impl.cc strips it); anything else is refused by the HCM with 403.
  let isUpgrade = isConnect;
  let isCloseRequested = false;
  const connection = head.connection;
  if (connection !== undefined) {
    isCloseRequested = hasListToken(connection, 'close');
    if (head.upgrade !== undefined && hasListToken(connection, 'upgrade')) {
      isUpgrade = !equalsLower(head.upgrade, 'h2c');
    }
  }
  if (!isUpgrade && head.upgrade !== undefined) {
    headers.delete('upgrade');
    headers.delete('http2-settings');
  }
  const isExpectContinue = head.expect === '100-continue';
  if (isExpectContinue) headers.delete('expect');
  return { kind: 'headers', headers, isUpgrade, isCloseRequested, isExpectContinue };
}

/** `http(s)://authority[/path]` -> parts, or undefined. */
function parseAbsoluteTarget(
  target: string,
): { scheme: string; authority: string; path: string } | undefined {
  const sep = target.indexOf('://');
  if (sep <= 0) return undefined;
  const scheme = target.slice(0, sep).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const rest = sep + 3;
  let pathStart = target.length;
  for (let i = rest; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f || c === 0x3f) {
      pathStart = i;
      break;
    }
  }
  const authority = target.slice(rest, pathStart);
  if (authority === '' || authority.includes('@')) return undefined;
  let path = target.slice(pathStart);
  if (path === '') path = '/';
  else if (path.charCodeAt(0) === 0x3f) path = `/${path}`;
  return { scheme, authority, path };
}
