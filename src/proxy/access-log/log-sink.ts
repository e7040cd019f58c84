/**
 * Where access-log records go: stdout, stderr or a file opened for append. Writes are asynchronous and
 * batched (flushed at 64 KiB or 100 ms after the first record of a batch), and a sink never throws into
 * the request path: a failed or refused write is counted in `droppedRecords` and reported once in the
 * process log. Envoy's file access log likewise buffers records for a flush thread and counts
 * failures (`filesystem.write_failed`) instead of failing requests (envoyproxy/envoy
 * `source/common/access_log/access_log_manager_impl.h`, `AccessLogFileImpl`).
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createLogger } from '../../core/logger.js';
import type { AccessLogConfig } from '../config/filter-config.js';

const log = createLogger('access-log');

/** A batch is written once it holds this many bytes ... */
const flushThresholdBytes = 64 * 1024;
/** ... or this long after its first record (Envoy's default `file_flush_interval` is 1 s; shorter here
 * so that logs show up promptly on a laptop). */
const flushIntervalMs = 100;

/** Records waiting beyond this many bytes are dropped rather than buffered without bound. */
const defaultMaxBufferedBytes = 8 * 1024 * 1024;

export interface LogSink {
  /** Queues one record; never throws. */
  write(record: string): void;
  /** Flushes what was queued (and closes a file); resolves even if the destination failed. */
  close(): Promise<void>;
  /** Records that were not written: the destination failed, was closed, or was too far behind. */
  readonly droppedRecords: number;
}

export interface LogSinkOptions {
  readonly maxBufferedBytes?: number;
}

/** Sinks sharing process.stdout/stderr, so each std stream gets a single `error` listener. */
const stdStreamSinks = new Map<Writable, Set<WritableLogSink>>();

function watchStdStream(stream: Writable, sink: WritableLogSink): void {
  let sinks = stdStreamSinks.get(stream);
  if (sinks === undefined) {
    const created = new Set<WritableLogSink>();
    sinks = created;
    stdStreamSinks.set(stream, created);
    // Without a listener an EPIPE on stdout would be an uncaught exception and stop the proxy.
    stream.on('error', (err: Error) => {
      for (const s of created) s.reportFailure(err);
    });
  }
  sinks.add(sink);
}

class WritableLogSink implements LogSink {
  droppedRecords = 0;
  private hasReportedFailure = false;
  private pending: string[] = [];
  private pendingCount = 0;
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly description: string,
    private readonly isOwned: boolean,
    private readonly maxBufferedBytes: number,
  ) {
    if (isOwned) stream.on('error', (err: Error) => this.reportFailure(err));
    else watchStdStream(stream, this);
  }

  write(record: string): void {
    const stream = this.stream;
    if (this.closing !== undefined || stream.destroyed || stream.writableEnded) {
      this.droppedRecords++;
      return;
    }
    if (stream.writableLength + this.pendingBytes > this.maxBufferedBytes) {
      this.droppedRecords++;
      this.reportFailure(new Error(`more than ${this.maxBufferedBytes} bytes waiting to be written`));
      return;
    }
    // Records are batched and written together, like Envoy's access log flush (a buffer flushed when
    // full or on `file_flush_interval`): one write per batch instead of one per request.
    this.pending.push(record);
    this.pendingCount++;
    this.pendingBytes += record.length;
    if (this.pendingBytes >= flushThresholdBytes) this.flush();
    else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  private flush(): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending.join('');
    const count = this.pendingCount;
    this.pending = [];
    this.pendingCount = 0;
    this.pendingBytes = 0;
    try {
      this.stream.write(batch, (err) => {
        if (err !== null && err !== undefined) {
          this.droppedRecords += count;
          this.reportFailure(err);
        }
      });
    } catch (err) {
      this.droppedRecords += count;
      this.reportFailure(err);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.flushAndClose();
    return this.closing;
  }

  /** Logs the first failure of this sink; later ones are only counted. */
  reportFailure(err: unknown): void {
    if (this.hasReportedFailure) return;
    this.hasReportedFailure = true;
    log.warn(
      { err, destination: this.description },
      'access log write failed; further failures are only counted',
    );
  }

  private async flushAndClose(): Promise<void> {
    this.flush();
    const stream = this.stream;
    if (this.isOwned) {
      if (!stream.destroyed) stream.end();
      await finished(stream).catch(() => undefined);
      return;
    }
    stdStreamSinks.get(stream)?.delete(this);
    if (stream.destroyed || stream.writableEnded) return;
    // An empty write's callback runs once everything queued before it has been handed to the OS.
    await new Promise<void>((resolve) => {
      try {
        stream.write('', () => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Creates the sink for an access log's destination. */
export function createLogSink(sink: AccessLogConfig['sink'], options: LogSinkOptions = {}): LogSink {
  const maxBufferedBytes = options.maxBufferedBytes ?? defaultMaxBufferedBytes;
  switch (sink.kind) {
    case 'stdout':
      return new WritableLogSink(process.stdout, 'stdout', false, maxBufferedBytes);
    case 'stderr':
      return new WritableLogSink(process.stderr, 'stderr', false, maxBufferedBytes);
    case 'file':
      return new WritableLogSink(
        createWriteStream(sink.path, { flags: 'a' }),
        sink.path,
        true,
        maxBufferedBytes,
      );
  }
}

/** A sink that keeps records in memory: a test double for loggers. Drops records after close. */
export class MemoryLogSink implements LogSink {
  readonly records: string[] = [];
  droppedRecords = 0;
  isClosed = false;

  write(record: string): void {
    if (this.isClosed) this.droppedRecords++;
    else this.records.push(record);
  }

  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }
}
