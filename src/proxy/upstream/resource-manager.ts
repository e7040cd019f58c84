/**
 * Circuit breakers of one cluster at one routing priority (Envoy `ResourceManagerImpl`,
 * `source/common/upstream/resource_manager_impl.h`): counts of open connections, pending requests,
 * active requests and active retries against `circuit_breakers.thresholds`. When
 * `track_remaining` is set, `circuit_breakers.<priority>.remaining_*` gauges are kept; the `*_open`
 * gauges are 1 while a limit is reached.
 */
import type { CircuitBreakerThresholds } from '../config/cluster-config.js';
import type { Gauge, StatsScope } from '../stats/stats-store.js';

export class Resource {
  count = 0;
  private readonly openGauge: Gauge;
  private readonly remainingGauge: Gauge | undefined;

  constructor(
    private max: number,
    scope: StatsScope,
    openName: string,
    remainingName: string,
    trackRemaining: boolean,
  ) {
    this.openGauge = scope.gauge(openName);
    this.remainingGauge = trackRemaining ? scope.gauge(remainingName) : undefined;
    this.publish();
  }

  canCreate(): boolean {
    return this.count < this.max;
  }

  inc(): void {
    this.count++;
    this.publish();
  }

  dec(): void {
    if (this.count > 0) this.count--;
    this.publish();
  }

  setMax(max: number): void {
    this.max = max;
    this.publish();
  }

  private publish(): void {
    this.openGauge.set(this.count >= this.max ? 1 : 0);
    this.remainingGauge?.set(Math.max(0, this.max - this.count));
  }
}

export class ResourceManager {
  readonly connections: Resource;
  readonly pendingRequests: Resource;
  readonly requests: Resource;
  readonly retries: Resource;

  constructor(thresholds: CircuitBreakerThresholds, scope: StatsScope) {
    const t = thresholds.trackRemaining;
    this.connections = new Resource(thresholds.maxConnections, scope, 'cx_open', 'remaining_cx', t);
    this.pendingRequests = new Resource(
      thresholds.maxPendingRequests,
      scope,
      'rq_pending_open',
      'remaining_pending',
      t,
    );
    this.requests = new Resource(thresholds.maxRequests, scope, 'rq_open', 'remaining_rq', t);
    this.retries = new Resource(thresholds.maxRetries, scope, 'rq_retry_open', 'remaining_retries', t);
  }

  update(thresholds: CircuitBreakerThresholds): void {
    this.connections.setMax(thresholds.maxConnections);
    this.pendingRequests.setMax(thresholds.maxPendingRequests);
    this.requests.setMax(thresholds.maxRequests);
    this.retries.setMax(thresholds.maxRetries);
  }
}
