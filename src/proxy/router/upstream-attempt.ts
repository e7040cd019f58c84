/**
 * One try of a routed request against one host (Envoy's `UpstreamRequest`): owns the pool stream,
 * the per-try timer and the host/cluster accounting that must be undone exactly once.
 */
import type { Timer } from '../../core/clock.js';
import type { UpstreamStream } from '../upstream/conn-pool/upstream-stream.js';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';

export class UpstreamAttempt {
  stream: UpstreamStream | undefined;
  perTryTimer: Timer | undefined;
  /** Response headers arrived from this attempt. */
  hasHeaders = false;
  /** Request bytes went out on a connection (Envoy: the pool became ready). */
  isRequestStarted = false;
  private isDone = false;

  constructor(
    readonly host: Host,
    readonly cluster: Cluster,
    readonly startMonotonicMs: number,
  ) {
    host.activeRequests++;
    host.stats.rq_active++;
    host.stats.rq_total++;
    cluster.traffic.upstream_rq_total.inc();
    cluster.traffic.upstream_rq_active.inc();
    cluster.resources.requests.inc();
  }

  get isFinished(): boolean {
    return this.isDone;
  }

  /** Releases the accounting; with `reset` also abandons the upstream stream. Idempotent. */
  finish(reset: boolean): void {
    if (this.isDone) return;
    this.isDone = true;
    this.perTryTimer?.cancel();
    this.perTryTimer = undefined;
    if (reset) this.stream?.reset();
    this.host.activeRequests--;
    this.host.stats.rq_active--;
    this.cluster.traffic.upstream_rq_active.dec();
    this.cluster.resources.requests.dec();
  }
}
