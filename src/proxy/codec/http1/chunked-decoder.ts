/**
 * Incremental decoder of the chunked transfer coding (RFC 9112 §7.1): hands out the data of each
 * chunk as slices of the input buffers (no copies), ignores chunk extensions, parses trailers.
 */
import { hexValue } from './header-chars.js';
import { parseFields, type CodecError, type HeadLimits } from './head-parser.js';

const enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailers,
  Done,
}

/** More than 13 hex digits (2^52) cannot be a chunk we would accept; http_parser/llhttp also cap it. */
const maxSizeDigits = 13;
/** Our bound on ignored chunk-extension bytes per chunk, so a peer cannot make us scan forever. */
const maxExtensionBytes = 4096;

export class ChunkedDecoder {
  private state = State.Size;
  private size = 0;
  private sizeDigits = 0;
  private extensionBytes = 0;
  private remaining = 0;
  private trailerText = '';
  /** Flat name/value pairs of the trailers, set when done (empty when there were none). */
  trailers: string[] = [];
  error: CodecError | undefined;

  constructor(private readonly limits: HeadLimits) {}

  get isDone(): boolean {
    return this.state === State.Done;
  }

  /**
   * Consumes `buf` from `offset`; calls `onData` with each data slice. Returns the offset after the
   * last consumed byte: `buf.length` unless the body ended (then the rest belongs to the next message)
   * or an error was found (`error` set).
   */
  decode(buf: Buffer, offset: number, onData: (chunk: Buffer) => void): number {
    let i = offset;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Size: {
          const c = buf[i]!;
          const v = hexValue[c]!;
          if (v >= 0) {
            if (++this.sizeDigits > maxSizeDigits) return this.fail();
            this.size = this.size * 16 + v;
            i++;
          } else if (this.sizeDigits === 0) {
            return this.fail();
          } else if (c === 0x0d) {
            this.state = State.SizeLf;
            i++;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            // chunk-ext (and the BWS before it): ignored, as Envoy's codec does.
            this.state = State.Extension;
            this.extensionBytes = 0;
            i++;
          } else {
            return this.fail();
          }
          break;
        }
        case State.Extension: {
          const c = buf[i++]!;
          if (c === 0x0d) this.state = State.SizeLf;
          else if (c === 0x0a || ++this.extensionBytes > maxExtensionBytes) return this.fail();
          break;
        }
        case State.SizeLf: {
          if (buf[i++] !== 0x0a) return this.fail();
          if (this.size === 0) {
            this.state = State.Trailers;
          } else {
            this.remaining = this.size;
            this.state = State.Data;
          }
          this.size = 0;
          this.sizeDigits = 0;
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          onData(i === 0 && take === n ? buf : buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i++] !== 0x0d) return this.fail();
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i++] !== 0x0a) return this.fail();
          this.state = State.Size;
          break;
        case State.Trailers: {
          // Trailers are rare and short: collect them as text up to the blank line.
          const c = buf[i++]!;
          this.trailerText += String.fromCharCode(c);
          if (c === 0x0a) {
            const text = this.trailerText;
            if (text === '\r\n') {
              this.state = State.Done;
              return i;
            }
            if (text.endsWith('\r\n\r\n')) {
              const fields = parseFields(text.slice(0, -4), -2, this.limits, 0);
              if (fields.kind === 'error') {
                this.error = fields;
                return -1;
              }
              this.trailers = fields.headers;
              this.state = State.Done;
              return i;
            }
          }
          if (this.trailerText.length > this.limits.maxHeadersBytes + 4096) return this.fail(431);
          break;
        }
        case State.Done:
          return i;
      }
    }
    return i;
  }

  private fail(status: 400 | 431 = 400): number {
    this.error = { kind: 'error', status, details: 'http1.codec_error' };
    return -1;
  }
}
