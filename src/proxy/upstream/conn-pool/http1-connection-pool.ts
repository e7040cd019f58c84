/**
 * HTTP/1.1 connection pool for one upstream host, on Spillway's own HTTP/1 codec
 * (`src/proxy/codec/http1/client-connection.ts`): one request at a time per connection, idle
 * connections reused (most recently used first), requests queued when `max_connections` are busy.
 *
 * Envoy semantics reproduced here: a request whose connection never came up is a connection failure
 * (`RemoteConnectionFailure` with the socket error, or `ConnectionTimeout` after `connect_timeout`),
 * and a failed connect fails every request still queued in the pool (Envoy
 * `ConnPoolImplBase::onConnectionEvent` purges all pending streams); a connection that closes or resets
 * before the response completes is `ConnectionTermination`; a response that cannot be parsed is
 * `ProtocolError` (Envoy's HTTP/1 codec, `source/common/http/http1/conn_pool.cc` /
 * `codec_client.cc`). `onPoolReady` fires when the request is written on a connected socket, which is
 * when Envoy reports `LocalOriginConnectSuccess`.
 *
 * A bodiless GET/HEAD/OPTIONS whose connection closes before any response byte is sent once more on
 * another connection, transparently: that is what a kept-alive connection the backend had just closed
 * looks like, and the endpoint never processed the request. Without it a backend going away costs
 * clients `503 UC` that no retry policy short of `reset` avoids (ADR 0004). A second failure is
 * reported normally.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import { createLogger } from '../../../core/logger.js';
import {
  Http1ClientConnection,
  isRedispatchableMethod,
  type ClientConnectionOwner,
  type ClientExchange,
} from '../../codec/http1/client-connection.js';
import type { OutgoingHeaders } from '../../http/headers.js';
import type { StreamResetReason } from '../../http/stream-reset-reason.js';
import type {
  ConnectionPool,
  ConnectionPoolEvents,
  UpstreamRequestHead,
  UpstreamResponseHandler,
  UpstreamStream,
} from './upstream-stream.js';

export interface Http1PoolOptions {
  readonly address: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  /** Idle connection timeout; 0 = never. */
  readonly idleTimeoutMs: number;
  /** 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  readonly maxConnections: number;
}

const log = createLogger('http1-pool');

/** Request headers a proxy must not forward on HTTP/1 (the codec owns framing; 100-continue is ours). */
const droppedRequestHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

export class Http1ConnectionPool implements ConnectionPool, ClientConnectionOwner {
  private readonly connections = new Set<Http1ClientConnection>();
  private readonly idle: Http1ClientConnection[] = [];
  private readonly queue: Http1UpstreamStream[] = [];
  private connecting = 0;
  private isDraining = false;
  private isClosed = false;

  constructor(
    private readonly options: Http1PoolOptions,
    private readonly clock: Clock,
    private readonly events: ConnectionPoolEvents,
  ) {}

  connectionCount(): number {
    return this.connections.size;
  }

  newStream(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    const stream = new Http1UpstreamStream(this, head, handler);
    this.enqueue(stream, false);
    return stream;
  }

  drain(): void {
    this.isDraining = true;
    for (const connection of this.idle.splice(0)) connection.close();
  }

  close(): void {
    this.isClosed = true;
    this.isDraining = true;
    for (const stream of this.queue.splice(0)) stream.fail('ConnectionTermination', undefined);
    for (const connection of [...this.connections]) connection.close();
  }

  // --- scheduling -------------------------------------------------------------------------------

  /**
   * Gives `stream` a connection: an idle one, a new one, or a place in the queue. A re-dispatched
   * request goes first in the queue and waits for a new connection: every kept-alive one may be as
   * stale as the one that just failed - a backend closing its keep-alive connections closes them
   * all, including one whose response Spillway is reading right now (ADR 0006).
   */
  enqueue(stream: Http1UpstreamStream, isRedispatch: boolean): void {
    if (this.isClosed) {
      queueMicrotask(() => stream.fail('LocalReset', undefined));
      return;
    }
    if (!isRedispatch) {
      const connection = this.idle.pop();
      if (connection !== undefined) {
        this.assign(connection, stream, false);
        return;
      }
    }
    if (isRedispatch) this.queue.unshift(stream);
    else this.queue.push(stream);
    const max = this.options.maxConnections;
    if ((isRedispatch || this.queue.length > this.connecting) && (max <= 0 || this.connections.size < max)) {
      this.connect();
    }
  }

  /** A queued stream gave up before it got a connection. */
  dequeue(stream: Http1UpstreamStream): void {
    const i = this.queue.indexOf(stream);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private connect(): void {
    const o = this.options;
    this.connecting++;
    this.events.onConnectionCreated();
    const connection = new Http1ClientConnection(
      o.address,
      o.port,
      o.connectTimeoutMs,
      o.idleTimeoutMs,
      this,
      this.clock,
    );
    this.connections.add(connection);
  }

  private assign(connection: Http1ClientConnection, stream: Http1UpstreamStream, isNew: boolean): void {
    stream.start(connection, isNew);
  }

  /** Puts a connection back to work or to rest. */
  private release(connection: Http1ClientConnection, isNew: boolean): void {
    const max = this.options.maxRequestsPerConnection;
    if (max > 0 && connection.requestCount >= max) {
      connection.close();
      return;
    }
    const next = isNew ? this.queue.shift() : this.nextForReusedConnection();
    if (next !== undefined) {
      this.assign(connection, next, isNew);
      return;
    }
    if (this.isDraining) connection.close();
    else this.idle.push(connection);
  }

  /**
   * The first queued stream a kept-alive connection may take: re-dispatched streams (at the front)
   * wait for a new connection, unless `max_connections` leaves no room for one.
   */
  private nextForReusedConnection(): Http1UpstreamStream | undefined {
    const queue = this.queue;
    let i = 0;
    while (i < queue.length && queue[i]!.isRedispatch) i++;
    const max = this.options.maxConnections;
    if (i > 0 && max > 0 && this.connections.size >= max) i = 0;
    return i < queue.length ? queue.splice(i, 1)[0] : undefined;
  }

  // --- ClientConnectionOwner --------------------------------------------------------------------

  onConnected(connection: Http1ClientConnection): void {
    this.connecting--;
    this.events.onConnectionConnected();
    this.release(connection, true);
  }

  onConnectFailed(connection: Http1ClientConnection, cause: NodeJS.ErrnoException, isTimeout: boolean): void {
    this.connecting--;
    this.connections.delete(connection);
    this.events.onConnectionConnectFailed(isTimeout);
    this.events.onConnectionClosed();
    log.debug({ code: cause.code, isTimeout }, 'upstream connect failed');
    const reason: StreamResetReason = isTimeout
      ? 'ConnectionTimeout'
      : cause.syscall === 'connect' || isRemoteConnectError(cause.code)
        ? 'RemoteConnectionFailure'
        : 'LocalConnectionFailure';
    // Envoy `ConnPoolImplBase::onConnectionEvent` -> `purgePendingStreams`: a connection that fails
    // to connect fails every pending stream of the host's pool, including those that another
    // connection still connecting could have served. So each of them reaches the outlier detector
    // now, not one connect failure at a time (a host refusing connections is ejected on the first
    // refusal when enough requests were waiting). The queue is emptied first so that a stream a
    // failure callback submits to this pool (a retry) is not failed with them.
    const purged = this.queue.splice(0);
    for (const stream of purged) {
      this.events.onPendingStreamFailed?.();
      stream.fail(reason, isTimeout ? undefined : cause);
    }
  }

  onExchangeDone(connection: Http1ClientConnection, isReusable: boolean): void {
    if (isReusable) this.release(connection, false);
  }

  onClosed(connection: Http1ClientConnection): void {
    this.connections.delete(connection);
    const i = this.idle.indexOf(connection);
    if (i >= 0) this.idle.splice(i, 1);
    this.events.onConnectionClosed();
    // Requests still queued need a connection of their own now.
    const max = this.options.maxConnections;
    if (this.queue.length > this.connecting && !this.isClosed && (max <= 0 || this.connections.size < max)) {
      this.connect();
    }
  }
}

function isRemoteConnectError(code: string | undefined): boolean {
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT';
}

/** One request through the pool: the router's `UpstreamStream` and the codec's `ClientExchange`. */
class Http1UpstreamStream implements UpstreamStream, ClientExchange {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: OutgoingHeaders;
  readonly hasBody: boolean;
  private connection: Http1ClientConnection | undefined;
  /** Body bytes the router wrote before a connection was assigned. */
  private earlyBody: Buffer[] | undefined;
  private isBodyEnded = false;
  private isPoolReadyReported = false;
  private isFinished = false;
  private isRedispatched = false;

  /** Sent once more after its kept-alive connection closed under it (ADR 0004). */
  get isRedispatch(): boolean {
    return this.isRedispatched;
  }
  private isPaused = false;
  private drainCallback: (() => void) | undefined;

  constructor(
    private readonly pool: Http1ConnectionPool,
    head: UpstreamRequestHead,
    private readonly handler: UpstreamResponseHandler,
  ) {
    this.method = head.method;
    this.path = head.path;
    this.authority = head.authority;
    this.hasBody = !head.endStream;
    let headers = head.headers;
    for (const name in headers) {
      if (droppedRequestHeaders.has(name)) {
        headers = { ...headers };
        for (const dropped of droppedRequestHeaders) delete headers[dropped];
        break;
      }
    }
    this.headers = headers;
  }

  /** A connected connection is ours: write the request. */
  start(connection: Http1ClientConnection, isNew: boolean): void {
    if (this.isFinished) {
      // Abandoned while queued for this connection: hand it back untouched.
      this.pool.onExchangeDone(connection, true);
      return;
    }
    this.connection = connection;
    connection.dispatch(this);
    if (this.isPaused) connection.socket.pause();
    if (!this.isPoolReadyReported) {
      this.isPoolReadyReported = true;
      this.handler.onPoolReady(isNew);
    }
    const early = this.earlyBody;
    this.earlyBody = undefined;
    if (early !== undefined) for (const chunk of early) connection.writeBody(chunk);
    if (this.isBodyEnded) connection.endBody();
    const cb = this.drainCallback;
    this.drainCallback = undefined;
    cb?.();
  }

  // --- ClientExchange (from the codec) ------------------------------------------------------------

  onResponseHeaders(status: number, headers: IncomingHttpHeaders, endStream: boolean): void {
    if (!this.isFinished) this.handler.onHeaders(status, headers, endStream);
  }

  onResponseData(chunk: Buffer): void {
    if (!this.isFinished) this.handler.onData(chunk);
  }

  onResponseTrailers(trailers: IncomingHttpHeaders): void {
    if (!this.isFinished) this.handler.onTrailers(trailers);
  }

  onResponseEnd(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.handler.onEnd();
  }

  onExchangeError(
    kind: 'protocol' | 'terminated',
    sawResponseBytes: boolean,
    cause: Error | undefined,
  ): void {
    if (this.isFinished) return;
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) this.pool.onExchangeDone(connection, false);
    if (
      kind === 'terminated' &&
      !sawResponseBytes &&
      !this.hasBody &&
      !this.isRedispatched &&
      isRedispatchableMethod(this.method)
    ) {
      // ADR 0004: the backend closed a kept-alive connection under us; send it once more.
      this.isRedispatched = true;
      log.debug({ method: this.method }, 'request re-sent after its connection closed');
      this.pool.enqueue(this, true);
      return;
    }
    this.fail(
      kind === 'protocol' ? 'ProtocolError' : 'ConnectionTermination',
      cause as NodeJS.ErrnoException,
    );
  }

  // --- UpstreamStream (from the router) ---------------------------------------------------------

  write(chunk: Buffer): boolean {
    if (this.isFinished || !this.hasBody) return true;
    const connection = this.connection;
    if (connection === undefined) {
      (this.earlyBody ??= []).push(chunk);
      return true;
    }
    return connection.writeBody(chunk);
  }

  onDrain(cb: () => void): void {
    const connection = this.connection;
    if (connection === undefined) this.drainCallback = cb;
    else connection.socket.once('drain', cb);
  }

  end(): void {
    if (this.isFinished || !this.hasBody || this.isBodyEnded) return;
    this.isBodyEnded = true;
    this.connection?.endBody();
  }

  reset(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    const connection = this.connection;
    this.connection = undefined;
    // An HTTP/1 request cannot be abandoned on a live connection: the connection goes with it.
    if (connection !== undefined) connection.close();
    else this.pool.dequeue(this);
  }

  pause(): void {
    this.isPaused = true;
    this.connection?.socket.pause();
  }

  resume(): void {
    this.isPaused = false;
    this.connection?.socket.resume();
  }

  fail(reason: StreamResetReason, cause: NodeJS.ErrnoException | undefined): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.handler.onReset({ reason, cause });
  }
}
