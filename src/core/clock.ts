/**
 * Time, injected. Algorithms (outlier detection, retries, timeouts) take a `Clock` so tests run on a
 * `FakeClock` without sleeping; production uses `SystemClock`. This file and `random.ts` are the only
 * places allowed to read real time (enforced by eslint).
 */

/** A scheduled callback that can be cancelled. Cancelling twice or after it fired is harmless. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (may be fractional); only differences are meaningful. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (for timestamps shown to people). */
  wallMs(): number;
  /** Runs `fn` once after `delayMs` (clamped to >= 0). System timers never keep the process alive. */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** The real clock: `performance.now()`, `Date.now()` and unref'd `setTimeout`. */
export class SystemClock implements Clock {
  monotonicMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }
}

interface PendingTimer {
  dueMs: number;
  seq: number;
  fn: () => void;
  isCancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in due-time order (ties in
 * scheduling order), with `monotonicMs()` equal to each timer's due time while it runs; timers scheduled
 * by a firing timer also fire if they fall due within the advanced span.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private readonly wallOffsetMs: number;
  private seq = 0;
  private pending: PendingTimer[] = [];

  constructor(startMs = 0, wallStartMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
    this.wallOffsetMs = wallStartMs - startMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.nowMs + this.wallOffsetMs;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const timer: PendingTimer = {
      dueMs: this.nowMs + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      isCancelled: false,
    };
    this.pending.push(timer);
    return {
      cancel: () => {
        timer.isCancelled = true;
      },
    };
  }

  /** Number of timers still scheduled (not fired, not cancelled). */
  pendingCount(): number {
    return this.pending.filter((t) => !t.isCancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const targetMs = this.nowMs + ms;
    for (;;) {
      this.pending = this.pending.filter((t) => !t.isCancelled);
      let next: PendingTimer | undefined;
      for (const t of this.pending) {
        if (
          t.dueMs <= targetMs &&
          (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))
        ) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.fn();
    }
    this.nowMs = targetMs;
  }

  /** Moves time to an absolute monotonic instant (no-op if already past it). */
  advanceTo(ms: number): void {
    if (ms > this.nowMs) this.advance(ms - this.nowMs);
  }
}
