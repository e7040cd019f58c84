/**
 * One ADS stream (state of the world or delta) on the gRPC side: decodes requests, admits the
 * proxy on its first request, feeds the session, and writes the session's responses with
 * backpressure - at most a few responses in flight, the rest left pending in the session, which
 * builds each response from the *latest* set when the stream can take it. A slow client therefore
 * never holds a queue of stale versions, and never slows any other stream.
 *
 * Anything wrong with what the peer sends (bytes that are not a request, no node, a refused node)
 * ends this stream only, with a gRPC status naming the problem.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { DeltaSession } from './delta-session.js';
import {
  decodeDeltaDiscoveryRequest,
  decodeDiscoveryRequest,
  XdsProtocolError,
  type DeltaDiscoveryRequestMessage,
  type DiscoveryRequestMessage,
} from './discovery-wire.js';
import type { ResourceNamesCache } from './discovery-request-scan.js';
import type { BudgetHold, SendBudget } from './send-budget.js';
import type { ProxyResources, ResourceChanges } from './resource-store.js';
import { SotwSession } from './sotw-session.js';
import { metricType, type XdsMetrics } from './xds-metrics.js';
import { parseXdsNode, type XdsNode } from './xds-node.js';
import type { NackRecord, PendingResponse, SessionEvents, XdsProtocol } from './xds-session.js';

/** A refusal with the gRPC status to end the stream with. */
export class StreamRefusedError extends Error {
  override readonly name = 'StreamRefusedError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: XdsMetrics;
  readonly maxInFlight: number;
  /** Names lists already decoded (shared by every stream of the server). */
  readonly namesCache: ResourceNamesCache;
  /** Response bytes the whole server may have in flight. */
  readonly sendBudget: SendBudget;
  /** Admits the stream's proxy (onProxyConnected); resolves with its set or rejects with a refusal. */
  admit(connection: AdsConnection): Promise<ProxyResources>;
  /** The stream ended (called once, also for streams never admitted). */
  detach(connection: AdsConnection): void;
  onPush(connection: AdsConnection, response: PendingResponse): void;
  onAck(connection: AdsConnection, typeUrl: string, version: string, nonce: string): void;
  onNack(connection: AdsConnection, typeUrl: string, nack: NackRecord): void;
}

type Call = ServerDuplexStream<Buffer, Buffer>;
type Request = DiscoveryRequestMessage | DeltaDiscoveryRequestMessage;

export class AdsConnection {
  readonly session: SotwSession | DeltaSession;
  readonly connectedAtWallMs: number;
  readonly peer: string;
  node: XdsNode | undefined;
  proxyKey: string | undefined;
  private isAdmitted = false;
  private isClosed = false;
  private readonly queued: Request[] = [];
  private inFlight = 0;
  private isFlushScheduled = false;
  private nonceCounter = 0;
  /** This stream's responses in flight, as counted in the server's send budget. */
  private readonly holds = new Set<BudgetHold>();
  private readonly wake = (): void => this.flush();

  constructor(
    private readonly host: ConnectionHost,
    private readonly call: Call,
    readonly protocol: XdsProtocol,
    /** Unique within the server process; part of the connection id and of every nonce. */
    readonly sequence: number,
  ) {
    this.connectedAtWallMs = host.clock.wallMs();
    this.peer = call.getPeer();
    const events: SessionEvents = {
      onAck: (typeUrl, version, nonce) => host.onAck(this, typeUrl, version, nonce),
      onNack: (typeUrl, nack) => host.onNack(this, typeUrl, nack),
      onStaleNonce: (typeUrl, nonce) => {
        host.metrics.expiredNonce.with({ type: metricType(typeUrl) }).inc();
        host.log.debug({ connection: this.id, typeUrl, nonce }, 'ADS request with an expired nonce ignored');
      },
      onConverged: (durationMs) => host.metrics.convergenceTime.observe(durationMs / 1000),
    };
    const options = { clock: host.clock, events, nextNonce: () => `${this.sequence}-${++this.nonceCounter}` };
    this.session = protocol === 'sotw' ? new SotwSession(options) : new DeltaSession(options);
  }

  /** Istio's connection id form: node id and a server-wide counter. */
  get id(): string {
    return `${this.node?.id ?? 'unidentified'}-${this.sequence}`;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  start(): void {
    this.call.on('data', (chunk: Buffer) => this.onData(chunk));
    this.call.on('end', () => {
      // The client half-closed: finish our side with OK.
      if (!this.isClosed) this.call.end();
      this.close();
    });
    this.call.on('cancelled', () => this.close());
    this.call.on('error', (err: Error) => {
      this.host.log.debug({ connection: this.id, err: err.message }, 'ADS stream error');
      this.close();
    });
    this.call.on('close', () => this.close());
  }

  /** The proxy's set changed. */
  resourcesChanged(changes: ResourceChanges): void {
    if (!this.isAdmitted || this.isClosed) return;
    this.session.resourcesChanged(changes);
    this.scheduleFlush();
  }

  /** Ends the stream with a status (server shutdown, refusal). */
  end(code: GrpcStatus, message: string): void {
    if (this.isClosed) return;
    this.call.emit('error', Object.assign(new Error(message), { code, details: message }));
    this.close();
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    let request: Request;
    try {
      request =
        this.protocol === 'sotw'
          ? decodeDiscoveryRequest(chunk, this.host.namesCache)
          : decodeDeltaDiscoveryRequest(chunk);
    } catch (err) {
      this.refuse(GrpcStatus.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.isAdmitted) {
      this.process(request);
      return;
    }
    if (this.node !== undefined) {
      // Admission in progress: keep the order of requests.
      this.queued.push(request);
      return;
    }
    const node = parseXdsNode(request.node);
    if ('problem' in node) {
      this.refuse(GrpcStatus.INVALID_ARGUMENT, node.problem);
      return;
    }
    this.node = node;
    this.queued.push(request);
    this.host.admit(this).then(
      (resources) => {
        if (this.isClosed) return;
        this.session.attach(resources);
        this.isAdmitted = true;
        for (const queued of this.queued.splice(0)) this.process(queued);
      },
      (err: unknown) => {
        if (err instanceof StreamRefusedError) this.refuse(err.code, err.message);
        else this.refuse(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
      },
    );
  }

  private process(request: Request): void {
    if (this.isClosed) return;
    try {
      const kind =
        this.session instanceof SotwSession
          ? this.session.handleRequest(request as DiscoveryRequestMessage)
          : this.session.handleRequest(request as DeltaDiscoveryRequestMessage);
      this.host.log.debug({ connection: this.id, typeUrl: request.typeUrl, kind }, 'ADS request');
    } catch (err) {
      if (err instanceof XdsProtocolError) {
        this.refuse(GrpcStatus.INVALID_ARGUMENT, err.message);
        return;
      }
      this.host.metrics.internalErrors.inc();
      this.host.log.error({ connection: this.id, err }, 'ADS request failed');
      this.refuse(GrpcStatus.INTERNAL, 'internal error handling the request');
      return;
    }
    this.scheduleFlush();
  }

  private refuse(code: GrpcStatus, message: string): void {
    if (this.isClosed) return;
    this.host.log.warn(
      { connection: this.id, peer: this.peer, code: GrpcStatus[code], reason: message },
      'ADS stream refused',
    );
    this.end(code, message);
  }

  private scheduleFlush(): void {
    if (this.isFlushScheduled || this.isClosed) return;
    this.isFlushScheduled = true;
    queueMicrotask(() => {
      this.isFlushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (!this.isClosed && this.inFlight < this.host.maxInFlight) {
      if (!this.host.sendBudget.hasRoom()) {
        this.host.sendBudget.wait(this.wake);
        return;
      }
      let response: PendingResponse | undefined;
      try {
        response = this.session.nextResponse();
      } catch (err) {
        this.host.metrics.internalErrors.inc();
        this.host.log.error({ connection: this.id, err }, 'building an ADS response failed');
        this.end(GrpcStatus.INTERNAL, 'internal error building a response');
        return;
      }
      if (response === undefined) return;
      this.send(response);
    }
  }

  private send(response: PendingResponse): void {
    const startMs = this.host.clock.monotonicMs();
    this.inFlight++;
    const hold = this.host.sendBudget.hold(response.bytes.length);
    this.holds.add(hold);
    this.host.onPush(this, response);
    this.call.write(response.bytes, (err?: Error | null) => {
      this.inFlight--;
      this.holds.delete(hold);
      hold.release();
      this.host.metrics.sendTime.observe((this.host.clock.monotonicMs() - startMs) / 1000);
      const type = metricType(response.typeUrl);
      if (err !== undefined && err !== null) {
        this.host.metrics.pushes.with({ type: `${type}_senderr` }).inc();
        this.host.log.warn(
          { connection: this.id, typeUrl: response.typeUrl, err: err.message },
          'ADS send failed',
        );
        return;
      }
      this.host.metrics.pushes.with({ type }).inc();
      this.scheduleFlush();
    });
  }

  private close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // gRPC never calls back the writes of a cancelled stream: give their bytes back now.
    this.host.sendBudget.cancel(this.wake);
    for (const hold of this.holds) hold.release();
    this.holds.clear();
    this.queued.length = 0;
    this.host.detach(this);
  }
}
