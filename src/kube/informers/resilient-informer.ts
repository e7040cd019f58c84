/**
 * One collection of one cluster, listed and watched by `@kubernetes/client-node`'s `ListWatch`, kept
 * running whatever the API server does:
 * - 410 Gone (history compacted, or the server restarted): ListWatch itself relists and reports the
 *   difference as add/update/delete (client-node `cache.js` doneHandler/deleteItems);
 * - any other list or watch error: ListWatch stops and reports `error`; we start it again after an
 *   exponential backoff (client-go's reflector parameters, `reconnect-backoff.ts`). Its cache and
 *   resourceVersion are kept, so the retry resumes the watch or relists on 410;
 * - a list that hangs is aborted after `listTimeoutMs` and retried the same way;
 * - an object without a name (which would break the cache) is dropped and counted, and a consumer
 *   that throws is logged and counted: neither stops the informer.
 * A CRD-backed kind the cluster does not serve (404) counts as synced and empty (Istio's crdclient
 * likewise skips CRDs that are not installed) and is looked for again at the longest backoff.
 *
 * `ListWatch` is given an observing `Watch` because client-node reports no "listed" or "connected"
 * event: it calls `watch()` right after applying a list (so the collection has synced), and
 * `watch()` resolves once the API server answered 200 (so the watch is connected).
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Random } from '../../core/random.js';
import { ReconnectBackoff, type BackoffOptions } from './reconnect-backoff.js';
import type { RawList, WatchedCollection, WatchedKind } from './watched-kinds.js';
import { isWatchedObject, toWireJson, type WatchedObject } from './watched-object.js';

export type ObjectEventType = 'upsert' | 'delete';

/** How current one informer is. */
export interface InformerState {
  readonly kind: WatchedKind;
  /** True once a list has been applied; stays true while reconnecting. */
  readonly hasSynced: boolean;
  /** True while the watch is up (or the kind is absent); false from a failure until the next watch. */
  readonly isConnected: boolean;
  /** The cluster does not serve this CRD-backed kind. */
  readonly isAbsent: boolean;
  /** The error of the current failure; cleared when a watch is established again. */
  readonly lastError?: string;
  readonly lastErrorWallMs?: number;
  /** Wall-clock ms of the last applied list or delivered event. */
  readonly lastUpdateWallMs?: number;
  readonly lists: number;
  readonly events: number;
  /** Restarts after errors. */
  readonly restarts: number;
  /** Objects dropped because they had no name, and consumer exceptions. */
  readonly droppedObjects: number;
  readonly consumerErrors: number;
}

export interface InformerDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly backoff: BackoffOptions;
  readonly listTimeoutMs: number;
  onObject(kind: WatchedKind, type: ObjectEventType, object: WatchedObject): void;
  onStateChange(state: InformerState): void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface WatchObserver {
  /** ListWatch asks for a watch: any list before it has been applied. */
  onWatchRequested(): void;
  /** The API server accepted the watch (HTTP 200). */
  onWatchEstablished(): void;
  onDroppedObject(phase: string): void;
}

/** client-node's `Watch`, reporting when a watch is requested and established, dropping nameless objects. */
class ObservedWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly observer: WatchObserver,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // client-node's own signature.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    done: (err: any) => void,
  ): Promise<AbortController> {
    this.observer.onWatchRequested();
    let isDone = false;
    const controller = await super.watch(
      path,
      queryParams,
      (phase, apiObj: unknown, watchObj: unknown) => {
        const isObjectEvent = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
        if (isObjectEvent && !isWatchedObject(apiObj)) {
          this.observer.onDroppedObject(phase);
          return;
        }
        callback(phase, apiObj, watchObj);
      },
      (err: unknown) => {
        isDone = true;
        done(err);
      },
    );
    if (!isDone) this.observer.onWatchEstablished();
    return controller;
  }
}

/** The HTTP status of a client-node error (typed API `ApiException.code`, watch `statusCode`). */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.code === 'number' ? e.code : undefined;
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const firstLine = text.split('\n')[0] ?? text;
  return firstLine.length > 300 ? `${firstLine.slice(0, 300)}...` : firstLine;
}

export class ResilientInformer {
  private readonly listWatch: ListWatch<KubernetesObject>;
  private readonly backoff: ReconnectBackoff;
  private readonly st: Mutable<InformerState>;
  private retryTimer: Timer | undefined;
  private listAbort: AbortController | undefined;
  private isStopped = true;

  constructor(
    private readonly collection: WatchedCollection,
    kc: KubeConfig,
    private readonly deps: InformerDeps,
  ) {
    this.backoff = new ReconnectBackoff(deps.backoff, deps.random);
    this.st = {
      kind: collection.kind,
      hasSynced: false,
      isConnected: false,
      isAbsent: false,
      lists: 0,
      events: 0,
      restarts: 0,
      droppedObjects: 0,
      consumerErrors: 0,
    };
    const watch = new ObservedWatch(kc, {
      onWatchRequested: () => this.onWatchRequested(),
      onWatchEstablished: () => this.onWatchEstablished(),
      onDroppedObject: (phase) => this.onDroppedObject(phase),
    });
    this.listWatch = new ListWatch(collection.path, watch, () => this.list(), false);
    this.listWatch.on('add', (o) => this.deliver('upsert', o));
    this.listWatch.on('update', (o) => this.deliver('upsert', o));
    this.listWatch.on('delete', (o) => this.deliver('delete', o));
    this.listWatch.on('error', (err) => this.onFailure(err));
  }

  get kind(): WatchedKind {
    return this.collection.kind;
  }

  state(): InformerState {
    return { ...this.st };
  }

  /** Starts listing and watching; never throws (failures are retried and show in `state()`). */
  start(): void {
    if (!this.isStopped) return;
    this.isStopped = false;
    this.attempt();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.listAbort?.abort();
    await this.listWatch.stop();
  }

  private attempt(): void {
    this.listWatch.start().catch((err: unknown) => this.onFailure(err));
  }

  private async list(): Promise<{ items: KubernetesObject[]; metadata: { resourceVersion: string } }> {
    const abort = new AbortController();
    this.listAbort = abort;
    const timeoutMs = this.deps.listTimeoutMs;
    const timer = this.deps.clock.setTimer(timeoutMs, () => abort.abort());
    let raw: RawList;
    try {
      raw = await this.collection.list(abort.signal);
    } catch (err) {
      if (abort.signal.aborted && !this.isStopped)
        throw new Error(`list timed out after ${timeoutMs} ms`, { cause: err });
      throw err;
    } finally {
      timer.cancel();
      if (this.listAbort === abort) this.listAbort = undefined;
    }
    const items: KubernetesObject[] = [];
    for (const item of raw.items ?? []) {
      const object = toWireJson(item);
      if (isWatchedObject(object)) items.push(object as KubernetesObject);
      else this.onDroppedObject('LIST');
    }
    this.st.lists++;
    this.st.isAbsent = false;
    this.st.lastUpdateWallMs = this.deps.clock.wallMs();
    return { items, metadata: { resourceVersion: raw.metadata?.resourceVersion ?? '' } };
  }

  private onWatchRequested(): void {
    if (this.st.hasSynced) return;
    this.st.hasSynced = true;
    this.notify();
  }

  private onWatchEstablished(): void {
    if (this.isStopped) return;
    this.backoff.reset();
    const changed = !this.st.isConnected || this.st.lastError !== undefined;
    this.st.isConnected = true;
    delete this.st.lastError;
    delete this.st.lastErrorWallMs;
    if (changed) this.notify();
  }

  private onDroppedObject(phase: string): void {
    this.st.droppedObjects++;
    this.deps.log.warn({ kind: this.collection.kind, phase }, 'dropped an object without metadata.name');
  }

  private deliver(type: ObjectEventType, object: KubernetesObject): void {
    this.st.events++;
    this.st.lastUpdateWallMs = this.deps.clock.wallMs();
    try {
      this.deps.onObject(this.collection.kind, type, object as WatchedObject);
    } catch (err) {
      this.st.consumerErrors++;
      this.deps.log.error(
        {
          err,
          kind: this.collection.kind,
          name: object.metadata?.name,
          namespace: object.metadata?.namespace,
        },
        'consumer failed on an object; the informer goes on',
      );
    }
  }

  private onFailure(err: unknown): void {
    if (this.isStopped || this.retryTimer !== undefined) return;
    let delayMs: number;
    if (this.collection.isOptional && httpStatusOf(err) === 404) {
      // The CRD is not installed: nothing to watch, nothing is wrong. Look again now and then.
      const wasAbsent = this.st.isAbsent;
      this.st.isAbsent = true;
      this.st.hasSynced = true;
      this.st.isConnected = true;
      delete this.st.lastError;
      delete this.st.lastErrorWallMs;
      if (!wasAbsent) {
        this.deps.log.info({ kind: this.collection.kind }, 'kind not served by this cluster (404)');
        this.notify();
      }
      delayMs = this.deps.backoff.maxMs;
    } else {
      const message = describe(err);
      const changed = this.st.isConnected || this.st.lastError !== message;
      this.st.isConnected = false;
      this.st.lastError = message;
      this.st.lastErrorWallMs = this.deps.clock.wallMs();
      delayMs = this.backoff.nextDelayMs();
      this.deps.log.warn(
        { kind: this.collection.kind, error: message, retryInMs: Math.round(delayMs) },
        'list/watch failed; retrying',
      );
      if (changed) this.notify();
    }
    this.retryTimer = this.deps.clock.setTimer(delayMs, () => {
      this.retryTimer = undefined;
      if (this.isStopped) return;
      this.st.restarts++;
      this.attempt();
    });
  }

  private notify(): void {
    try {
      this.deps.onStateChange(this.state());
    } catch (err) {
      this.deps.log.error({ err, kind: this.collection.kind }, 'state listener failed');
    }
  }
}
