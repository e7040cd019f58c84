/**
 * A listening socket whose connections speak HTTP/1.1 or HTTP/2 cleartext. With `codec_type: AUTO`
 * (Envoy's default) the first bytes decide: the HTTP/2 connection preface (`PRI * HTTP/2.0`) selects
 * HTTP/2 with prior knowledge, anything else HTTP/1 (Envoy `ConnectionManagerUtility::autoCreateCodec`).
 *
 * HTTP/1 runs on Spillway's own codec (`src/proxy/codec/http1/`): malformed requests get Envoy's
 * codec-error replies (400, 431, 426, 501) and the connection is closed; nothing a client sends can
 * throw out of this class. HTTP/2 runs on Node's core `http2`.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { SystemClock, type Clock } from '../../core/clock.js';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { DateHeaderCache } from '../codec/http1/message-encoding.js';
import { Http1ServerConnection, type Http1ServerOptions } from '../codec/http1/server-connection.js';
import type { SocketAddress } from '../config/cluster-config.js';
import { Http2DownstreamStream, type DownstreamStream } from '../http/downstream-stream.js';

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
  /** `common_http_protocol_options.max_headers_count`; Envoy's default is 100. */
  readonly maxHeadersCount?: number;
  /** Time source for the `date` header; the system clock when not given. */
  readonly clock?: Clock;
}

export interface ListenerConnectionEvents {
  onConnectionOpened(): void;
  onConnectionClosed(): void;
  onCodecError(kind: 'bad_request' | 'headers_too_large' | 'h2_protocol'): void;
}

export type StreamHandler = (stream: DownstreamStream) => void;

export class HttpListener {
  private readonly netServer: net.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly h1Connections = new Set<Http1ServerConnection>();
  private readonly dateCache: DateHeaderCache;
  private readonly h1Options: Http1ServerOptions;
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
    this.dateCache = new DateHeaderCache(options.clock ?? new SystemClock());
    this.h1Options = {
      maxRequestHeadersKb: options.maxRequestHeadersKb,
      maxHeadersCount: options.maxHeadersCount ?? 100,
      idleTimeoutMs: options.idleTimeoutMs,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    };
    this.h2 = http2.createServer({
      maxHeaderListPairs: 1000,
      settings: { maxConcurrentStreams: options.http2MaxConcurrentStreams, maxHeaderListSize: maxHeaderSize },
    });
    this.h2.on('stream', (stream, headers) => {
      let downstream: DownstreamStream;
      try {
        downstream = new Http2DownstreamStream(stream, headers);
      } catch (err) {
        log.warn({ err }, 'could not set up a downstream stream');
        return;
      }
      this.dispatch(downstream);
    });
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
    for (const connection of this.h1Connections) connection.drain();
    if (this.sockets.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          for (const socket of this.sockets) socket.destroy();
          resolve();
        }, graceMs);
        deadline.unref();
        const check = setInterval(() => {
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

  private dispatch(stream: DownstreamStream): void {
    try {
      this.handler(stream);
    } catch (err) {
      // The connection manager never throws by contract; if it did, the client gets a reset, not a crash.
      log.error({ err }, 'request handler threw');
      stream.reset();
    }
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
    if (this.options.codecType === 'HTTP1') {
      this.startHttp1(socket, undefined);
    } else if (this.options.codecType === 'HTTP2') {
      this.startHttp2(socket);
    } else {
      this.detectCodec(socket);
    }
  }

  private startHttp1(socket: net.Socket, initial: Buffer | undefined): void {
    const connection = new Http1ServerConnection(
      socket,
      this.h1Options,
      {
        onStream: (stream) => this.dispatch(stream),
        onCodecError: (kind) => this.events.onCodecError(kind),
      },
      this.dateCache,
      initial,
    );
    this.h1Connections.add(connection);
    socket.on('close', () => this.h1Connections.delete(connection));
    if (this.isClosing) connection.drain();
  }

  private startHttp2(socket: net.Socket): void {
    if (this.options.idleTimeoutMs > 0) socket.setTimeout(this.options.idleTimeoutMs, () => socket.destroy());
    this.h2.emit('connection', socket);
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
      if (isPrefaceSoFar) {
        socket.pause();
        socket.unshift(seen);
        this.startHttp2(socket);
        process.nextTick(() => socket.resume());
      } else {
        this.startHttp1(socket, seen);
      }
    };
    socket.on('data', onData);
  }
}
