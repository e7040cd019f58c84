/**
 * The client side of one HTTP/1.1 connection to an upstream on a raw `net.Socket`: writes one
 * request at a time and parses its response (Content-Length, chunked with trailers, or read until
 * close). Connection management (which request goes where, re-dispatch, limits) is the pool's job;
 * this class reports what happened on the wire.
 */
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { SystemClock, type Clock } from '../../../core/clock.js';
import type { OutgoingHeaders } from '../../http/headers.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { hasListToken } from './header-chars.js';
import { headScanBytes, parseResponseHead, type HeadLimits, type ResponseHead } from './head-parser.js';
import { IdleTimer } from './idle-timer.js';
import { BodyFraming, chunkHeader, encodeRequestHead } from './message-encoding.js';

/**
 * The one buffer every upstream socket reads into (Node's `onread` option): each read is parsed
 * before the next can happen, so sharing it is safe as long as nothing keeps a view of it - bytes
 * that must outlive the read (an incomplete head, body data handed on) are copied. Compared with
 * 'data' events it saves, per read, a freshly allocated buffer and the Readable stream machinery
 * (push, emit, a nextTick to read more).
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function isReadBufferView(chunk: Buffer): boolean {
  return chunk.buffer === readBuffer.buffer;
}

/** `chunk`, copied if it is a view of the shared read buffer. */
function owned(chunk: Buffer): Buffer {
  return isReadBufferView(chunk) ? Buffer.from(chunk) : chunk;
}

/** Envoy's `MAX_RESPONSE_HEADERS_KB` (codec_impl.h) and the default header count. */
const responseLimits: HeadLimits = { maxHeadersBytes: 80 * 1024, maxHeadersCount: 100 };

/** What the connection reports about the exchange in progress. */
export interface ClientExchange {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: OutgoingHeaders;
  /** False when the request ends with its head. */
  readonly hasBody: boolean;
  onResponseHeaders(status: number, headers: IncomingHttpHeaders, endStream: boolean): void;
  onResponseData(chunk: Buffer): void;
  onResponseTrailers(trailers: IncomingHttpHeaders): void;
  onResponseEnd(): void;
  /** The response can no longer complete; `sawResponseBytes` false when not a byte of it arrived. */
  onExchangeError(kind: 'protocol' | 'terminated', sawResponseBytes: boolean, cause: Error | undefined): void;
}

export interface ClientConnectionOwner {
  onConnected(connection: Http1ClientConnection): void;
  onConnectFailed(connection: Http1ClientConnection, cause: NodeJS.ErrnoException, isTimeout: boolean): void;
  /** The exchange finished with a complete response; `isReusable` false when the connection closes. */
  onExchangeDone(connection: Http1ClientConnection, isReusable: boolean): void;
  /** The socket closed (after `onConnected`). */
  onClosed(connection: Http1ClientConnection): void;
}

const enum Phase {
  Connecting,
  Idle,
  AwaitingHead,
  Body,
  Closed,
}

export class Http1ClientConnection {
  readonly socket: net.Socket;
  /** Requests written on this connection. */
  requestCount = 0;
  private phase = Phase.Connecting;
  private exchange: ClientExchange | undefined;
  private pending: Buffer | undefined;
  private framing = BodyFraming.None;
  private requestFraming = BodyFraming.None;
  private isRequestComplete = true;
  private remaining = 0;
  private chunked: ChunkedDecoder | undefined;
  private isResponseClose = false;
  private sawResponseBytes = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private isConnectTimedOut = false;
  private idleTimer: IdleTimer | undefined;

  constructor(
    address: string,
    port: number,
    connectTimeoutMs: number,
    idleTimeoutMs: number,
    private readonly owner: ClientConnectionOwner,
    clock: Clock = new SystemClock(),
  ) {
    const socket = net.connect({
      host: address,
      port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.socket = socket;
    if (connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.isConnectTimedOut = true;
        socket.destroy();
      }, connectTimeoutMs);
      this.connectTimer.unref();
    }
    socket.on('connect', () => {
      clearTimeout(this.connectTimer);
      this.phase = Phase.Idle;
      if (idleTimeoutMs > 0) {
        // Envoy's upstream `idle_timeout`: closed after that long without a request in progress.
        this.idleTimer = new IdleTimer(clock, idleTimeoutMs, () => {
          if (this.phase === Phase.Idle) this.close();
        });
      }
      owner.onConnected(this);
    });
    // Envoy closes an upstream connection as soon as it reads the peer's FIN (no half-close:
    // `ConnectionImpl::onReadReady` raises RemoteClose) and its pool drops the connection in that
    // callback. Node emits 'close' only a turn or two later, after shutting down its own side; were
    // the close handled only then, the pool could hand a connection the backend had already closed
    // to a new request in between (what happens to every idle connection when a backend stops).
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    socket.on('close', () => this.onClose());
  }

  get isConnected(): boolean {
    return this.phase !== Phase.Connecting && this.phase !== Phase.Closed;
  }

  get isIdle(): boolean {
    return this.phase === Phase.Idle;
  }

  /** Writes the request head (and starts waiting for the response). */
  dispatch(exchange: ClientExchange): void {
    this.exchange = exchange;
    this.phase = Phase.AwaitingHead;
    this.idleTimer?.busy();
    this.requestCount++;
    this.sawResponseBytes = false;
    this.isResponseClose = false;
    this.isRequestComplete = !exchange.hasBody;
    const head = encodeRequestHead(
      exchange.method,
      exchange.path,
      exchange.authority,
      exchange.headers,
      exchange.hasBody,
    );
    this.requestFraming = head.framing;
    this.socket.write(head.text, 'latin1');
  }

  /** Request body data of the current exchange; false means "wait for drain". */
  writeBody(chunk: Buffer): boolean {
    if (this.phase === Phase.Closed || chunk.length === 0) return true;
    if (this.requestFraming === BodyFraming.Chunked) {
      this.socket.cork();
      this.socket.write(chunkHeader(chunk.length), 'latin1');
      this.socket.write(chunk);
      this.socket.write('\r\n', 'latin1');
      this.socket.uncork();
    } else {
      this.socket.write(chunk);
    }
    return !this.socket.writableNeedDrain;
  }

  endBody(): void {
    if (this.phase === Phase.Closed || this.isRequestComplete) return;
    this.isRequestComplete = true;
    if (this.requestFraming === BodyFraming.Chunked) this.socket.write('0\r\n\r\n', 'latin1');
  }

  /** Closes the connection now (idle timeout, drain, abandoned request). */
  close(): void {
    if (this.phase === Phase.Closed) return;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const phase = this.phase;
    if (phase !== Phase.AwaitingHead && phase !== Phase.Body) {
      // Bytes without a request in flight: the upstream is not speaking HTTP/1.1 as we know it.
      this.close();
      return;
    }
    this.sawResponseBytes = true;
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending !== undefined && this.exchange !== undefined) {
      if (this.phase === Phase.AwaitingHead) {
        if (!this.consumeHead(this.pending)) break;
      } else if (this.phase === Phase.Body) {
        this.consumeBody(this.pending);
      } else {
        break;
      }
    }
    if (this.pending !== undefined && this.phase === Phase.Idle) {
      this.pending = undefined;
      this.close(); // a second response to one request
    }
    // What waits for the next read must not live in the shared read buffer.
    if (this.pending !== undefined) this.pending = owned(this.pending);
  }

  private consumeHead(buf: Buffer): boolean {
    // The head is needed as latin1 text anyway: converting its first bytes and searching the string
    // is cheaper than Buffer#indexOf (a call into C++ that also converts the needle).
    const scanEnd = Math.min(buf.length, headScanBytes);
    const text = buf.toString('latin1', 0, scanEnd);
    const headEnd = text.indexOf('\r\n\r\n');
    let end = headEnd;
    if (end < 0 && scanEnd < buf.length) end = buf.indexOf('\r\n\r\n', scanEnd - 3, 'latin1');
    if (end < 0) {
      if (buf.length > responseLimits.maxHeadersBytes + 4096) this.fail('protocol');
      return false;
    }
    this.pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    const head = parseResponseHead(
      headEnd >= 0 ? text.slice(0, headEnd) : buf.toString('latin1', 0, end),
      responseLimits,
    );
    if (head.kind === 'error') {
      this.fail('protocol');
      return false;
    }
    if (head.status < 200) {
      // 1xx informational responses are not forwarded (no proxy_100_continue); 101 cannot happen
      // since no upgrade is ever sent upstream, so it is a protocol error.
      if (head.status === 101) this.fail('protocol');
      return this.phase === Phase.AwaitingHead;
    }
    this.startResponse(head);
    return true;
  }

  private startResponse(head: ResponseHead): void {
    const exchange = this.exchange!;
    const connection = head.connection;
    this.isResponseClose = head.isHttp11
      ? connection !== undefined && hasListToken(connection, 'close')
      : connection === undefined || !hasListToken(connection, 'keep-alive');
    const status = head.status;
    let framing: BodyFraming;
    if (exchange.method === 'HEAD' || status === 204 || status === 304) framing = BodyFraming.None;
    else if (head.isChunked) framing = BodyFraming.Chunked;
    else if (head.contentLength >= 0)
      framing = head.contentLength === 0 ? BodyFraming.None : BodyFraming.Length;
    else framing = BodyFraming.UntilClose;
    this.framing = framing;
    if (framing === BodyFraming.Length) this.remaining = head.contentLength;
    if (framing === BodyFraming.Chunked) this.chunked = new ChunkedDecoder(responseLimits);
    if (framing === BodyFraming.UntilClose) this.isResponseClose = true;
    const headers = toIncomingHeaders(head.headers);
    const isEnd = framing === BodyFraming.None;
    this.phase = isEnd ? Phase.Idle : Phase.Body;
    exchange.onResponseHeaders(status, headers, isEnd);
    if (isEnd) this.completeResponse(undefined);
  }

  private consumeBody(buf: Buffer): void {
    const exchange = this.exchange!;
    if (this.framing === BodyFraming.UntilClose) {
      this.pending = undefined;
      exchange.onResponseData(owned(buf));
      return;
    }
    if (this.framing === BodyFraming.Length) {
      const take = Math.min(this.remaining, buf.length);
      this.remaining -= take;
      this.pending = take < buf.length ? buf.subarray(take) : undefined;
      exchange.onResponseData(owned(take === buf.length ? buf : buf.subarray(0, take)));
      if (this.remaining === 0 && this.exchange === exchange) this.completeResponse(undefined);
      return;
    }
    const decoder = this.chunked!;
    const used = decoder.decode(buf, 0, (c) => {
      if (this.exchange === exchange) exchange.onResponseData(owned(c));
    });
    if (used < 0) {
      this.pending = undefined;
      this.fail('protocol');
      return;
    }
    this.pending = used < buf.length ? buf.subarray(used) : undefined;
    if (decoder.isDone && this.exchange === exchange) {
      this.completeResponse(decoder.trailers.length > 0 ? toIncomingHeaders(decoder.trailers) : undefined);
    }
  }

  private completeResponse(trailers: IncomingHttpHeaders | undefined): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    this.chunked = undefined;
    this.phase = Phase.Idle;
    this.idleTimer?.idle();
    if (trailers !== undefined) exchange.onResponseTrailers(trailers);
    exchange.onResponseEnd();
    // A response that arrived before the request was fully sent leaves the connection unusable.
    const isReusable = !this.isResponseClose && this.isRequestComplete && this.pending === undefined;
    if (!isReusable) this.close();
    this.owner.onExchangeDone(this, isReusable);
  }

  private fail(kind: 'protocol' | 'terminated', cause?: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.pending = undefined;
    this.close();
    exchange?.onExchangeError(kind, this.sawResponseBytes, cause);
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.phase === Phase.Connecting) {
      clearTimeout(this.connectTimer);
      this.phase = Phase.Closed;
      this.owner.onConnectFailed(this, err, false);
      return;
    }
    this.fail('terminated', err);
  }

  /** The upstream closed its side: the connection is over now (see the constructor). */
  private onEnd(): void {
    if (this.phase === Phase.Connecting || this.phase === Phase.Closed) return;
    this.onClose();
    this.socket.destroy();
  }

  private onClose(): void {
    const wasConnecting = this.phase === Phase.Connecting;
    clearTimeout(this.connectTimer);
    this.idleTimer?.cancel();
    if (wasConnecting) {
      this.phase = Phase.Closed;
      const err: NodeJS.ErrnoException = new Error(
        this.isConnectTimedOut ? 'connect timeout' : 'connection closed while connecting',
      );
      err.code = this.isConnectTimedOut ? 'ETIMEDOUT' : 'ECONNRESET';
      this.owner.onConnectFailed(this, err, this.isConnectTimedOut);
      return;
    }
    if (this.phase === Phase.Closed) return;
    if (this.phase === Phase.Body && this.framing === BodyFraming.UntilClose) {
      // RFC 9112 §6.3: without a length the close is the end of the response.
      this.completeResponse(undefined);
    } else if (this.exchange !== undefined) {
      this.fail('terminated');
    }
    this.phase = Phase.Closed;
    this.owner.onClosed(this);
  }
}

/** Flat name/value pairs -> Node's incoming-headers shape (repeats joined, set-cookie kept apart). */
function toIncomingHeaders(pairs: string[]): IncomingHttpHeaders {
  // A plain object keeps V8's fast properties (a null-prototype one starts in dictionary mode); the
  // one name that would touch the prototype is dropped.
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    if (name === '__proto__') continue;
    const value = pairs[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = `${prior}, ${value}`;
  }
  return out as IncomingHttpHeaders;
}

/** True for the methods whose bodiless request may be sent again transparently (ADR 0004). */
export function isRedispatchableMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
