/**
 * The outlier event log file (Envoy `cluster_manager.outlier_detection.event_log_path`; Istio wires it
 * through `OUTLIER_LOG_PATH`). Envoy's `EventLoggerImpl` appends each event as one JSON line through its
 * access-log file machinery, which buffers and flushes off the worker thread; here a Node write stream
 * plays that role, so an ejection on the request path never waits for the disk and never throws.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { formatOutlierEvent, type OutlierEvent, type OutlierEventSink } from './outlier-event.js';

export class JsonLinesFileEventSink implements OutlierEventSink {
  private readonly stream: WriteStream;
  private isClosed = false;
  private failure: Error | undefined;
  private droppedCount = 0;

  /** Opens `path` for appending. Open errors are reported by `open()` or `lastError`, never thrown. */
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  /** Creates a sink and waits until the file is open, so a bad path fails at configuration time. */
  static open(path: string): Promise<JsonLinesFileEventSink> {
    const sink = new JsonLinesFileEventSink(path);
    return new Promise((resolve, reject) => {
      sink.stream.once('ready', () => resolve(sink));
      sink.stream.once('error', reject);
    });
  }

  /** The first I/O error seen; later events are dropped once the file has failed. */
  get lastError(): Error | undefined {
    return this.failure;
  }

  /** Events not written because the file failed or the sink was closed. */
  get dropped(): number {
    return this.droppedCount;
  }

  write(event: OutlierEvent): void {
    if (this.isClosed || this.failure !== undefined) {
      this.droppedCount++;
      return;
    }
    try {
      this.stream.write(`${formatOutlierEvent(event)}\n`);
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      this.droppedCount++;
    }
  }

  /** Flushes buffered lines and closes the file. Idempotent; resolves even if the file had failed. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    if (this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.end();
    });
  }
}
