/**
 * Durable storage of the lab API server under `--data-dir`: an append-only log of writes, fsync'd
 * before the write is acknowledged, plus a periodic snapshot that compacts the log.
 *
 * Files: `snapshot.json` (one line: `<crc32 hex> <json>`) and `objects.log` (one record a line, the
 * same framing). A record is `{rv, op: 'put', resource, object}` or `{rv, op: 'delete', resource,
 * namespace, name}`. Recovery loads the snapshot, then replays log records newer than it. A torn last
 * line (a crash during `write`) is dropped with a warning; any other damage refuses to start rather
 * than serving an emptied or partial store.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SpillwayError, ErrorCode } from '../../../core/errors.js';
import type { KubeObject } from '../kube-object.js';

export const corruptDataCode = ErrorCode.kubeDataCorrupt;

export type LogRecord =
  | { readonly rv: number; readonly op: 'put'; readonly resource: string; readonly object: KubeObject }
  | {
      readonly rv: number;
      readonly op: 'delete';
      readonly resource: string;
      readonly namespace: string;
      readonly name: string;
    };

export interface StoredObject {
  readonly resource: string;
  readonly object: KubeObject;
}

export interface RecoveredState {
  /** The highest resourceVersion written. */
  readonly rv: number;
  readonly objects: StoredObject[];
  /** Problems that were repaired (a torn last record), for a warning log line. */
  readonly warnings: string[];
}

function frame(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Parses one framed line; undefined when the checksum or JSON is bad. */
function unframe(line: string): unknown {
  const space = line.indexOf(' ');
  if (space !== 8) return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is LogRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (typeof r['rv'] !== 'number' || typeof r['resource'] !== 'string') return false;
  if (r['op'] === 'put') return typeof r['object'] === 'object' && r['object'] !== null;
  return r['op'] === 'delete' && typeof r['namespace'] === 'string' && typeof r['name'] === 'string';
}

function corrupt(file: string, what: string): SpillwayError {
  return new SpillwayError(
    corruptDataCode,
    `${file}: ${what}; refusing to start so that no stored object is lost (restore the file or move the data directory away)`,
  );
}

function keyOf(resource: string, object: KubeObject): string {
  return `${resource}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

export class PersistenceLog {
  private readonly snapshotPath: string;
  private readonly logPath: string;
  private fd: number | undefined;
  private recordsSinceSnapshot = 0;

  constructor(readonly dataDir: string) {
    this.snapshotPath = join(dataDir, 'snapshot.json');
    this.logPath = join(dataDir, 'objects.log');
  }

  /** Reads the stored state and opens the log for appending. Throws SpillwayError on corruption. */
  open(): RecoveredState {
    mkdirSync(this.dataDir, { recursive: true });
    const warnings: string[] = [];
    const objects = new Map<string, StoredObject>();
    let rv = 0;
    if (existsSync(this.snapshotPath)) {
      const text = readFileSync(this.snapshotPath, 'utf8');
      const parsed = unframe(text.endsWith('\n') ? text.slice(0, -1) : text);
      const snap = parsed as { rv?: unknown; objects?: unknown } | undefined;
      if (snap === undefined || typeof snap.rv !== 'number' || !Array.isArray(snap.objects)) {
        throw corrupt(this.snapshotPath, 'the snapshot is damaged (checksum or format)');
      }
      rv = snap.rv;
      for (const entry of snap.objects as StoredObject[])
        objects.set(keyOf(entry.resource, entry.object), entry);
    }
    let goodLength = 0;
    if (existsSync(this.logPath)) {
      const buffer = readFileSync(this.logPath);
      let offset = 0;
      let lineNo = 0;
      while (offset < buffer.length) {
        lineNo++;
        const nl = buffer.indexOf(0x0a, offset);
        const isLast = nl === -1 || nl === buffer.length - 1;
        const line = buffer.subarray(offset, nl === -1 ? buffer.length : nl).toString('utf8');
        const record = nl === -1 ? undefined : unframe(line);
        if (record === undefined || !isRecord(record)) {
          if (isLast) {
            warnings.push(
              `${this.logPath}: dropped a torn last record at line ${lineNo} (${buffer.length - offset} bytes, a write interrupted by a crash; it was never acknowledged)`,
            );
            break;
          }
          throw corrupt(this.logPath, `record at line ${lineNo} is damaged (checksum or format)`);
        }
        offset = nl + 1;
        goodLength = offset;
        this.recordsSinceSnapshot++;
        if (record.rv <= rv) continue; // already in the snapshot (crash between snapshot and truncation)
        rv = record.rv;
        if (record.op === 'put') objects.set(keyOf(record.resource, record.object), record);
        else objects.delete(`${record.resource}/${record.namespace}/${record.name}`);
      }
    }
    this.fd = openSync(this.logPath, 'a+');
    if (warnings.length > 0) {
      ftruncateSync(this.fd, goodLength);
      fsyncSync(this.fd);
    }
    return { rv, objects: [...objects.values()], warnings };
  }

  /** Appends records and fsyncs; returns only once they are on disk. */
  append(records: readonly LogRecord[]): void {
    if (this.fd === undefined) throw new Error('PersistenceLog: not open');
    if (records.length === 0) return;
    writeSync(this.fd, records.map(frame).join(''));
    fsyncSync(this.fd);
    this.recordsSinceSnapshot += records.length;
  }

  /** Whether enough log records accumulated that a snapshot would pay off. */
  wantsSnapshot(threshold = 2000): boolean {
    return this.recordsSinceSnapshot >= threshold;
  }

  /**
   * Writes a snapshot atomically (temp file, fsync, rename, fsync directory), then empties the log.
   * A crash between the rename and the truncation is harmless: replay skips records the snapshot has.
   */
  snapshot(rv: number, objects: readonly StoredObject[]): void {
    if (this.fd === undefined) throw new Error('PersistenceLog: not open');
    const tmp = `${this.snapshotPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, frame({ rv, objects }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotPath);
    const dirFd = openSync(this.dataDir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
    this.recordsSinceSnapshot = 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
