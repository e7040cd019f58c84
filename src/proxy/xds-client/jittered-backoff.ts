/**
 * The reconnect backoff of Envoy's xDS gRPC stream (envoyproxy/envoy
 * `source/common/common/backoff_strategy.cc` `JitteredExponentialBackOffStrategy`, built by the mux
 * with `SubscriptionFactory::RetryInitialDelayMs` 500 ms and `RetryMaxDelayMs` 30 s): each delay is
 * uniform in [0, interval), the interval doubling from the base up to the max; a received message
 * resets it (`GrpcStream::onReceiveMessage`).
 */
import type { Random } from '../../core/random.js';

export const adsRetryInitialDelayMs = 500;
export const adsRetryMaxDelayMs = 30_000;

export class JitteredExponentialBackOff {
  private nextIntervalMs: number;

  constructor(
    private readonly random: Random,
    private readonly baseIntervalMs = adsRetryInitialDelayMs,
    private readonly maxIntervalMs = adsRetryMaxDelayMs,
  ) {
    this.nextIntervalMs = baseIntervalMs;
  }

  /** The next delay in whole milliseconds: `random % interval`, capped at the max. */
  nextBackOffMs(): number {
    const interval = this.nextIntervalMs;
    // Doubling stops at the max (Envoy also guards against overflow here).
    this.nextIntervalMs =
      this.nextIntervalMs < this.maxIntervalMs / 2 ? this.nextIntervalMs * 2 : this.maxIntervalMs;
    return Math.min(this.random.nextU32() % interval, this.maxIntervalMs);
  }

  reset(): void {
    this.nextIntervalMs = this.baseIntervalMs;
  }
}
