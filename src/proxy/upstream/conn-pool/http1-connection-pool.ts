/**
 * HTTP/1.1 connection pool for one upstream host, on undici's `Pool` (its `dispatch` API, which costs
 * markedly less CPU per request than `http.request`; see bench/results).
 *
 * Envoy semantics reproduced here: a request whose connection never came up is a connection failure
 * (`RemoteConnectionFailure` with the socket error, or `ConnectionTimeout` after `connect_timeout`); a
 * connection that closes or resets before the response completes is `ConnectionTermination`; a
 * response that cannot be parsed is `ProtocolError` (Envoy's HTTP/1 codec,
 * `source/common/http/http1/conn_pool.cc` / `codec_client.cc`). `onPoolReady` fires when the request
 * is written on a connected socket, which is when Envoy reports `LocalOriginConnectSuccess`.
 *
 * A bodiless GET/HEAD/OPTIONS whose connection closes before any response byte is sent once more on
 * another connection, transparently: that is what a kept-alive connection the backend had just closed
 * looks like, and the endpoint never processed the request. Without it a backend going away costs
 * clients `503 UC` that no retry policy short of `reset` avoids (ADR 0004). A second failure is
 * reported normally.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { Clock } from '../../../core/clock.js';
import { createLogger } from '../../../core/logger.js';
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

/** Request headers undici refuses or manages itself; a proxy must not forward them anyway. */
const droppedRequestHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** "Never" for undici's millisecond timeouts (0 would mean "disabled" only for some of them). */
const foreverMs = 2_147_483_647;

export class Http1ConnectionPool implements ConnectionPool {
  private readonly pool: Pool;
  private open = 0;

  constructor(
    options: Http1PoolOptions,
    _clock: Clock,
    private readonly events: ConnectionPoolEvents,
  ) {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    const idleMs = options.idleTimeoutMs > 0 ? options.idleTimeoutMs : foreverMs;
    this.pool = new Pool(`http://${host}:${options.port}`, {
      connections: options.maxConnections > 0 ? options.maxConnections : null,
      pipelining: 1,
      keepAliveTimeout: idleMs,
      keepAliveMaxTimeout: idleMs,
      ...(options.maxRequestsPerConnection > 0
        ? { maxRequestsPerClient: options.maxRequestsPerConnection }
        : {}),
      // The router owns request timeouts (route timeout, per-try timeout).
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: options.connectTimeoutMs > 0 ? options.connectTimeoutMs : foreverMs },
    });
    // Envoy's upstream_cx_* bookkeeping from undici's connection events.
    this.pool.on('connect', () => {
      this.open++;
      events.onConnectionCreated();
      events.onConnectionConnected();
    });
    this.pool.on('disconnect', () => {
      this.open--;
      events.onConnectionClosed();
    });
    this.pool.on('connectionError', (_origin: URL, _targets: unknown, err: Error & { code?: string }) => {
      events.onConnectionCreated();
      events.onConnectionConnectFailed(err.code === 'UND_ERR_CONNECT_TIMEOUT');
      events.onConnectionClosed();
    });
  }

  connectionCount(): number {
    return this.open;
  }

  newStream(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    return new Http1UpstreamStream(this.pool, head, handler);
  }

  drain(): void {
    // undici's close() lets queued and running requests finish, then closes every connection.
    void this.pool.close().catch(() => {});
  }

  close(): void {
    void this.pool.destroy().catch(() => {});
  }
}

class Http1UpstreamStream implements UpstreamStream, Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly body: PassThrough | undefined;
  private readonly options: Dispatcher.DispatchOptions;
  /** The request was written on a connected socket in the current dispatch. */
  private isStarted = false;
  private isPoolReadyReported = false;
  private isFinished = false;
  private hasResponse = false;
  private isRedispatched = false;

  constructor(
    private readonly pool: Pool,
    private readonly head: UpstreamRequestHead,
    private readonly handler: UpstreamResponseHandler,
  ) {
    const headers: Record<string, string | string[]> = {};
    for (const name in head.headers) {
      if (droppedRequestHeaders.has(name)) continue;
      const value = head.headers[name];
      if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
    }
    headers['host'] = head.authority;
    this.body = head.endStream ? undefined : new PassThrough();
    this.options = { path: head.path, method: head.method, headers, body: this.body ?? null };
    this.dispatch();
  }

  private dispatch(): void {
    try {
      this.pool.dispatch(this.options, this);
    } catch (err) {
      queueMicrotask(() => this.fail('LocalReset', err as NodeJS.ErrnoException));
    }
  }

  // --- undici DispatchHandler -------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.isFinished) {
      controller.abort(new Error('reset by the router'));
      return;
    }
    this.isStarted = true;
    if (this.isPoolReadyReported) return; // a re-dispatch on another connection
    this.isPoolReadyReported = true;
    this.handler.onPoolReady(false);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.isFinished || statusCode < 200) return; // 1xx informational responses are not forwarded
    this.hasResponse = true;
    this.handler.onHeaders(statusCode, headers as IncomingHttpHeaders, false);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.isFinished) this.handler.onData(chunk);
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.isFinished) return;
    this.isFinished = true;
    if (Object.keys(trailers).length > 0) this.handler.onTrailers(trailers as IncomingHttpHeaders);
    this.handler.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.isFinished) return;
    const e = err as NodeJS.ErrnoException;
    const reason = this.classify(e);
    log.debug(
      { code: e.code, name: e.name, message: e.message, reason, isStarted: this.isStarted },
      'upstream request failed',
    );
    if (
      reason === 'ConnectionTermination' &&
      !this.hasResponse &&
      !this.isRedispatched &&
      this.head.endStream &&
      idempotentMethods.has(this.head.method)
    ) {
      this.isRedispatched = true;
      this.controller = undefined;
      // The second connection is judged on its own: a refused connect is a connect failure again.
      this.isStarted = false;
      this.dispatch();
      return;
    }
    this.fail(reason, e);
  }

  // --- UpstreamStream ----------------------------------------------------------------------

  write(chunk: Buffer): boolean {
    if (this.isFinished || this.body === undefined) return true;
    return this.body.write(chunk);
  }

  onDrain(cb: () => void): void {
    if (this.body === undefined) cb();
    else this.body.once('drain', cb);
  }

  end(): void {
    if (!this.isFinished && this.body !== undefined && !this.body.writableEnded) this.body.end();
  }

  reset(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.controller?.abort(new Error('reset by the router'));
    this.body?.destroy();
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  private classify(err: NodeJS.ErrnoException): StreamResetReason {
    if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return 'ConnectionTimeout';
    if (!this.isStarted) {
      // The connect itself failed: Envoy's pool reports RemoteConnectionFailure with the socket
      // error ("delayed connect error: Connection refused") as the transport failure reason.
      return err.syscall === 'connect' ||
        err.code === 'ECONNREFUSED' ||
        err.code === 'EHOSTUNREACH' ||
        err.code === 'ENETUNREACH' ||
        err.code === 'ETIMEDOUT'
        ? 'RemoteConnectionFailure'
        : 'LocalConnectionFailure';
    }
    // The response could not be parsed: Envoy's codec reports a protocol error (502, flag UPE).
    if (
      err.name === 'HTTPParserError' ||
      err.code?.startsWith('HPE_') === true ||
      err.code === 'UND_ERR_HEADERS_OVERFLOW'
    ) {
      return 'ProtocolError';
    }
    return 'ConnectionTermination';
  }

  private fail(reason: StreamResetReason, cause: NodeJS.ErrnoException | undefined): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.controller?.abort(new Error('upstream failed'));
    this.body?.destroy();
    // Only socket errors carry meaning for the transport failure reason.
    const socketError =
      cause !== undefined && cause.code !== undefined && !cause.code.startsWith('UND_ERR')
        ? cause
        : undefined;
    this.handler.onReset({ reason, cause: socketError });
  }
}
