/**
 * Envoy's fully jittered exponential back-off between retries (`JitteredExponentialBackOffStrategy`,
 * envoyproxy/envoy `source/common/common/backoff_strategy.cc` / `.h`).
 *
 * Each call draws uniformly from [0, interval) and then doubles the interval, except that once the
 * interval has reached half of the maximum (integer division) it jumps straight to the maximum.
 * Worked example, base 25 ms, max 250 ms (Envoy's default 10 x base): the bounds are
 * 25, 50, 100, 200, 250, 250, ... (100 < 125 doubles to 200; 200 >= 125 becomes 250), so the first
 * retry waits 0-24 ms, the second 0-49 ms, the third 0-99 ms, then 0-199 ms, then 0-249 ms.
 */
import type { Random } from '../../core/random.js';
import type { RetryBackOffConfig } from '../config/route-config.js';

/** Envoy's default base interval (runtime `upstream.base_retry_backoff_ms`, `retry_state_impl.cc`). */
export const defaultBaseRetryBackOffMs = 25;

export class JitteredExponentialBackOff {
  private readonly baseIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly doublingLimitMs: number;
  private nextIntervalMs: number;

  /** `baseIntervalMs` must be a positive integer and `maxIntervalMs` at least the base (Envoy asserts both). */
  constructor(
    config: RetryBackOffConfig,
    private readonly random: Random,
  ) {
    if (!Number.isInteger(config.baseIntervalMs) || config.baseIntervalMs <= 0) {
      throw new RangeError(
        `retry back-off base interval must be a positive integer: ${config.baseIntervalMs}`,
      );
    }
    if (!Number.isInteger(config.maxIntervalMs) || config.maxIntervalMs < config.baseIntervalMs) {
      throw new RangeError(
        `retry back-off max interval ${config.maxIntervalMs} must be an integer >= base ${config.baseIntervalMs}`,
      );
    }
    this.baseIntervalMs = config.baseIntervalMs;
    this.maxIntervalMs = config.maxIntervalMs;
    this.doublingLimitMs = Math.floor(config.maxIntervalMs / 2);
    this.nextIntervalMs = config.baseIntervalMs;
  }

  /** The current upper bound (exclusive) of the next draw; exposed for tests and logs. */
  get currentIntervalMs(): number {
    return this.nextIntervalMs;
  }

  /** The next back-off in whole ms: `random % interval`, then the interval grows (`nextBackOffMs`). */
  nextBackOffMs(): number {
    const intervalMs = this.nextIntervalMs;
    this.nextIntervalMs = intervalMs < this.doublingLimitMs ? intervalMs * 2 : this.maxIntervalMs;
    return this.random.nextU32() % intervalMs;
  }

  /** Starts over from the base interval (`reset`). */
  reset(): void {
    this.nextIntervalMs = this.baseIntervalMs;
  }
}
