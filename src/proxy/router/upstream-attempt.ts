/**
 * One try of a routed request against one host (Envoy's `UpstreamRequest`): owns the pool stream,
 * the per-try timer and the host/cluster accounting that must be undone exactly once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Timer } from '../../core/clock.js';
import type { UpstreamReset } from '../http/stream-reset-reason.js';
import type { UpstreamResponseHandler, UpstreamStream } from '../upstream/conn-pool/upstream-stream.js';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';

/** Who hears what happens to an attempt (the router filter). */
export interface AttemptOwner {
  onPoolReady(attempt: UpstreamAttempt): void;
  onUpstreamHeaders(
    attempt: UpstreamAttempt,
    status: number,
    headers: IncomingHttpHeaders,
    endStream: boolean,
  ): void;
  onUpstreamData(attempt: UpstreamAttempt, chunk: Buffer): void;
  onUpstreamTrailers(attempt: UpstreamAttempt, trailers: IncomingHttpHeaders): void;
  onUpstreamEnd(attempt: UpstreamAttempt): void;
  onUpstreamReset(attempt: UpstreamAttempt, reset: UpstreamReset): void;
}

/**
 * The attempt is also the pool's response handler, forwarding each event with itself to its owner
 * (one object per attempt instead of a handler object and six closures).
 */
export class UpstreamAttempt implements UpstreamResponseHandler {
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
    private readonly owner: AttemptOwner,
  ) {
    host.activeRequests++;
    host.stats.rq_active++;
    host.stats.rq_total++;
    cluster.traffic.upstream_rq_total.inc();
    cluster.traffic.upstream_rq_active.inc();
    cluster.resources.requests.inc();
  }

  onPoolReady(): void {
    this.owner.onPoolReady(this);
  }

  onHeaders(status: number, headers: IncomingHttpHeaders, endStream: boolean): void {
    this.owner.onUpstreamHeaders(this, status, headers, endStream);
  }

  onData(chunk: Buffer): void {
    this.owner.onUpstreamData(this, chunk);
  }

  onTrailers(trailers: IncomingHttpHeaders): void {
    this.owner.onUpstreamTrailers(this, trailers);
  }

  onEnd(): void {
    this.owner.onUpstreamEnd(this);
  }

  onReset(reset: UpstreamReset): void {
    this.owner.onUpstreamReset(this, reset);
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
