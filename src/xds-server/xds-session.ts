/**
 * What the two protocol variants (state of the world, incremental) share: the per-type status the
 * server reports, the events a session raises, the response it hands to its stream, and the
 * convergence clock. A session is pure protocol state - it never touches gRPC - so it is tested
 * with plain calls and a fake clock.
 */
import type { Clock } from '../core/clock.js';
import { xdsPushOrder } from '../envoy/xds-resource.js';
import type { ProxyResources, ResourceChanges } from './resource-store.js';

export type XdsProtocol = 'sotw' | 'delta';

/** What a request turned out to be. */
export type RequestKind = 'initial' | 'ack' | 'nack' | 'stale' | 'subscription';

/** A rejected response. */
export interface NackRecord {
  readonly nonce: string;
  /** The version the client rejected. */
  readonly rejectedVersion: string;
  /** The version the client says it still runs (SotW `version_info`; empty in delta). */
  readonly clientVersion: string;
  readonly code: number;
  readonly message: string;
  readonly atWallMs: number;
}

/** One type of one stream, as `connectedProxies()` reports it. */
export interface XdsTypeStatus {
  readonly typeUrl: string;
  readonly subscription: { readonly wildcard: boolean; readonly names: readonly string[] };
  /** Version of the last response sent (SotW `version_info`, delta `system_version_info`). */
  readonly versionSent: string | undefined;
  readonly nonceSent: string | undefined;
  readonly sentAtWallMs: number | undefined;
  /** Resources in the last response (and names removed by it, delta only). */
  readonly resourcesSent: number;
  readonly removedSent: number;
  /** The last version the client ACKed (or, on a new stream, said it had). */
  readonly versionAcked: string | undefined;
  readonly ackedAtWallMs: number | undefined;
  /** Responses sent on this stream for this type. */
  readonly pushes: number;
  readonly nackCount: number;
  readonly lastNack: NackRecord | undefined;
  /** True while the latest answered response was NACKed (cleared by the next ACK). */
  readonly isNacked: boolean;
}

export interface SessionEvents {
  onAck(typeUrl: string, version: string, nonce: string): void;
  onNack(typeUrl: string, nack: NackRecord): void;
  onStaleNonce(typeUrl: string, nonce: string): void;
  /** Every type pushed since a change was ACKed: milliseconds since that change. */
  onConverged(durationMs: number): void;
}

/** One encoded response, ready for the stream. */
export interface PendingResponse {
  readonly typeUrl: string;
  readonly bytes: Buffer;
  readonly nonce: string;
  readonly version: string;
  readonly resourceCount: number;
  readonly removedCount: number;
}

export interface SessionOptions {
  readonly clock: Clock;
  readonly events: SessionEvents;
  /** A nonce unique on this stream (the server uses connection id + counter). */
  readonly nextNonce: () => string;
}

/** The protocol-neutral face of a session, as the connection drives it. */
export interface XdsSession {
  readonly protocol: XdsProtocol;
  /** The proxy's set; nothing is answered before it is ready. */
  attach(resources: ProxyResources): void;
  /** The control plane changed the proxy's set. */
  resourcesChanged(changes: ResourceChanges): void;
  /** The next response to send, in push order, or undefined if nothing is due. */
  nextResponse(): PendingResponse | undefined;
  typeStatuses(): XdsTypeStatus[];
}

/**
 * The order types are answered in: Envoy's ADS make-before-break order (CDS, EDS, LDS, RDS;
 * xDS protocol doc, "Eventual consistency considerations"), then any other type by first request.
 */
export function orderedTypes(requested: Iterable<string>): string[] {
  const known = new Set<string>(xdsPushOrder);
  return [...xdsPushOrder, ...[...requested].filter((t) => !known.has(t))];
}

/**
 * Time from a set change to the moment every type pushed because of it is ACKed with its latest
 * nonce (`pilot_proxy_convergence_time`). The clock starts at the first change not yet converged;
 * a NACK abandons the measurement (that proxy did not converge), and a change that needed no
 * response on this stream measures nothing.
 */
export class ConvergenceTracker {
  private sinceMs: number | undefined;
  private readonly awaiting = new Map<string, string>();
  private hasAck = false;

  constructor(private readonly clock: Clock) {}

  changed(): void {
    this.sinceMs ??= this.clock.monotonicMs();
  }

  sent(typeUrl: string, nonce: string): void {
    if (this.sinceMs !== undefined) this.awaiting.set(typeUrl, nonce);
  }

  /** Returns the convergence time if this ACK completed it (nothing else awaited or pending). */
  acked(typeUrl: string, nonce: string, hasPending: boolean): number | undefined {
    if (this.awaiting.get(typeUrl) !== nonce) return undefined;
    this.awaiting.delete(typeUrl);
    this.hasAck = true;
    return hasPending ? undefined : this.finish();
  }

  nacked(): void {
    this.sinceMs = undefined;
    this.hasAck = false;
    this.awaiting.clear();
  }

  /**
   * Nothing is left to send. Returns the convergence time if every response was ACKed; a change
   * that needed no response on this stream measures nothing.
   */
  idle(): number | undefined {
    return this.finish();
  }

  private finish(): number | undefined {
    if (this.awaiting.size > 0 || this.sinceMs === undefined) return undefined;
    const duration = this.hasAck ? this.clock.monotonicMs() - this.sinceMs : undefined;
    this.sinceMs = undefined;
    this.hasAck = false;
    return duration;
  }
}
