/**
 * The lab API server's storage: objects by resource/namespace/name, one cluster-wide monotonic
 * resourceVersion (as etcd's revision is in Kubernetes), a bounded history of watch events, and
 * watchers. Every commit is persisted (when a PersistenceLog is given) before it becomes visible, so
 * a write that returned was on disk. The store knows nothing of API semantics (validation,
 * finalizers, cascading): `object-service.ts` builds those on top.
 */
import { KubeApiError } from '../kube-object.js';
import type { KubeObject } from '../kube-object.js';
import type { LogRecord, PersistenceLog } from './persistence-log.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly rv: number;
  readonly resource: string;
  readonly type: StoreEventType;
  /** The object after the write; for DELETED the last state, carrying the deletion's resourceVersion. */
  readonly object: KubeObject;
  /** The object before the write (MODIFIED only), so selector watches can see objects leave. */
  readonly previous?: KubeObject;
}

export type StoreWrite =
  | { readonly op: 'put'; readonly resource: string; readonly object: KubeObject }
  | { readonly op: 'delete'; readonly resource: string; readonly namespace: string; readonly name: string };

export interface StoreWatchHandle {
  stop(): void;
}

interface Watcher {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly onEvent: (event: StoreEvent) => void;
  isStopped: boolean;
}

export interface ObjectStoreOptions {
  readonly log?: PersistenceLog;
  /** How many events watches can resume from (default 10,000). */
  readonly historyLimit?: number;
  /** Log records between snapshots (default 2,000). */
  readonly snapshotEvery?: number;
}

function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export class ObjectStore {
  private rv = 0;
  private readonly byResource = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private historyStart = 0;
  /** Every event with rv > floorRv is in `history`; a watch from below it is 410 Gone. */
  private floorRv = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly log: PersistenceLog | undefined;
  private readonly historyLimit: number;
  private readonly snapshotEvery: number;
  /** Warnings from recovery (a torn record dropped), for the caller to log. */
  readonly recoveryWarnings: string[] = [];

  constructor(options: ObjectStoreOptions = {}) {
    this.log = options.log;
    this.historyLimit = options.historyLimit ?? 10_000;
    this.snapshotEvery = options.snapshotEvery ?? 2_000;
    if (this.log !== undefined) {
      const state = this.log.open();
      this.rv = state.rv;
      this.floorRv = state.rv;
      this.recoveryWarnings.push(...state.warnings);
      for (const { resource, object } of state.objects) {
        this.bucket(resource).set(objectKey(object.metadata.namespace, object.metadata.name), object);
      }
    }
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.byResource.get(resource);
    if (bucket === undefined) {
      bucket = new Map();
      this.byResource.set(resource, bucket);
    }
    return bucket;
  }

  /** The newest resourceVersion (a number; Kubernetes sends it as a string). */
  currentRv(): number {
    return this.rv;
  }

  /** The stored object (not a copy: callers must not modify it). */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byResource.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of a resource (optionally one namespace), ordered by namespace then name, as etcd keys sort. */
  list(resource: string, namespace: string | undefined): KubeObject[] {
    const bucket = this.byResource.get(resource);
    if (bucket === undefined) return [];
    const keys = [...bucket.keys()].sort();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const object = bucket.get(key);
      if (object === undefined) continue;
      if (namespace !== undefined && (object.metadata.namespace ?? '') !== namespace) continue;
      out.push(object);
    }
    return out;
  }

  /** Every stored object with its resource (for owner-reference lookups). */
  *entries(): Generator<{ resource: string; object: KubeObject }> {
    for (const [resource, bucket] of this.byResource) {
      for (const object of bucket.values()) yield { resource, object };
    }
  }

  /**
   * Applies writes atomically: each gets the next resourceVersion, all are persisted with one fsync,
   * then they become visible and watchers are told, in order. Returns the written objects.
   */
  commit(writes: readonly StoreWrite[]): KubeObject[] {
    const events: StoreEvent[] = [];
    const records: LogRecord[] = [];
    let rv = this.rv;
    // Later writes in the batch see earlier ones.
    const pending = new Map<string, KubeObject | null>();
    const current = (resource: string, key: string): KubeObject | undefined => {
      const p = pending.get(`${resource}|${key}`);
      if (p !== undefined) return p ?? undefined;
      return this.byResource.get(resource)?.get(key);
    };
    for (const write of writes) {
      rv++;
      if (write.op === 'put') {
        const key = objectKey(write.object.metadata.namespace, write.object.metadata.name);
        const previous = current(write.resource, key);
        const object: KubeObject = {
          ...write.object,
          metadata: { ...write.object.metadata, resourceVersion: String(rv) },
        };
        pending.set(`${write.resource}|${key}`, object);
        records.push({ rv, op: 'put', resource: write.resource, object });
        events.push(
          previous === undefined
            ? { rv, resource: write.resource, type: 'ADDED', object }
            : { rv, resource: write.resource, type: 'MODIFIED', object, previous },
        );
      } else {
        const key = objectKey(write.namespace, write.name);
        const previous = current(write.resource, key);
        if (previous === undefined) {
          rv--;
          continue;
        }
        pending.set(`${write.resource}|${key}`, null);
        records.push({
          rv,
          op: 'delete',
          resource: write.resource,
          namespace: write.namespace,
          name: write.name,
        });
        const object: KubeObject = {
          ...previous,
          metadata: { ...previous.metadata, resourceVersion: String(rv) },
        };
        events.push({ rv, resource: write.resource, type: 'DELETED', object });
      }
    }
    // Durability first: nothing becomes visible (or acknowledged) before it is on disk.
    this.log?.append(records);
    this.rv = rv;
    for (const event of events) {
      const bucket = this.bucket(event.resource);
      const key = objectKey(event.object.metadata.namespace, event.object.metadata.name);
      if (event.type === 'DELETED') bucket.delete(key);
      else bucket.set(key, event.object);
      this.remember(event);
    }
    for (const event of events) this.notify(event);
    if (this.log?.wantsSnapshot(this.snapshotEvery) === true) this.snapshot();
    return events.map((e) => e.object);
  }

  private remember(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      const dropped = this.history[this.historyStart];
      this.historyStart++;
      if (dropped !== undefined) this.floorRv = dropped.rv;
      // Compact the array now and then rather than shifting on every event.
      if (this.historyStart > this.historyLimit) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  private notify(event: StoreEvent): void {
    for (const watcher of this.watchers) {
      if (watcher.isStopped || watcher.resource !== event.resource) continue;
      if (watcher.namespace !== undefined && (event.object.metadata.namespace ?? '') !== watcher.namespace) {
        continue;
      }
      try {
        watcher.onEvent(event);
      } catch {
        // A failing watcher must not break the write that triggered it; it stops itself.
      }
    }
  }

  /**
   * Watches `resource` (optionally one namespace). With `fromRv`, first replays retained events newer
   * than it; throws 410 Gone (reason Expired) when events after `fromRv` were already dropped, with
   * the message kube-apiserver's watch cache uses (`too old resource version: X (Y)`).
   */
  watch(
    resource: string,
    namespace: string | undefined,
    fromRv: number | undefined,
    onEvent: (event: StoreEvent) => void,
  ): StoreWatchHandle {
    if (fromRv !== undefined && fromRv < this.floorRv) {
      throw new KubeApiError(410, 'Expired', `too old resource version: ${fromRv} (${this.floorRv + 1})`);
    }
    const watcher: Watcher = { resource, namespace, onEvent, isStopped: false };
    if (fromRv !== undefined) {
      for (let i = this.historyStart; i < this.history.length; i++) {
        const event = this.history[i];
        if (event === undefined || event.rv <= fromRv || event.resource !== resource) continue;
        if (namespace !== undefined && (event.object.metadata.namespace ?? '') !== namespace) continue;
        onEvent(event);
      }
    }
    this.watchers.add(watcher);
    return {
      stop: () => {
        watcher.isStopped = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** Writes a snapshot and empties the log (also done automatically every `snapshotEvery` records). */
  snapshot(): void {
    if (this.log === undefined) return;
    const objects = [...this.entries()];
    this.log.snapshot(this.rv, objects);
  }

  /** Compacts and closes the log; the store must not be written afterwards. */
  close(): void {
    for (const watcher of this.watchers) watcher.isStopped = true;
    this.watchers.clear();
    if (this.log !== undefined) {
      this.snapshot();
      this.log.close();
    }
  }
}
