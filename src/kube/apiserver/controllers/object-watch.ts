/**
 * List-then-watch of one resource, as an informer does: the initial list is delivered as ADDED
 * events, then the watch continues from the list's resourceVersion. A 410 Gone (history too old)
 * relists and resumes, so no change is missed. Handlers must only enqueue work.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import { KubeApiError } from '../kube-object.js';
import type { KubeObject } from '../kube-object.js';
import type { ObjectClient, WatchEvent, WatchHandle } from '../object-client.js';

export type ObjectHandler = (event: WatchEvent, old: KubeObject | undefined) => void;

export class ObjectWatch {
  private handle: WatchHandle | undefined;
  private retry: Timer | undefined;
  private isStopped = false;
  private lastRv: string | undefined;
  /** Last seen version of each object (by namespace/name), so handlers see old and new labels. */
  private readonly known = new Map<string, KubeObject>();

  constructor(
    private readonly client: ObjectClient,
    private readonly clock: Clock,
    readonly resource: string,
    private readonly handler: ObjectHandler,
  ) {
    this.start();
  }

  private start(): void {
    if (this.isStopped) return;
    try {
      const listed = this.client.list(this.resource, undefined);
      const seen = new Set<string>();
      for (const obj of listed.items) {
        const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
        seen.add(key);
        const old = this.known.get(key);
        this.known.set(key, obj);
        this.handler({ type: old === undefined ? 'ADDED' : 'MODIFIED', object: obj }, old);
      }
      for (const [key, old] of [...this.known]) {
        if (seen.has(key)) continue;
        this.known.delete(key);
        this.handler({ type: 'DELETED', object: old }, old);
      }
      this.lastRv = listed.resourceVersion;
      this.handle = this.client.watch(this.resource, undefined, this.lastRv, (e) => this.onEvent(e));
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.code !== 410) {
        // Unexpected failure: try again later rather than spinning.
        this.retry = this.clock.setTimer(1000, () => this.start());
        return;
      }
      this.retry = this.clock.setTimer(0, () => this.start());
    }
  }

  private onEvent(event: WatchEvent): void {
    if (this.isStopped || event.type === 'BOOKMARK') return;
    const obj = event.object;
    this.lastRv = obj.metadata.resourceVersion ?? this.lastRv;
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const old = this.known.get(key);
    if (event.type === 'DELETED') this.known.delete(key);
    else this.known.set(key, obj);
    this.handler(event, old);
  }

  stop(): void {
    this.isStopped = true;
    this.retry?.cancel();
    this.handle?.stop();
    this.handle = undefined;
  }
}
