/**
 * One request/response exchange on an HTTP/1.1 server connection, as the protocol-neutral
 * `DownstreamStream` the connection manager and router use. Response bytes are collected into one
 * latin1 string while the router produces them synchronously (headers, data, end usually arrive in
 * one upstream read) and go out in a single socket write at `end` or at the end of the tick.
 */
import type { DownstreamStream, RequestBody, RequestBodySink } from '../../http/downstream-stream.js';
import type { OutgoingHeaders } from '../../http/headers.js';
import type { HeaderMap, HttpProtocol } from '../../http/stream-info.js';
import {
  BodyFraming,
  chunkHeader,
  encodeHeaderLines,
  lastChunk,
  responseFraming,
  statusLine,
} from './message-encoding.js';
import type { Http1ServerConnection } from './server-connection.js';

/** Bodies up to this size are appended to the pending latin1 string instead of written separately. */
const inlineBodyBytes = 4096;

export class Http1ServerStream implements DownstreamStream {
  readonly protocol: HttpProtocol = 'HTTP/1.1';
  readonly body: Http1RequestBody | undefined;
  private headersSent = false;
  private isDone = false;
  private framing = BodyFraming.None;
  private closeCallback: ((completed: boolean) => void) | undefined;
  private moreCloseCallbacks: Array<(completed: boolean) => void> | undefined;

  constructor(
    private readonly connection: Http1ServerConnection,
    readonly headers: HeaderMap,
    readonly isEndStream: boolean,
    readonly isUpgradeRequest: boolean,
    private readonly isHeadRequest: boolean,
  ) {
    this.body = isEndStream ? undefined : new Http1RequestBody(connection);
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  get localAddress(): string {
    return this.connection.localAddress;
  }

  get isHeadersSent(): boolean {
    return this.headersSent;
  }

  get isClosed(): boolean {
    return this.isDone;
  }

  respond(status: number, headers: OutgoingHeaders, endStream: boolean): void {
    if (this.isDone || this.headersSent) return;
    this.headersSent = true;
    const lines = encodeHeaderLines(headers);
    const { framing, extraHeader } = responseFraming(status, lines.hasLength, endStream, this.isHeadRequest);
    this.framing = framing;
    let head = statusLine(status) + lines.text + extraHeader;
    if (!lines.hasDate) head += `date: ${this.connection.dateValue()}\r\n`;
    if (this.connection.isClosingAfterResponse()) head += 'connection: close\r\n';
    this.connection.queueOutput(`${head}\r\n`);
    if (endStream) this.complete();
  }

  write(chunk: Buffer): boolean {
    if (this.isDone || chunk.length === 0) return true;
    const framing = this.framing;
    if (framing === BodyFraming.None) return true; // HEAD, 204, 304: no body on the wire
    const conn = this.connection;
    const isChunked = framing === BodyFraming.Chunked;
    if (chunk.length <= inlineBodyBytes) {
      const text = chunk.toString('latin1');
      conn.queueOutput(isChunked ? `${chunkHeader(chunk.length)}${text}\r\n` : text);
    } else {
      if (isChunked) conn.queueOutput(chunkHeader(chunk.length));
      conn.writeBuffer(chunk);
      if (isChunked) conn.queueOutput('\r\n');
    }
    return conn.isWritable();
  }

  onDrain(cb: () => void): void {
    this.connection.onDrain(cb);
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.isDone) return;
    // Trailers can only travel with the chunked coding (RFC 9112 §7.1.2; Envoy `encodeTrailersBase`).
    if (this.framing === BodyFraming.Chunked) {
      this.connection.queueOutput(lastChunk(trailers));
    }
    this.complete();
  }

  reset(): void {
    if (this.isDone) return;
    // An HTTP/1 stream cannot be reset on its own: the connection goes (Envoy does the same).
    this.connection.destroy();
  }

  onClose(cb: (completed: boolean) => void): void {
    if (this.closeCallback === undefined) this.closeCallback = cb;
    else (this.moreCloseCallbacks ??= []).push(cb);
  }

  /** The response is complete on the wire (as far as this process is concerned). */
  private complete(): void {
    this.connection.flushOutput();
    this.finish(true);
    this.connection.onResponseComplete(this);
  }

  /** Runs the close callbacks once; `completed` false when the client went away first. */
  finish(completed: boolean): void {
    if (this.isDone) return;
    this.isDone = true;
    this.body?.abandon();
    const cb = this.closeCallback;
    this.closeCallback = undefined;
    cb?.(completed);
    const more = this.moreCloseCallbacks;
    this.moreCloseCallbacks = undefined;
    if (more !== undefined) for (const c of more) c(completed);
  }
}

/**
 * The request body of an HTTP/1 stream: data the connection decodes is buffered until a reader
 * attaches, then handed over as it arrives.
 */
export class Http1RequestBody implements RequestBody {
  private sink: RequestBodySink | undefined;
  private buffered: Buffer[] | undefined;
  private isEnded = false;
  private isAbandoned = false;
  private isScheduled = false;

  constructor(private readonly connection: Http1ServerConnection) {}

  read(sink: RequestBodySink): void {
    this.sink = sink;
    if (this.buffered !== undefined || this.isEnded) {
      this.isScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  pause(): void {
    this.connection.pauseReading();
  }

  resume(): void {
    this.connection.resumeReading();
  }

  /** Called by the connection with decoded data. */
  push(chunk: Buffer): void {
    if (this.isAbandoned) return;
    if (this.sink === undefined || this.isScheduled) (this.buffered ??= []).push(chunk);
    else this.sink.onData(chunk);
  }

  /** Called by the connection when the body is complete. */
  end(): void {
    if (this.isAbandoned || this.isEnded) return;
    this.isEnded = true;
    if (this.sink !== undefined && !this.isScheduled) this.sink.onEnd();
  }

  abandon(): void {
    this.isAbandoned = true;
    this.buffered = undefined;
  }

  private flush(): void {
    this.isScheduled = false;
    const sink = this.sink;
    if (sink === undefined || this.isAbandoned) return;
    const chunks = this.buffered;
    this.buffered = undefined;
    if (chunks !== undefined) for (const c of chunks) sink.onData(c);
    if (this.isEnded && !this.isAbandoned) sink.onEnd();
  }
}
