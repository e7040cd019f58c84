/**
 * A host's ejection bookkeeping in one readable record, for the admin page and for explaining why a
 * host is (or is not) receiving traffic. Derived from the monitor's state and the detector's timer.
 */
import type { OutlierHostMonitor } from './host-monitor.js';
import type { OutlierEjectionType } from './outlier-event.js';

/** One host's ejection bookkeeping, for the admin page and explanations. */
export interface HostEjectionState {
  readonly isEjected: boolean;
  /** Type of the last enforced ejection (kept after un-ejection); undefined if never ejected. */
  readonly ejectionType: OutlierEjectionType | undefined;
  /** Monotonic ms of the last ejection. */
  readonly lastEjectionMs: number | undefined;
  /** Monotonic ms of the last un-ejection. */
  readonly lastUnejectionMs: number | undefined;
  /** `min(base * backoff, max) + jitter`: how long the current (or last) ejection lasts at least. */
  readonly ejectionDurationMs: number;
  /** Time left before a tick may un-eject the host (0 when not ejected or already due). */
  readonly remainingMs: number;
  /**
   * The first interval tick at or after the due time, i.e. when the host comes back if nothing else
   * changes (un-ejection only happens on ticks). Exact on a fake clock; real ticks drift by their
   * processing time. Undefined when not ejected.
   */
  readonly expectedUnejectionMs: number | undefined;
  readonly numEjections: number;
  readonly backoff: number;
  readonly jitterMs: number;
}

/**
 * Un-ejection only happens on interval ticks, so a host due at `lastEjection + duration` comes back at
 * the first tick at or after that instant. `nextSweepMs` is the next armed tick (undefined once the
 * detector is closed).
 */
export function describeEjection(
  monitor: OutlierHostMonitor,
  nowMs: number,
  nextSweepMs: number | undefined,
  intervalMs: number,
): HostEjectionState {
  const durationMs = monitor.numEjections === 0 ? 0 : monitor.ejectionDurationMs();
  const isEjected = monitor.isEjected;
  const dueMs = (monitor.lastEjectionTimeMs ?? nowMs) + durationMs;
  let expectedUnejectionMs: number | undefined;
  if (isEjected && nextSweepMs !== undefined) {
    expectedUnejectionMs =
      nextSweepMs + Math.max(0, Math.ceil((dueMs - nextSweepMs) / intervalMs)) * intervalMs;
  }
  return {
    isEjected,
    ejectionType: monitor.lastEjectionType,
    lastEjectionMs: monitor.lastEjectionTimeMs,
    lastUnejectionMs: monitor.lastUnejectionTimeMs,
    ejectionDurationMs: durationMs,
    remainingMs: isEjected ? Math.max(0, dueMs - nowMs) : 0,
    expectedUnejectionMs,
    numEjections: monitor.numEjections,
    backoff: monitor.backoff,
    jitterMs: monitor.jitterMs,
  };
}
