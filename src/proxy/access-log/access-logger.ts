/**
 * An HTTP access log: renders one record per finished request with the configured format and hands
 * it to its sink. Nothing here throws into the request path once the logger is built; a bad format is
 * rejected when the logger is created (Envoy rejects the configuration the same way).
 */
import type { AccessLogConfig } from '../config/filter-config.js';
import type { StreamInfo } from '../http/stream-info.js';
import { compileAccessLogFormat, type AccessLogFormat } from './access-log-format.js';
import { createLogSink, type LogSink } from './log-sink.js';

export interface AccessLogger {
  readonly name: string;
  /** Writes the record for a finished request; never throws. */
  log(info: StreamInfo): void;
  /** Flushes queued records and releases the sink. Records logged afterwards are dropped. */
  close(): Promise<void>;
  /** Records lost to sink failures, back-pressure, render errors or logging after close. */
  readonly droppedRecords: number;
}

export interface AccessLoggerOptions {
  /** Replaces the sink built from `config.sink` (tests, or sharing one sink). */
  readonly sink?: LogSink;
  /** JSON path of this access log in the user's configuration, for error messages. */
  readonly path?: string;
}

class FormattingAccessLogger implements AccessLogger {
  private renderFailures = 0;

  constructor(
    readonly name: string,
    private readonly format: AccessLogFormat,
    private readonly sink: LogSink,
  ) {}

  get droppedRecords(): number {
    return this.sink.droppedRecords + this.renderFailures;
  }

  log(info: StreamInfo): void {
    let record: string;
    try {
      record = this.format.format(info);
    } catch {
      // Operators are total functions; this guards the request path against a broken StreamInfo.
      this.renderFailures++;
      return;
    }
    this.sink.write(record);
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/** Builds an access logger; throws a ConfigError if the format has a bad or unknown operator. */
export function createAccessLogger(config: AccessLogConfig, options: AccessLoggerOptions = {}): AccessLogger {
  const format = compileAccessLogFormat(config.format, options.path ?? 'format');
  const sink = options.sink ?? createLogSink(config.sink);
  return new FormattingAccessLogger(config.name, format, sink);
}
