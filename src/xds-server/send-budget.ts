/**
 * A bound on the response bytes the whole server has handed to gRPC and not yet seen written, so
 * that a thousand proxies connecting at once (each owed a megabyte of CDS, EDS and RDS) do not make
 * the server build and hold every response at the same time - a few gigabytes of buffers, most of
 * the time spent faulting in fresh memory. Istio bounds the same thing by the number of concurrent
 * pushes (`PILOT_PUSH_THROTTLE`, pilot/pkg/features/tuning.go). A stream that finds the budget
 * spent waits its turn (first come, first served) and builds its response when woken, from the
 * latest set - the session keeps what it owes, never a queue of stale responses.
 *
 * One response may always go out when nothing is in flight, whatever its size. A response that is
 * not written within `holdTimeoutMs` (a client that stopped reading) stops counting, so stuck
 * clients cannot stall the pushes to everyone else; what they hold is bounded per stream anyway.
 */
import type { Clock } from '../core/clock.js';

/** One response's share of the budget; `release` is idempotent. */
export interface BudgetHold {
  release(): void;
}

export class SendBudget {
  private inFlightBytes = 0;
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly maxBytes: number,
    private readonly clock: Clock,
    readonly holdTimeoutMs = 5000,
  ) {}

  /** True if a response may be built now. */
  hasRoom(): boolean {
    return this.inFlightBytes < this.maxBytes;
  }

  get bytesInFlight(): number {
    return this.inFlightBytes;
  }

  /** Counts `bytes` until released (written, its stream gone) or `holdTimeoutMs` has passed. */
  hold(bytes: number): BudgetHold {
    this.inFlightBytes += bytes;
    let isReleased = false;
    const release = (): void => {
      if (isReleased) return;
      isReleased = true;
      timer.cancel();
      this.inFlightBytes = Math.max(0, this.inFlightBytes - bytes);
      this.wakeWaiting();
    };
    const timer = this.clock.setTimer(this.holdTimeoutMs, release);
    return { release };
  }

  /**
   * Calls `wake` (once) when there is room again. `wake` should build and send at once (not
   * later): the next waiter is only woken if there is still room after it.
   */
  wait(wake: () => void): void {
    this.waiting.add(wake);
  }

  cancel(wake: () => void): void {
    this.waiting.delete(wake);
  }

  private wakeWaiting(): void {
    for (const wake of this.waiting) {
      if (!this.hasRoom()) break;
      this.waiting.delete(wake);
      wake();
    }
  }
}
