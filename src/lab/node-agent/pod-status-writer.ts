/**
 * Writes one pod's status through the `status` subresource, as the kubelet's status manager does:
 * changes are coalesced (a start or a probe round changes several containers at once), an unchanged
 * status is not written again, the write is a JSON merge patch carrying `metadata.uid` (a pod that
 * was replaced under the same name is not overwritten), failures are retried with back-off while the
 * API server is away, and a 404 means the pod is gone: nothing more is written.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { describeResponse, podPath, type KubeRest } from './kube-rest.js';

export interface PodStatusWriterOptions {
  readonly clock: Clock;
  readonly rest: KubeRest;
  readonly log: Logger;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The status as of now. */
  readonly build: () => Record<string, unknown>;
}

/** How long changes are gathered before a write. */
export const statusCoalesceMs = 10;

export class PodStatusWriter {
  private timer: Timer | undefined;
  private writing: Promise<void> | undefined;
  private isDirty = false;
  private lastWritten = '';
  private failures = 0;
  private isGoneFlag = false;

  constructor(private readonly o: PodStatusWriterOptions) {}

  /** The pod is gone from the API (404, or deleted): no more writes. */
  get isGone(): boolean {
    return this.isGoneFlag;
  }

  markGone(): void {
    this.isGoneFlag = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Something changed: write soon. */
  schedule(): void {
    if (this.timer !== undefined || this.isGoneFlag) return;
    this.timer = this.o.clock.setTimer(statusCoalesceMs, () => {
      this.timer = undefined;
      void this.flush();
    });
  }

  /** Writes the current status now (if it changed); resolves once written, given up, or failed. */
  flush(): Promise<void> {
    this.isDirty = true;
    this.writing ??= this.loop().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Writes the next status even when it equals the last one written. */
  resync(): void {
    this.lastWritten = '';
    this.schedule();
  }

  private async loop(): Promise<void> {
    while (this.isDirty && !this.isGoneFlag) {
      this.isDirty = false;
      const status = this.o.build();
      const text = JSON.stringify(status);
      if (text === this.lastWritten) continue;
      const r = await this.o.rest
        .patch(podPath(this.o.namespace, this.o.name, '/status'), { metadata: { uid: this.o.uid }, status })
        .catch((err: unknown) => ({ status: 0, body: { message: String(err) } }));
      if (r.status === 404) {
        this.markGone();
      } else if (r.status >= 300 || r.status === 0) {
        this.failures++;
        const delayMs = Math.min(10_000, 500 * 2 ** Math.min(this.failures, 5));
        this.o.log.warn(
          { pod: `${this.o.namespace}/${this.o.name}`, response: describeResponse(r), retryInMs: delayMs },
          'pod status write failed; retrying',
        );
        this.timer?.cancel();
        this.timer = this.o.clock.setTimer(delayMs, () => {
          this.timer = undefined;
          void this.flush();
        });
        return;
      } else {
        this.failures = 0;
        this.lastWritten = text;
      }
    }
  }
}
