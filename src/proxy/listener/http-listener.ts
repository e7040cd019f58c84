/**
 * A listening socket whose connections speak HTTP/1.1 or HTTP/2 cleartext. With `codec_type: AUTO`
 * (Envoy's default) the first bytes decide: the HTTP/2 connection preface (`PRI * HTTP/2.0`) selects
 * HTTP/2 with prior knowledge, anything else HTTP/1 (Envoy `ConnectionManagerUtility::autoCreateCodec`).
 *
 * Malformed HTTP/1 requests get a 400 (oversized headers a 431) and the connection is closed, like
 * Envoy's codec errors (`http1.codec_error`, `http1.headers_too_large`); nothing a client sends can
 * throw out of this class.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { SocketAddress } from '../config/cluster-config.js';
import {
  Http1DownstreamStream,
  Http2DownstreamStream,
  type DownstreamStream,
} from '../http/downstream-stream.js';

const log = createLogger('listener');

const h2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export interface HttpListenerOptions {
  readonly name: string;
  readonly address: SocketAddress;
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly maxRequestHeadersKb: number;
  /** Downstream connection idle timeout (ms), 0 = none. */
  readonly idleTimeoutMs: number;
  readonly http2MaxConcurrentStreams: number;
}

export interface ListenerConnectionEvents {
  onConnectionOpened(): void;
  onConnectionClosed(): void;
  onCodecError(kind: 'bad_request' | 'headers_too_large' | 'h2_protocol'): void;
}

export type StreamHandler = (stream: DownstreamStream) => void;

export class HttpListener {
  private readonly netServer: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  private handler: StreamHandler;
  private isClosing = false;

  constructor(
    readonly options: HttpListenerOptions,
    handler: StreamHandler,
    private readonly events: ListenerConnectionEvents,
  ) {
    this.handler = handler;
    const maxHeaderSize = options.maxRequestHeadersKb * 1024;
    this.h1 = http.createServer({ maxHeaderSize, requestTimeout: 0, headersTimeout: 0 });
    this.h1.keepAliveTimeout = options.idleTimeoutMs;
    this.h1.on('request', (req, res) => this.dispatch(() => new Http1DownstreamStream(req, res)));
    this.h1.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
      this.onHttp1ClientError(err, socket),
    );
    this.h2 = http2.createServer({
      maxHeaderListPairs: 1000,
      settings: { maxConcurrentStreams: options.http2MaxConcurrentStreams, maxHeaderListSize: maxHeaderSize },
    });
    this.h2.on('stream', (stream, headers) =>
      this.dispatch(() => new Http2DownstreamStream(stream, headers)),
    );
    this.h2.on('session', (session) => {
      this.h2Sessions.add(session);
      session.on('close', () => this.h2Sessions.delete(session));
      session.on('error', () => this.events.onCodecError('h2_protocol'));
      if (this.isClosing) session.close();
    });
    this.h2.on('sessionError', () => {
      // Counted in the session 'error' handler; never let it escape.
    });
    this.netServer = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
  }

  /** Binds the socket. Fails with SPILLWAY_ERR_LISTENER_BIND if the address cannot be bound. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new ConfigError(
            ErrorCode.listenerBind,
            { path: `listener ${this.options.name}` },
            `cannot bind ${this.options.address.address}:${this.options.address.port}: ${err.message}`,
          ),
        );
      };
      this.netServer.once('error', onError);
      this.netServer.listen(this.options.address.port, this.options.address.address, () => {
        this.netServer.off('error', onError);
        this.netServer.on('error', (err) =>
          log.error({ err, listener: this.options.name }, 'listener socket error'),
        );
        resolve();
      });
    });
  }

  /** The bound address (the real port when configured with port 0). */
  boundAddress(): SocketAddress {
    const addr = this.netServer.address();
    if (addr === null || typeof addr === 'string') return this.options.address;
    return { address: addr.address, port: addr.port };
  }

  /** Replaces the request handler (new route/filter config); in-flight requests keep the old one. */
  setHandler(handler: StreamHandler): void {
    this.handler = handler;
  }

  /** Number of open downstream connections. */
  connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Stops accepting, lets in-flight requests finish (HTTP/2 GOAWAY, HTTP/1 closes idle keep-alive
   * connections and `connection: close` on the rest), and force-closes whatever is left after
   * `graceMs`.
   */
  async close(graceMs = 0): Promise<void> {
    this.isClosing = true;
    const closed = new Promise<void>((resolve) => this.netServer.close(() => resolve()));
    for (const session of this.h2Sessions) session.close();
    this.h1.closeIdleConnections();
    if (this.sockets.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          for (const socket of this.sockets) socket.destroy();
          resolve();
        }, graceMs);
        deadline.unref();
        const check = setInterval(() => {
          this.h1.closeIdleConnections();
          if (this.sockets.size === 0) {
            clearInterval(check);
            clearTimeout(deadline);
            resolve();
          }
        }, 10);
        check.unref();
      });
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private dispatch(create: () => DownstreamStream): void {
    let stream: DownstreamStream;
    try {
      stream = create();
    } catch (err) {
      log.warn({ err }, 'could not set up a downstream stream');
      return;
    }
    this.handler(stream);
  }

  private onConnection(socket: net.Socket): void {
    if (this.isClosing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.events.onConnectionOpened();
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.events.onConnectionClosed();
    });
    socket.on('error', () => {
      // A client resetting its connection is normal; 'close' follows.
    });
    if (this.options.idleTimeoutMs > 0) socket.setTimeout(this.options.idleTimeoutMs, () => socket.destroy());
    if (this.options.codecType === 'HTTP1') {
      this.h1.emit('connection', socket);
    } else if (this.options.codecType === 'HTTP2') {
      this.h2.emit('connection', socket);
    } else {
      this.detectCodec(socket);
    }
  }

  /** Reads just enough of the first bytes to tell the HTTP/2 preface from an HTTP/1 request line. */
  private detectCodec(socket: net.Socket): void {
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, h2Preface.length);
      const isPrefaceSoFar = seen.subarray(0, n).equals(h2Preface.subarray(0, n));
      if (isPrefaceSoFar && n < h2Preface.length) return; // need more bytes to decide
      socket.off('data', onData);
      socket.pause();
      socket.unshift(seen);
      if (isPrefaceSoFar) this.h2.emit('connection', socket);
      else this.h1.emit('connection', socket);
      process.nextTick(() => socket.resume());
    };
    socket.on('data', onData);
  }

  private onHttp1ClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const isTooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    this.events.onCodecError(isTooLarge ? 'headers_too_large' : 'bad_request');
    if (!socket.writable || (err.code === 'ECONNRESET' && socket.destroyed)) {
      socket.destroy();
      return;
    }
    // Envoy answers codec errors with a local reply and closes the connection.
    const body = isTooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
    const status = isTooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}
