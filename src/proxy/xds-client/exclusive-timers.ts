/**
 * Timers of the xDS client (initial fetch timeouts): each callback runs exclusively on the ADS
 * work queue, so it never interleaves with a response being applied, and none runs after `close()`.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { AdsMux } from './ads-mux.js';

export class ExclusiveTimers {
  private readonly timers = new Set<Timer>();
  private isClosed = false;

  constructor(
    private readonly clock: Clock,
    private readonly mux: AdsMux,
  ) {}

  set(delayMs: number, fn: () => Promise<void> | void): Timer {
    const timer: Timer = this.clock.setTimer(delayMs, () => {
      this.timers.delete(handle);
      if (!this.isClosed) void this.mux.runExclusive(fn);
    });
    const handle: Timer = {
      cancel: () => {
        timer.cancel();
        this.timers.delete(handle);
      },
    };
    this.timers.add(handle);
    return handle;
  }

  close(): void {
    this.isClosed = true;
    for (const timer of [...this.timers]) timer.cancel();
  }
}
