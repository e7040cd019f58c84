/**
 * The router's view of one request to one upstream host, whatever the protocol. A connection pool
 * creates it; the handler receives exactly one of: a complete response (headers, data, optional
 * trailers, end) or a reset - possibly after headers (reset after response started).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { OutgoingHeaders } from '../../http/headers.js';
import type { UpstreamReset } from '../../http/stream-reset-reason.js';

export interface UpstreamRequestHead {
  readonly method: string;
  /** Path with query string. */
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  /** Regular (non-pseudo) request headers, hop-by-hop headers already removed. */
  readonly headers: OutgoingHeaders;
  /** True when the request has no body (lets HTTP/2 end the stream with the headers). */
  readonly endStream: boolean;
}

export interface UpstreamResponseHandler {
  /**
   * A connection is ready for this request (Envoy `onPoolReady`); `isNewConnection` false when a
   * pooled connection was reused.
   */
  onPoolReady(isNewConnection: boolean): void;
  onHeaders(status: number, headers: IncomingHttpHeaders, endStream: boolean): void;
  onData(chunk: Buffer): void;
  onTrailers(trailers: IncomingHttpHeaders): void;
  onEnd(): void;
  onReset(reset: UpstreamReset): void;
}

export interface UpstreamStream {
  /** Writes request body data; false means "wait for `onDrain`". */
  write(chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  /** The request body is complete. */
  end(): void;
  /** Abandons the request (no more handler calls). */
  reset(): void;
  /** Flow control of the response body. */
  pause(): void;
  resume(): void;
}

/** Per-connection counters the pools report, so the cluster can keep Envoy's `upstream_cx_*` stats. */
export interface ConnectionPoolEvents {
  onConnectionCreated(): void;
  onConnectionConnected(): void;
  onConnectionConnectFailed(isTimeout: boolean): void;
  onConnectionClosed(): void;
  /**
   * A pending request failed because a connection of its pool failed to connect (Envoy counts these
   * in `upstream_rq_pending_failure_eject`).
   */
  onPendingStreamFailed?(): void;
}

export interface ConnectionPool {
  newStream(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream;
  /** Open connections (busy + idle). */
  connectionCount(): number;
  /** Closes idle connections now and the rest once their requests finish; takes no new requests. */
  drain(): void;
  /** Closes everything now. */
  close(): void;
}
