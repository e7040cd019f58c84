/**
 * The server side of one HTTP/1.1 connection on a raw `net.Socket`: parses requests, hands each to
 * the connection manager as a `DownstreamStream`, and writes the responses. Pipelined requests are
 * handled strictly one at a time - bytes of the next request wait until the current response is
 * complete - as Envoy's codec does (codec_impl.cc `ServerConnectionImpl::dispatch` read-disables the
 * connection while a complete request is being answered).
 *
 * Codec errors answer with a local reply and close the connection (Envoy `sendProtocolError`); nothing
 * a client sends can throw out of this class.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { SystemClock, type Clock } from '../../../core/clock.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import {
  codecError,
  headScanBytes,
  parseRequestHead,
  type CodecError,
  type HeadLimits,
  type RequestHead,
} from './head-parser.js';
import { IdleTimer } from './idle-timer.js';
import type { DateHeaderCache } from './message-encoding.js';
import { toRequestHeaders } from './request-headers.js';
import { Http1ServerStream } from './server-stream.js';

export interface Http1ServerOptions {
  readonly maxRequestHeadersKb: number;
  readonly maxHeadersCount: number;
  /** Connection idle timeout (no request in progress), ms; 0 = none. */
  readonly idleTimeoutMs: number;
  /** Time source of the idle timeout; the system clock when not given. */
  readonly clock?: Clock;
}

export interface Http1ServerCallbacks {
  onStream(stream: Http1ServerStream): void;
  onCodecError(kind: 'bad_request' | 'headers_too_large'): void;
}

const enum State {
  /** Waiting for (the rest of) a request head. */
  Head,
  /** Receiving the body of the active request. */
  Body,
  /** The request is complete; its response is not. Further input waits. */
  Responding,
  Closed,
}

/** Bytes of pipelined input held while a response is in progress before reading pauses. */
const maxHeldBytes = 64 * 1024;

export class Http1ServerConnection {
  private state = State.Head;
  private pending: Buffer | undefined;
  private active: Http1ServerStream | undefined;
  private bodyRemaining = 0;
  private chunked: ChunkedDecoder | undefined;
  private isProcessing = false;
  private isCloseRequested = false;
  private isDraining = false;
  private isReadPaused = false;
  private output = '';
  private isFlushScheduled = false;
  private remote: string | undefined;
  private local: string | undefined;
  private readonly limits: HeadLimits;
  private readonly flushBound = (): void => this.flushOutput();
  private readonly onBodyData = (chunk: Buffer): void => this.active?.body?.push(chunk);
  private readonly idleTimer: IdleTimer | undefined;

  constructor(
    private readonly socket: Socket,
    options: Http1ServerOptions,
    private readonly callbacks: Http1ServerCallbacks,
    private readonly dateCache: DateHeaderCache,
    initial: Buffer | undefined,
  ) {
    this.limits = {
      maxHeadersBytes: options.maxRequestHeadersKb * 1024,
      maxHeadersCount: options.maxHeadersCount,
    };
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onSocketClose());
    socket.on('end', () => this.onSocketEnd());
    if (options.idleTimeoutMs > 0) {
      // Envoy's HCM `idle_timeout`: the connection closes once it has had no request in progress
      // for that long (counted from the end of the last response).
      this.idleTimer = new IdleTimer(options.clock ?? new SystemClock(), options.idleTimeoutMs, () => {
        if (this.active === undefined) socket.destroy();
      });
    }
    if (initial !== undefined && initial.length > 0) this.onData(initial);
  }

  get remoteAddress(): string {
    return (this.remote ??= `${this.socket.remoteAddress ?? ''}:${this.socket.remotePort ?? 0}`);
  }

  get localAddress(): string {
    return (this.local ??= `${this.socket.localAddress ?? ''}:${this.socket.localPort ?? 0}`);
  }

  dateValue(): string {
    return this.dateCache.value();
  }

  /** The response now being written must carry `connection: close`. */
  isClosingAfterResponse(): boolean {
    return this.isCloseRequested || this.isDraining || this.state === State.Body;
  }

  /** Listener shutdown: idle connections close now, busy ones after their response. */
  drain(): void {
    this.isDraining = true;
    if (this.active === undefined && this.state === State.Head) this.close();
  }

  destroy(): void {
    this.state = State.Closed;
    this.socket.destroy();
  }

  // --- output (used by the stream) ------------------------------------------------------------

  queueOutput(text: string): void {
    if (this.state === State.Closed) return;
    this.output += text;
    if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  writeBuffer(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    if (this.output !== '') {
      this.socket.cork();
      this.socket.write(this.output, 'latin1');
      this.output = '';
      this.socket.write(chunk);
      process.nextTick(() => this.socket.uncork());
    } else {
      this.socket.write(chunk);
    }
  }

  flushOutput(): void {
    this.isFlushScheduled = false;
    if (this.output === '' || this.state === State.Closed) return;
    this.socket.write(this.output, 'latin1');
    this.output = '';
  }

  isWritable(): boolean {
    return !this.socket.writableNeedDrain;
  }

  onDrain(cb: () => void): void {
    this.socket.once('drain', cb);
  }

  pauseReading(): void {
    this.isReadPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.isReadPaused = false;
    if (this.state !== State.Closed) this.socket.resume();
  }

  /** The active stream's response is complete. */
  onResponseComplete(stream: Http1ServerStream): void {
    if (stream !== this.active) return;
    this.active = undefined;
    if (this.state === State.Body || this.isCloseRequested || this.isDraining) {
      // Responding before the request was fully read (Envoy resets the stream, which closes an HTTP/1
      // connection), `connection: close`, or draining: no further request on this connection.
      this.close();
      return;
    }
    if (this.state === State.Closed) return;
    this.state = State.Head;
    this.idleTimer?.idle();
    if (this.isReadPaused) this.resumeReading();
    this.process();
  }

  // --- input ------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.process();
    // The start of a request that is not complete yet counts as activity, as before any request.
    if (this.active === undefined && this.pending !== undefined) this.idleTimer?.touch();
  }

  private process(): void {
    if (this.isProcessing) return;
    this.isProcessing = true;
    try {
      while (this.pending !== undefined) {
        const state = this.state;
        if (state === State.Body) {
          this.consumeBody(this.pending);
          continue;
        }
        if (state === State.Responding) {
          if (this.pending.length > maxHeldBytes) this.socket.pause();
          break;
        }
        if (state !== State.Head) break;
        if (!this.consumeHead(this.pending)) break;
      }
    } finally {
      this.isProcessing = false;
    }
  }

  /** Parses a complete head from `buf` and starts its request; false when more bytes are needed. */
  private consumeHead(buf: Buffer): boolean {
    let start = 0;
    // RFC 9112 §2.2: a server should ignore empty lines received before a request line.
    while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
    // The head is needed as latin1 text anyway: converting its first bytes and searching the string
    // is cheaper than Buffer#indexOf (a call into C++ that also converts the needle).
    const scanEnd = Math.min(buf.length, start + headScanBytes);
    const text = buf.toString('latin1', start, scanEnd);
    const headEnd = text.indexOf('\r\n\r\n');
    let end = headEnd < 0 ? -1 : start + headEnd;
    // A longer head, or one followed by a large body in the same read, is searched in the buffer.
    if (end < 0 && scanEnd < buf.length)
      end = buf.indexOf('\r\n\r\n', Math.max(start, scanEnd - 3), 'latin1');
    if (end < 0) {
      // The exact limit (names + values + URL) is checked once the head is complete; a head whose raw
      // bytes already exceed it by more than the line framing could account for is too large.
      if (buf.length - start > this.limits.maxHeadersBytes + (this.limits.maxHeadersCount + 2) * 8) {
        this.fail(codecError(431, 'http1.headers_too_large'));
        return false;
      }
      if (start > 0) this.pending = buf.subarray(start);
      return false;
    }
    this.pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    const head = parseRequestHead(
      headEnd >= 0 ? text.slice(0, headEnd) : buf.toString('latin1', start, end),
      this.limits,
    );
    if (head.kind === 'error') {
      this.fail(head);
      return false;
    }
    this.startRequest(head);
    return true;
  }

  private startRequest(head: RequestHead): void {
    const mapped = toRequestHeaders(head);
    if (mapped.kind === 'error') {
      this.fail(mapped);
      return;
    }
    const { headers, isUpgrade } = mapped;
    if (mapped.isCloseRequested) this.isCloseRequested = true;
    // Envoy's HCM (`proxy_100_continue` false) answers `Expect: 100-continue` itself and strips it
    // (conn_manager_impl.cc `ActiveStream::decodeHeaders`).
    if (mapped.isExpectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    const method = head.method;
    const hasBody = !isUpgrade && (head.isChunked || head.contentLength > 0);
    if (isUpgrade) {
      // Bytes after an upgrade request are not HTTP; they are never parsed (Envoy closes after the 403).
      this.isCloseRequested = true;
      this.pending = undefined;
    }
    const stream = new Http1ServerStream(this, headers, !hasBody, isUpgrade, method === 'HEAD');
    this.active = stream;
    this.idleTimer?.busy();
    if (hasBody) {
      this.state = State.Body;
      if (head.isChunked) {
        this.chunked = new ChunkedDecoder(this.limits);
      } else {
        this.chunked = undefined;
        this.bodyRemaining = head.contentLength;
      }
    } else {
      this.state = State.Responding;
    }
    this.callbacks.onStream(stream);
  }

  /** Feeds request body bytes to the active stream. */
  private consumeBody(buf: Buffer): void {
    const decoder = this.chunked;
    let rest: Buffer | undefined;
    let isComplete: boolean;
    if (decoder !== undefined) {
      const used = decoder.decode(buf, 0, this.onBodyData);
      if (used < 0) {
        this.fail(decoder.error ?? codecError(400, 'http1.codec_error'));
        return;
      }
      isComplete = decoder.isDone;
      rest = used < buf.length ? buf.subarray(used) : undefined;
    } else {
      const take = Math.min(this.bodyRemaining, buf.length);
      this.onBodyData(take === buf.length ? buf : buf.subarray(0, take));
      this.bodyRemaining -= take;
      isComplete = this.bodyRemaining === 0;
      rest = take < buf.length ? buf.subarray(take) : undefined;
    }
    this.pending = rest;
    if (!isComplete) return;
    this.chunked = undefined;
    const stream = this.active;
    if (stream === undefined) {
      // The response was already sent before the body ended; the connection is closing.
      this.pending = undefined;
      return;
    }
    this.state = State.Responding;
    stream.body?.end();
  }

  /**
   * A codec error: Envoy's local reply (status text as body, `connection: close`) unless a response
   * already started, then the connection closes (codec_impl.cc `sendProtocolError`).
   */
  private fail(error: CodecError): void {
    this.callbacks.onCodecError(error.status === 431 ? 'headers_too_large' : 'bad_request');
    this.pending = undefined;
    const stream = this.active;
    this.active = undefined;
    const canReply = stream === undefined || !stream.isHeadersSent;
    stream?.finish(false);
    if (!canReply || this.state === State.Closed) {
      this.destroy();
      return;
    }
    this.state = State.Closed;
    this.output = '';
    const text = STATUS_CODES[error.status] ?? 'Bad Request';
    this.socket.end(
      `HTTP/1.1 ${error.status} ${text}\r\ncontent-length: ${text.length}\r\ncontent-type: text/plain\r\n` +
        `date: ${this.dateValue()}\r\nconnection: close\r\n\r\n${text}`,
      'latin1',
    );
  }

  private close(): void {
    if (this.state === State.Closed) return;
    this.flushOutput();
    this.state = State.Closed;
    this.pending = undefined;
    this.socket.end();
  }

  private onSocketEnd(): void {
    // The client half-closed. A request still being received can never complete; one being answered
    // still gets its response (then the connection closes).
    if (this.state === State.Body || this.state === State.Head) {
      const stream = this.active;
      this.active = undefined;
      stream?.finish(false);
      this.close();
      return;
    }
    this.isCloseRequested = true;
  }

  private onSocketClose(): void {
    this.idleTimer?.cancel();
    this.state = State.Closed;
    this.pending = undefined;
    const stream = this.active;
    this.active = undefined;
    stream?.finish(false);
  }
}
