/**
 * A controller's work queue, like client-go's rate-limited workqueue: keys are deduplicated, one key
 * is never reconciled twice at the same time, a key added while it is being reconciled runs again
 * afterwards, and a failed reconcile (e.g. 409 Conflict) is retried with exponential back-off through
 * the injected clock (client-go's default item limiter: 5 ms doubling; capped lower here for a lab).
 */
import type { Clock, Timer } from '../../../core/clock.js';
import { createLogger } from '../../../core/logger.js';
import { KubeApiError } from '../kube-object.js';

const log = createLogger('kube-controllers');

/** Reconciles one key; may return a delay after which the key is looked at again. */
export type Reconcile = (key: string) => Promise<number | undefined>;

const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 30_000;

export class ReconcileLoop {
  private readonly queue = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();
  private running: Promise<void> | undefined;
  private isStopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** Reconciles run and failed so far (diagnostics; tests assert there is no churn). */
  readonly stats = { reconciles: 0, failures: 0 };
  /** Last error per key, for diagnostics and tests. */
  readonly lastErrors = new Map<string, unknown>();

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly reconcile: Reconcile,
  ) {}

  enqueue(key: string): void {
    if (this.isStopped) return;
    this.queue.add(key);
    if (this.running === undefined) this.running = this.run();
  }

  /** Adds `key` after `delayMs` (replacing an earlier pending delay for it). */
  enqueueAfter(key: string, delayMs: number): void {
    if (this.isStopped) return;
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.clock.setTimer(delayMs, () => {
        this.timers.delete(key);
        this.enqueue(key);
      }),
    );
  }

  isIdle(): boolean {
    return this.queue.size === 0 && this.running === undefined;
  }

  /** Resolves once the queue is empty and nothing is being reconciled. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    // Yield once so that a burst of enqueues from one watch event is coalesced.
    await Promise.resolve();
    while (!this.isStopped) {
      const next = this.queue.values().next();
      if (next.done === true) break;
      const key = next.value;
      this.queue.delete(key);
      this.stats.reconciles += 1;
      try {
        const requeueAfterMs = await this.reconcile(key);
        this.failures.delete(key);
        this.lastErrors.delete(key);
        if (requeueAfterMs !== undefined) this.enqueueAfter(key, requeueAfterMs);
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) {
          // The object went away mid-reconcile; its deletion event requeues whatever depends on it.
          this.failures.delete(key);
          log.debug({ controller: this.name, key, err: String(err) }, 'object gone during reconcile');
          continue;
        }
        this.stats.failures += 1;
        const count = (this.failures.get(key) ?? 0) + 1;
        // Conflicts are routine (another writer won); anything else is worth a warning.
        const isConflict = err instanceof KubeApiError && err.code === 409;
        (isConflict ? log.debug : log.warn).call(
          log,
          { controller: this.name, key, attempt: count, err: String(err) },
          'reconcile failed; retrying',
        );
        this.failures.set(key, count);
        this.lastErrors.set(key, err);
        this.enqueueAfter(key, Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (count - 1)));
      }
    }
    this.running = undefined;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue.clear();
    await this.running;
  }
}
