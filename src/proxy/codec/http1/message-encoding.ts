/**
 * Serialising HTTP/1.1 heads as one latin1 string (one socket write), with Envoy's framing rules
 * (envoyproxy/envoy `source/common/http/http1/codec_impl.cc` `StreamEncoderImpl::encodeHeadersBase`):
 * a response without Content-Length that ends with its headers gets `content-length: 0` (not for
 * HEAD, 1xx, 204, 304); one with a body to come is chunked (for HEAD only the informational
 * `transfer-encoding: chunked` header, never a chunked body); 1xx/204/304 are never chunked.
 */
import { STATUS_CODES } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import type { OutgoingHeaders } from '../../http/headers.js';

const statusLines: string[] = [];

/** `HTTP/1.1 <code> <reason>\r\n`, cached per code (Envoy's reason phrases; unknown codes `Unknown`). */
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    if (status >= 100 && status < 1000) statusLines[status] = line;
  }
  return line;
}

/**
 * The `date` header value, formatted at most once per second. Envoy's HCM adds `date` only when the
 * response has none (conn_manager_impl.cc `ActiveStream::encodeHeaders`: the upstream's is preserved).
 */
export class DateHeaderCache {
  private second = -1;
  private formatted = '';

  constructor(private readonly clock: Clock) {}

  value(): string {
    const second = Math.floor(this.clock.wallMs() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.formatted = new Date(second * 1000).toUTCString();
    }
    return this.formatted;
  }
}

/** How the body after a head is framed on the wire. */
export const enum BodyFraming {
  /** No body bytes may follow (HEAD, 1xx/204/304, or ended with the headers). */
  None,
  /** Content-Length given: data goes out as is. */
  Length,
  Chunked,
  /** HTTP/1.0-style: data as is, the end is the connection close. */
  UntilClose,
}

/** Appends `name: value\r\n` lines; returns [text, sawContentLength, sawDate]. Skips hop-by-hop framing. */
export function encodeHeaderLines(headers: OutgoingHeaders): {
  text: string;
  hasLength: boolean;
  hasDate: boolean;
} {
  let text = '';
  let hasLength = false;
  let hasDate = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    switch (name) {
      case 'content-length':
        hasLength = true;
        break;
      case 'date':
        hasDate = true;
        break;
      // The codec owns framing and connection management (Envoy asserts upper layers removed them).
      case 'transfer-encoding':
      case 'connection':
      case 'keep-alive':
        continue;
      default:
        break;
    }
    if (typeof value === 'string') text += `${name}: ${value}\r\n`;
    else if (typeof value === 'number') text += `${name}: ${value}\r\n`;
    else for (const v of value) text += `${name}: ${v}\r\n`;
  }
  return { text, hasLength, hasDate };
}

/** Response framing per Envoy's `encodeHeadersBase` (see the file comment). */
export function responseFraming(
  status: number,
  hasLength: boolean,
  endStream: boolean,
  isHeadRequest: boolean,
): { framing: BodyFraming; extraHeader: string } {
  if (status < 200 || status === 204 || status === 304) return { framing: BodyFraming.None, extraHeader: '' };
  if (hasLength)
    return { framing: isHeadRequest || endStream ? BodyFraming.None : BodyFraming.Length, extraHeader: '' };
  if (endStream) {
    return { framing: BodyFraming.None, extraHeader: isHeadRequest ? '' : 'content-length: 0\r\n' };
  }
  return {
    framing: isHeadRequest ? BodyFraming.None : BodyFraming.Chunked,
    extraHeader: 'transfer-encoding: chunked\r\n',
  };
}

/** Methods Envoy treats as bodiless requests: no `content-length: 0` is added for them. */
const bodilessMethods: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Request head for an upstream; `hasBody` false when the request ends with its headers. */
export function encodeRequestHead(
  method: string,
  path: string,
  authority: string,
  headers: OutgoingHeaders,
  hasBody: boolean,
): { text: string; framing: BodyFraming } {
  const lines = encodeHeaderLines(headers);
  let text = `${method} ${path} HTTP/1.1\r\nhost: ${authority}\r\n${lines.text}`;
  let framing = BodyFraming.None;
  if (hasBody) {
    if (lines.hasLength) framing = BodyFraming.Length;
    else {
      text += 'transfer-encoding: chunked\r\n';
      framing = BodyFraming.Chunked;
    }
  } else if (!lines.hasLength && !bodilessMethods.has(method)) {
    text += 'content-length: 0\r\n';
  }
  return { text: `${text}\r\n`, framing };
}

/** Chunk header for `length` bytes of data. */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

/** The last chunk plus trailer lines and the final CRLF. */
export function lastChunk(trailers: OutgoingHeaders | undefined): string {
  if (trailers === undefined) return '0\r\n\r\n';
  return `0\r\n${encodeHeaderLines(trailers).text}\r\n`;
}
