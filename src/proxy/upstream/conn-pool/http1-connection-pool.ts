/**
 * HTTP/1.1 connection pool for one upstream host, on Node's keep-alive `http.Agent`.
 *
 * Envoy semantics reproduced here: a request whose connection never came up is a connection failure
 * (`RemoteConnectionFailure`, or `ConnectionTimeout` after `connect_timeout`); a connection that closes
 * or resets before the response completes is `ConnectionTermination` (Envoy's HTTP/1 codec,
 * `source/common/http/http1/conn_pool.cc` / `codec_client.cc`); `onPoolReady` fires once the TCP
 * connection is up, which is when Envoy reports `LocalOriginConnectSuccess` to outlier detection.
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Clock, Timer } from '../../../core/clock.js';
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
  readonly idleTimeoutMs: number;
  /** 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  readonly maxConnections: number;
}

const requestCount = Symbol('spillwayRequestCount');
type CountedSocket = net.Socket & { [requestCount]?: number };

export class Http1ConnectionPool implements ConnectionPool {
  private readonly agent: http.Agent;
  private open = 0;

  constructor(
    private readonly options: Http1PoolOptions,
    private readonly clock: Clock,
    private readonly events: ConnectionPoolEvents,
  ) {
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: options.maxConnections > 0 ? options.maxConnections : Infinity,
      maxFreeSockets: 256,
      scheduling: 'lifo',
      ...(options.idleTimeoutMs > 0 ? { timeout: options.idleTimeoutMs } : {}),
    });
    // Count connections the way Envoy's upstream_cx_* stats do.
    const create = (opts: net.NetConnectOpts): net.Socket => {
      const socket = net.createConnection({ ...opts, noDelay: true } as net.NetConnectOpts);
      this.open++;
      this.events.onConnectionCreated();
      socket.once('connect', () => this.events.onConnectionConnected());
      socket.once('close', () => {
        this.open--;
        this.events.onConnectionClosed();
      });
      return socket;
    };
    (agent as unknown as { createConnection: typeof create }).createConnection = create;
    agent.on('free', (socket: CountedSocket) => {
      const limit = this.options.maxRequestsPerConnection;
      if (limit > 0 && (socket[requestCount] ?? 0) >= limit) socket.destroy();
    });
    this.agent = agent;
  }

  connectionCount(): number {
    return this.open;
  }

  newStream(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    return new Http1UpstreamStream(this.agent, this.options, this.clock, this.events, head, handler);
  }

  drain(): void {
    // Idle sockets go now; busy ones are not returned to the pool once their request completes.
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
    this.agent.maxFreeSockets = 0;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A keep-alive connection the upstream closed while it sat idle in the pool can be handed out before
 * its close is noticed; a bodiless request that fails on such a reused connection before any response
 * byte is sent again on another connection (up to this many times). Envoy's pools watch idle
 * connections and rarely hit this race; without the re-dispatch a backend restart would cost clients
 * `503 UC` responses that Envoy users do not see.
 */
const maxStaleConnectionRedispatch = 8;

class Http1UpstreamStream implements UpstreamStream {
  private req!: http.ClientRequest;
  private res: IncomingMessage | undefined;
  private isConnected = false;
  private isFinished = false;
  private connectTimer: Timer | undefined;
  private timedOut = false;
  private isPoolReadyReported = false;
  private isSocketReused = false;
  private redispatches = 0;

  constructor(
    private readonly agent: http.Agent,
    private readonly options: Http1PoolOptions,
    private readonly clock: Clock,
    private readonly events: ConnectionPoolEvents,
    private readonly head: UpstreamRequestHead,
    private readonly handler: UpstreamResponseHandler,
  ) {
    this.dispatch();
  }

  private dispatch(): void {
    const { agent, options, clock, head } = this;
    this.isConnected = false;
    this.isSocketReused = false;
    const headers = { ...head.headers, host: head.authority };
    this.req = http.request({
      agent,
      host: options.address,
      port: options.port,
      method: head.method,
      path: head.path,
      headers,
      setHost: false,
    });
    const req = this.req;
    req.on('socket', (socket: CountedSocket) => {
      if (req !== this.req) return;
      socket[requestCount] = (socket[requestCount] ?? 0) + 1;
      if (!socket.connecting) {
        this.isConnected = true;
        this.isSocketReused = true;
        this.reportPoolReady(false);
        return;
      }
      if (options.connectTimeoutMs > 0) {
        this.connectTimer = clock.setTimer(options.connectTimeoutMs, () => {
          this.timedOut = true;
          req.destroy();
        });
      }
      socket.once('connect', () => {
        this.connectTimer?.cancel();
        this.isConnected = true;
        if (!this.isFinished) this.reportPoolReady(true);
      });
    });
    req.on('response', (res) => {
      if (req === this.req) this.onResponse(res);
      else res.resume();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req === this.req) this.onError(err);
    });
    if (head.endStream) req.end();
  }

  private reportPoolReady(isNewConnection: boolean): void {
    if (this.isPoolReadyReported) return;
    this.isPoolReadyReported = true;
    this.handler.onPoolReady(isNewConnection);
  }

  write(chunk: Buffer): boolean {
    if (this.isFinished) return true;
    return this.req.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.req.once('drain', cb);
  }

  end(): void {
    if (!this.isFinished && !this.req.writableEnded) this.req.end();
  }

  reset(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.connectTimer?.cancel();
    this.req.destroy();
  }

  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  private onResponse(res: IncomingMessage): void {
    if (this.isFinished) {
      res.resume();
      return;
    }
    this.res = res;
    const status = res.statusCode ?? 0;
    this.handler.onHeaders(status, res.headers, false);
    res.on('data', (chunk: Buffer) => {
      if (!this.isFinished) this.handler.onData(chunk);
    });
    res.on('end', () => {
      if (this.isFinished) return;
      this.isFinished = true;
      if (res.rawTrailers.length > 0) this.handler.onTrailers(res.trailers);
      this.handler.onEnd();
    });
    res.on('aborted', () => this.fail('ConnectionTermination', undefined));
    res.on('error', (err: NodeJS.ErrnoException) => this.fail('ConnectionTermination', err));
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.isFinished) return;
    if (
      this.isSocketReused &&
      this.res === undefined &&
      this.head.endStream &&
      (err.code === 'ECONNRESET' || err.code === 'EPIPE') &&
      this.redispatches < maxStaleConnectionRedispatch
    ) {
      this.redispatches++;
      this.dispatch();
      return;
    }
    if (this.timedOut) {
      this.events.onConnectionConnectFailed(true);
      this.fail('ConnectionTimeout', undefined);
    } else if (!this.isConnected) {
      this.events.onConnectionConnectFailed(false);
      // The connect itself failed: Envoy's pool reports RemoteConnectionFailure with the socket error
      // ("delayed connect error: Connection refused") as transport failure reason.
      this.fail(
        err.syscall === 'connect' || isConnectErrno(err.code)
          ? 'RemoteConnectionFailure'
          : 'LocalConnectionFailure',
        err,
      );
    } else if (err.code?.startsWith('HPE_') === true) {
      // The response could not be parsed: Envoy's codec reports a protocol error (502, flag UPE).
      this.fail('ProtocolError', err);
    } else {
      this.fail('ConnectionTermination', err);
    }
  }

  private fail(reason: StreamResetReason, cause: NodeJS.ErrnoException | undefined): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.connectTimer?.cancel();
    this.req.destroy();
    this.handler.onReset({ reason, cause });
  }
}

function isConnectErrno(code: string | undefined): boolean {
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT';
}
