/**
 * HTTP/2 (cleartext, prior knowledge) connection pool for one upstream host: one multiplexed
 * connection, replaced when it goes away. Stream resets map to Envoy's reset reasons: REFUSED_STREAM ->
 * `RemoteRefusedStreamReset`, any other RST_STREAM -> `RemoteReset`, connection loss ->
 * `ConnectionTermination`, failure to connect -> `RemoteConnectionFailure` / `ConnectionTimeout`
 * (envoyproxy/envoy `source/common/http/codec_client.cc`, `http2/codec_impl.cc`).
 */
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
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

export interface Http2PoolOptions {
  readonly address: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConcurrentStreams: number;
}

interface SessionState {
  readonly session: ClientHttp2Session;
  isConnected: boolean;
  isUsable: boolean;
  connectError: NodeJS.ErrnoException | undefined;
  isTimedOut: boolean;
  waiting: Set<Http2UpstreamStream>;
  connectTimer: Timer | undefined;
}

export class Http2ConnectionPool implements ConnectionPool {
  private current: SessionState | undefined;
  private readonly sessions = new Set<SessionState>();
  private isDraining = false;

  constructor(
    private readonly options: Http2PoolOptions,
    private readonly clock: Clock,
    private readonly events: ConnectionPoolEvents,
  ) {}

  connectionCount(): number {
    return this.sessions.size;
  }

  newStream(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    const state = this.usableSession();
    const stream = new Http2UpstreamStream(state, head, handler);
    if (state.isConnected) stream.start(false);
    else state.waiting.add(stream);
    return stream;
  }

  drain(): void {
    this.isDraining = true;
    for (const state of this.sessions) {
      state.isUsable = false;
      state.session.close();
    }
    this.current = undefined;
  }

  close(): void {
    for (const state of this.sessions) {
      state.connectTimer?.cancel();
      state.session.destroy();
    }
    this.sessions.clear();
    this.current = undefined;
  }

  private usableSession(): SessionState {
    const cur = this.current;
    if (cur !== undefined && cur.isUsable && !cur.session.closed && !cur.session.destroyed) return cur;
    if (this.isDraining) this.isDraining = false;
    const state = this.connect();
    this.current = state;
    return state;
  }

  private connect(): SessionState {
    const { address, port } = this.options;
    const session = http2.connect(`http://${address.includes(':') ? `[${address}]` : address}:${port}`, {
      createConnection: () => net.createConnection({ host: address, port, noDelay: true }),
      settings: { enablePush: false },
      peerMaxConcurrentStreams: this.options.maxConcurrentStreams,
    });
    const state: SessionState = {
      session,
      isConnected: false,
      isUsable: true,
      connectError: undefined,
      isTimedOut: false,
      waiting: new Set(),
      connectTimer: undefined,
    };
    this.sessions.add(state);
    this.events.onConnectionCreated();
    if (this.options.connectTimeoutMs > 0) {
      state.connectTimer = this.clock.setTimer(this.options.connectTimeoutMs, () => {
        if (state.isConnected) return;
        state.isTimedOut = true;
        session.destroy();
      });
    }
    session.once('connect', () => {
      state.connectTimer?.cancel();
      state.isConnected = true;
      this.events.onConnectionConnected();
      const waiting = [...state.waiting];
      state.waiting.clear();
      for (const stream of waiting) stream.start(true);
    });
    session.on('error', (err: NodeJS.ErrnoException) => {
      if (!state.isConnected) state.connectError = err;
    });
    session.on('goaway', () => {
      state.isUsable = false;
    });
    if (this.options.idleTimeoutMs > 0) {
      session.setTimeout(this.options.idleTimeoutMs, () => {
        // Only idle sessions time out: Node resets the timer on activity.
        session.close();
      });
    }
    session.once('close', () => {
      state.connectTimer?.cancel();
      state.isUsable = false;
      this.sessions.delete(state);
      if (this.current === state) this.current = undefined;
      if (!state.isConnected) {
        this.events.onConnectionConnectFailed(state.isTimedOut);
        const reason: StreamResetReason = state.isTimedOut ? 'ConnectionTimeout' : 'RemoteConnectionFailure';
        const waiting = [...state.waiting];
        state.waiting.clear();
        for (const stream of waiting) {
          this.events.onPendingStreamFailed?.();
          stream.fail(reason, state.connectError);
        }
      }
      this.events.onConnectionClosed();
    });
    return state;
  }
}

class Http2UpstreamStream implements UpstreamStream {
  private stream: ClientHttp2Stream | undefined;
  private isFinished = false;
  private hasHeaders = false;
  private pendingWrites: Buffer[] = [];
  private isEndPending = false;
  private drainCallbacks: Array<() => void> = [];

  constructor(
    private readonly state: SessionState,
    private readonly head: UpstreamRequestHead,
    private readonly handler: UpstreamResponseHandler,
  ) {}

  start(isNewConnection: boolean): void {
    if (this.isFinished) return;
    const { session } = this.state;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(
        {
          ...this.head.headers,
          ':method': this.head.method,
          ':path': this.head.path,
          ':authority': this.head.authority,
          ':scheme': this.head.scheme,
        },
        { endStream: this.head.endStream },
      );
    } catch (err) {
      this.fail('ConnectionTermination', err as NodeJS.ErrnoException);
      return;
    }
    this.stream = stream;
    this.handler.onPoolReady(isNewConnection);
    stream.on('response', (headers: IncomingHttpHeaders, flags: number) => {
      if (this.isFinished) return;
      this.hasHeaders = true;
      const status = Number(headers[':status'] ?? 0);
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (endStream) this.isFinished = true;
      this.handler.onHeaders(status, headers, endStream);
    });
    stream.on('data', (chunk: Buffer) => {
      if (!this.isFinished) this.handler.onData(chunk);
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      if (!this.isFinished) this.handler.onTrailers(trailers);
    });
    stream.on('end', () => {
      if (this.isFinished) return;
      if (!this.hasHeaders) return; // a reset without response is reported from 'close'
      this.isFinished = true;
      this.handler.onEnd();
    });
    stream.on('error', () => {
      // Reported from 'close' with the RST code.
    });
    stream.on('close', () => {
      if (this.isFinished) return;
      const code = stream.rstCode;
      if (code === http2.constants.NGHTTP2_REFUSED_STREAM) this.fail('RemoteRefusedStreamReset', undefined);
      else if (
        code !== undefined &&
        code !== http2.constants.NGHTTP2_NO_ERROR &&
        !this.state.session.destroyed
      )
        this.fail('RemoteReset', undefined);
      else this.fail('ConnectionTermination', undefined);
    });
    stream.on('drain', () => {
      const cbs = this.drainCallbacks;
      this.drainCallbacks = [];
      for (const cb of cbs) cb();
    });
    for (const chunk of this.pendingWrites) stream.write(chunk);
    this.pendingWrites = [];
    if (this.isEndPending) stream.end();
  }

  write(chunk: Buffer): boolean {
    if (this.isFinished) return true;
    if (this.stream === undefined) {
      this.pendingWrites.push(chunk);
      return true;
    }
    return this.stream.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.drainCallbacks.push(cb);
  }

  end(): void {
    if (this.isFinished || this.head.endStream) return;
    if (this.stream === undefined) this.isEndPending = true;
    else if (!this.stream.writableEnded) this.stream.end();
  }

  reset(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.state.waiting.delete(this);
    if (this.stream !== undefined && !this.stream.destroyed)
      this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  fail(reason: StreamResetReason, cause: NodeJS.ErrnoException | undefined): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.state.waiting.delete(this);
    if (this.stream !== undefined && !this.stream.destroyed)
      this.stream.close(http2.constants.NGHTTP2_CANCEL);
    this.handler.onReset({ reason, cause });
  }
}
