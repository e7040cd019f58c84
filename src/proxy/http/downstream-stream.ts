/**
 * One downstream request/response exchange, independent of the wire protocol. The HTTP connection
 * manager and router only talk to this interface. HTTP/1 streams come from Spillway's own codec
 * (`src/proxy/codec/http1/`); `Http2DownstreamStream` adapts Node's core `http2` API (used rather than
 * the compat layer because only it can send a trailers-only response, which gRPC local replies need).
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { OutgoingHeaders } from './headers.js';
import type { HeaderMap, HttpProtocol } from './stream-info.js';

/** Receives a request body: data in order, then one `onEnd`. */
export interface RequestBodySink {
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/**
 * A request body being received. Only requests with a body have one, so bodiless requests (most of
 * them) cost no stream object. `read` never delivers synchronously: the reader can finish setting up.
 */
export interface RequestBody {
  read(sink: RequestBodySink): void;
  /** Flow control: stop / restart reading from the client. */
  pause(): void;
  resume(): void;
}

export interface DownstreamStream {
  readonly protocol: HttpProtocol;
  /** Request headers: lower-case names; `:method`, `:path`, `:authority`, `:scheme` included. */
  readonly headers: HeaderMap;
  /** The request body; undefined when the request has none (`isEndStream`). */
  readonly body: RequestBody | undefined;
  /** True when the request has no body (HTTP/2 END_STREAM on the headers; HTTP/1 without a length). */
  readonly isEndStream: boolean;
  /** An HTTP/1.1 `Upgrade` (other than h2c) or CONNECT request, which Envoy refuses without upgrade_configs. */
  readonly isUpgradeRequest: boolean;
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

/** HTTP/2 exchange on Node's core `http2` API. */
export class Http2DownstreamStream implements DownstreamStream {
  readonly protocol: HttpProtocol = 'HTTP/2';
  readonly headers: HeaderMap;
  readonly body: RequestBody | undefined;
  readonly isEndStream: boolean;
  readonly isUpgradeRequest = false;
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
    this.isEndStream = stream.endAfterHeaders;
    this.body = this.isEndStream ? undefined : new Http2RequestBody(stream);
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

/** The request body of an HTTP/2 stream (the stream is a Readable already). */
class Http2RequestBody implements RequestBody {
  constructor(private readonly stream: ServerHttp2Stream) {}

  read(sink: RequestBodySink): void {
    this.stream.on('data', (chunk: Buffer) => sink.onData(chunk));
    this.stream.on('end', () => sink.onEnd());
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }
}
