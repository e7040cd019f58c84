/**
 * The delay before an informer retries after a failed list or watch: client-go's reflector
 * (`k8s.io/client-go/tools/cache/reflector.go` NewReflectorWithOptions) uses
 * `wait.NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, 1.0, clock)` - start at 800 ms, double
 * per failure up to 30 s, each delay stretched by a random factor in [1, 2) (jitter 1.0) so that many
 * informers of many control planes do not retry in step against a recovering API server.
 *
 * Example with the defaults: failures 1, 2, 3 ... wait in [0.8, 1.6), [1.6, 3.2), [3.2, 6.4) s ...,
 * from the 7th on in [30, 60) s. `reset()` after a watch is established starts again at 800 ms.
 */
import type { Random } from '../../core/random.js';

export interface BackoffOptions {
  /** First delay (client-go: 800 ms). */
  readonly initialMs: number;
  /** Cap before jitter (client-go: 30 s). */
  readonly maxMs: number;
  /** Growth per failure (client-go: 2). */
  readonly factor?: number;
  /** Each delay is multiplied by 1 + jitter * U[0, 1) (client-go: 1.0). */
  readonly jitter?: number;
}

export const clientGoBackoff: BackoffOptions = Object.freeze({
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
});

export class ReconnectBackoff {
  private failures = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random,
  ) {}

  /** The delay before the next attempt; each call counts one more consecutive failure. */
  nextDelayMs(): number {
    const factor = this.options.factor ?? 2;
    const base = Math.min(this.options.maxMs, this.options.initialMs * factor ** this.failures);
    this.failures++;
    const jitter = this.options.jitter ?? 1;
    const u = this.random.nextU32() / 0x1_0000_0000;
    return base * (1 + jitter * u);
  }

  /** Consecutive failures since the last reset. */
  failureCount(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
