/**
 * One downstream request/response exchange, independent of the wire protocol. The HTTP connection
 * manager and router only talk to this interface; `Http1DownstreamStream` and `Http2DownstreamStream`
 * adapt Node's `http` and core `http2` APIs. (The core http2 API is used rather than the compat layer
 * because only it can send a trailers-only response, which gRPC local replies need.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { Readable } from 'node:stream';
import type { OutgoingHeaders } from './headers.js';
import type { HeaderMap, HttpProtocol } from './stream-info.js';

export interface DownstreamStream {
  readonly protocol: HttpProtocol;
  /** Request headers: lower-case names; `:method`, `:path`, `:authority`, `:scheme` included. */
  readonly headers: HeaderMap;
  /** The request body. */
  readonly body: Readable;
  /** True when the request has no body (HTTP/2 END_STREAM on the headers; HTTP/1 without a length). */
  readonly isEndStream: boolean;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** True once response headers were sent. */
  readonly isHeadersSent: boolean;
  /** True once the response is complete or the stream is gone. */
  readonly isClosed: boolean;
  /** Sends the response headers; with `endStream` the response is complete (no body). */
  respond(status: number, headers: OutgoingHeaders, endStream: boolean, expectTrailers?: boolean): void;
  /** Writes body data; false means "wait for `onDrain`". */
  write(chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  /** Completes the response, with trailers when the protocol can carry them. */
  end(trailers?: OutgoingHeaders): void;
  /** Aborts a response already under way (HTTP/2 RST_STREAM, HTTP/1 connection close). */
  reset(): void;
  /** Called once when the exchange ends; `completed` is false if the client went away first. */
  onClose(cb: (completed: boolean) => void): void;
}

/** HTTP/1.x exchange on Node's `http` server. */
export class Http1DownstreamStream implements DownstreamStream {
  readonly protocol: HttpProtocol;
  readonly headers: HeaderMap;
  readonly body: Readable;
  readonly isEndStream: boolean;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private isDone = false;
  private closeCallbacks: Array<(completed: boolean) => void> = [];

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.protocol = req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
    this.body = req;
    const length = req.headers['content-length'];
    this.isEndStream =
      req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    const socket = req.socket;
    this.remoteAddress = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
    this.localAddress = `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`;
    const headers: HeaderMap = new Map();
    headers.set(':method', req.method ?? 'GET');
    headers.set(':path', req.url ?? '/');
    headers.set(':scheme', 'http');
    const raw = req.headers;
    for (const name in raw) {
      const value = raw[name];
      if (value === undefined) continue;
      // Envoy's HTTP/1 codec turns Host into :authority.
      if (name === 'host') headers.set(':authority', Array.isArray(value) ? (value[0] ?? '') : value);
      else headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    if (!headers.has(':authority')) headers.set(':authority', '');
    this.headers = headers;
    res.on('close', () => this.finish(res.writableFinished));
  }

  get isHeadersSent(): boolean {
    return this.res.headersSent;
  }

  get isClosed(): boolean {
    return this.isDone;
  }

  respond(status: number, headers: OutgoingHeaders, endStream: boolean): void {
    if (this.isDone) return;
    this.res.writeHead(status, headers);
    if (endStream) this.res.end();
  }

  write(chunk: Buffer): boolean {
    if (this.isDone) return true;
    return this.res.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.res.once('drain', cb);
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.isDone) return;
    // HTTP/1.1 can carry trailers only with chunked encoding; Node sends them when allowed.
    if (trailers !== undefined && !this.res.hasHeader('content-length')) {
      this.res.addTrailers(trailers as Record<string, string>);
    }
    this.res.end();
  }

  reset(): void {
    if (this.isDone) return;
    this.req.socket.destroy();
  }

  onClose(cb: (completed: boolean) => void): void {
    this.closeCallbacks.push(cb);
  }

  private finish(completed: boolean): void {
    if (this.isDone) return;
    this.isDone = true;
    for (const cb of this.closeCallbacks) cb(completed);
    this.closeCallbacks = [];
  }
}

/** HTTP/2 exchange on Node's core `http2` API. */
export class Http2DownstreamStream implements DownstreamStream {
  readonly protocol: HttpProtocol = 'HTTP/2';
  readonly headers: HeaderMap;
  readonly body: Readable;
  readonly isEndStream: boolean;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private headersSent = false;
  private isDone = false;
  private pendingTrailers: OutgoingHeaders | undefined;
  private closeCallbacks: Array<(completed: boolean) => void> = [];
  private isResponseComplete = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    rawHeaders: IncomingHttpHeaders,
  ) {
    this.body = stream;
    this.isEndStream = stream.endAfterHeaders;
    const session = stream.session;
    const socket = session?.socket;
    this.remoteAddress = `${socket?.remoteAddress ?? ''}:${socket?.remotePort ?? 0}`;
    this.localAddress = `${socket?.localAddress ?? ''}:${socket?.localPort ?? 0}`;
    const headers: HeaderMap = new Map();
    for (const name in rawHeaders) {
      const value = rawHeaders[name];
      if (value === undefined) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    if (!headers.has(':authority')) {
      const host = headers.get('host');
      headers.set(':authority', host ?? '');
    }
    this.headers = headers;
    stream.on('wantTrailers', () => {
      const trailers = this.pendingTrailers ?? {};
      try {
        stream.sendTrailers(trailers);
      } catch {
        // The stream may have been reset meanwhile; nothing to send then.
      }
    });
    stream.on('close', () => this.finish(this.isResponseComplete && stream.rstCode === h2.NGHTTP2_NO_ERROR));
    stream.on('error', () => {
      // Reported through 'close'; an unhandled 'error' must never crash the proxy.
    });
  }

  get isHeadersSent(): boolean {
    return this.headersSent;
  }

  get isClosed(): boolean {
    return this.isDone;
  }

  respond(status: number, headers: OutgoingHeaders, endStream: boolean, expectTrailers = false): void {
    if (this.isDone || this.stream.destroyed) return;
    this.headersSent = true;
    const out: OutgoingHeaders = { ...headers, ':status': status };
    if (endStream) this.isResponseComplete = true;
    this.stream.respond(out, { endStream, waitForTrailers: !endStream && expectTrailers });
  }

  write(chunk: Buffer): boolean {
    if (this.isDone || this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.stream.once('drain', cb);
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.isDone || this.stream.destroyed) return;
    this.pendingTrailers = trailers;
    this.isResponseComplete = true;
    this.stream.end();
  }

  reset(): void {
    if (this.isDone || this.stream.destroyed) return;
    this.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  }

  onClose(cb: (completed: boolean) => void): void {
    this.closeCallbacks.push(cb);
  }

  private finish(completed: boolean): void {
    if (this.isDone) return;
    this.isDone = true;
    for (const cb of this.closeCallbacks) cb(completed);
    this.closeCallbacks = [];
  }
}
