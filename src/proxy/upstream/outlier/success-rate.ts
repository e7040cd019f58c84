/**
 * Success-rate bookkeeping and the two statistical detectors (success rate, failure percentage).
 * Envoy: `SuccessRateAccumulator`, `SuccessRateMonitor` (`outlier_detection_impl.h`) and
 * `DetectorImpl::processSuccessRateEjections` / `successRateEjectionThreshold`
 * (`source/common/upstream/outlier_detection_impl.cc`).
 */

/**
 * Two buckets per host and origin: the monitor writes into `current` during an interval; each interval
 * tick zeroes the other bucket and swaps, so `previous` then holds exactly the last interval's counts.
 */
export class SuccessRateMonitor {
  private current = { success: 0, total: 0 };
  private previous = { success: 0, total: 0 };
  /** Shown on `/clusters` and in events; -1 until a tick finds enough volume. */
  private displayedRate = -1;

  recordSuccess(): void {
    this.current.total++;
    this.current.success++;
  }

  recordFailure(): void {
    this.current.total++;
  }

  /** Called on every interval tick (`updateCurrentSuccessRateBucket`). */
  swapBuckets(): void {
    const drained = this.previous;
    drained.success = 0;
    drained.total = 0;
    this.previous = this.current;
    this.current = drained;
  }

  /** The last interval's success rate (0-100) and request count, or undefined with no requests. */
  lastInterval(): { successRate: number; volume: number } | undefined {
    if (this.previous.total === 0) return undefined;
    return { successRate: (this.previous.success * 100) / this.previous.total, volume: this.previous.total };
  }

  get successRate(): number {
    return this.displayedRate;
  }

  set successRate(rate: number) {
    this.displayedRate = rate;
  }
}

/** The cluster-wide numbers of the success-rate detector: -1/-1 when it did not run. */
export interface SuccessRateNumbers {
  readonly average: number;
  readonly ejectionThreshold: number;
}

export const noSuccessRateNumbers: SuccessRateNumbers = Object.freeze({ average: -1, ejectionThreshold: -1 });

/**
 * Mean and `mean - factor * stdev` over the hosts' success rates, with the population standard
 * deviation. Worked example from Envoy's comment: rates {50, 100, 100, 100, 100} give mean 90,
 * variance 400, stdev 20, and with factor 1.9 a threshold of 90 - 38 = 52.
 */
export function successRateEjectionThreshold(
  rates: readonly number[],
  stdevFactor: number,
): SuccessRateNumbers {
  let sum = 0;
  for (const rate of rates) sum += rate;
  const mean = sum / rates.length;
  let variance = 0;
  for (const rate of rates) variance += (rate - mean) ** 2;
  variance /= rates.length;
  return { average: mean, ejectionThreshold: mean - stdevFactor * Math.sqrt(variance) };
}

export interface SuccessRateSample<T> {
  readonly item: T;
  readonly successRate: number;
  readonly volume: number;
}

export interface SuccessRateSettings {
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** In thousandths, as configured (1900 means 1.9). */
  readonly successRateStdevFactor: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly failurePercentageThreshold: number;
}

export interface SuccessRateVerdict<T> {
  /** The success-rate detector's numbers, or -1/-1 when too few hosts had enough volume. */
  readonly numbers: SuccessRateNumbers;
  /** Hosts below the success-rate threshold, in sample order. */
  readonly successRateOutliers: readonly T[];
  /** Hosts whose failure percentage reached the threshold, in sample order. */
  readonly failurePercentageOutliers: readonly T[];
}

/**
 * Runs both detectors over the last interval's samples (hosts not ejected, with at least one request).
 * Each detector only considers hosts with enough volume, and only runs when at least its minimum number
 * of *such* hosts exist (not all hosts, whatever the docs say). Success rate ejects `rate < threshold`;
 * failure percentage ejects `100 - rate >= threshold`.
 */
export function findSuccessRateOutliers<T>(
  samples: readonly SuccessRateSample<T>[],
  settings: SuccessRateSettings,
): SuccessRateVerdict<T> {
  const forSuccessRate = samples.filter((s) => s.volume >= settings.successRateRequestVolume);
  const forFailurePercentage = samples.filter((s) => s.volume >= settings.failurePercentageRequestVolume);
  let numbers = noSuccessRateNumbers;
  let successRateOutliers: T[] = [];
  if (forSuccessRate.length > 0 && forSuccessRate.length >= settings.successRateMinimumHosts) {
    numbers = successRateEjectionThreshold(
      forSuccessRate.map((s) => s.successRate),
      settings.successRateStdevFactor / 1000,
    );
    const threshold = numbers.ejectionThreshold;
    successRateOutliers = forSuccessRate.filter((s) => s.successRate < threshold).map((s) => s.item);
  }
  let failurePercentageOutliers: T[] = [];
  if (
    forFailurePercentage.length > 0 &&
    forFailurePercentage.length >= settings.failurePercentageMinimumHosts
  ) {
    failurePercentageOutliers = forFailurePercentage
      .filter((s) => 100 - s.successRate >= settings.failurePercentageThreshold)
      .map((s) => s.item);
  }
  return { numbers, successRateOutliers, failurePercentageOutliers };
}
