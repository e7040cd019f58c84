/**
 * Header handling shared by the downstream and upstream sides.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Node's header object shape for outgoing headers. */
export type OutgoingHeaders = Record<string, string | string[] | number>;

/**
 * Connection-specific headers a proxy must not forward (RFC 9110 §7.6.1; Envoy removes the same set in
 * `ConnectionManagerUtility::mutateRequestHeaders` / the codecs). `te` is handled separately: only
 * `te: trailers` survives (gRPC needs it).
 */
export const hopByHopHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Copies Node's response headers into an outgoing header object without hop-by-hop headers. */
export function forwardableResponseHeaders(headers: IncomingHttpHeaders): OutgoingHeaders {
  const out: OutgoingHeaders = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || hopByHopHeaders.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** First value of a header in Node's incoming-headers shape. */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** True when the content-type marks a gRPC request or response (`application/grpc`, `application/grpc+proto`...). */
export function isGrpcContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc');
}
