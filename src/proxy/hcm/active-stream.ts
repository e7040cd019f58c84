/**
 * The encoder side of one downstream request (Envoy's `ActiveStream` + its encoder filter chain, reduced
 * to what we run): everything sent downstream passes through here, so response headers common to all
 * responses (`server`, route `response_headers_to_add`), StreamInfo bookkeeping, stats and the access
 * log at the end live in one place.
 */
import type { Clock } from '../../core/clock.js';
import type { AccessLogger } from '../access-log/access-logger.js';
import type { HttpConnectionManagerConfig } from '../config/listener-config.js';
import type { DownstreamStream } from '../http/downstream-stream.js';
import type { OutgoingHeaders } from '../http/headers.js';
import { ResponseFlag, type ResponseFlagCode } from '../http/response-flags.js';
import type { HeaderMap, StreamInfo } from '../http/stream-info.js';
import { buildLocalReply } from '../router/local-reply.js';
import { applyHeaderMutationLayers, type HeaderMutationLayer } from '../router/header-mutation.js';
import type { HcmStats } from './hcm-stats.js';

export interface LocalReplyRequest {
  readonly status: number;
  readonly body: string;
  readonly details: string;
  readonly flag?: ResponseFlagCode | undefined;
  readonly grpcStatus?: number | undefined;
  /** Extra headers, e.g. `x-envoy-overloaded`. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

export class ActiveStream {
  private responseLayers: readonly HeaderMutationLayer[] = [];
  /** Encoder filters that see every response's headers first (Istio's peer metadata filter). */
  private encodeHeadersHook: ((headers: OutgoingHeaders) => void) | undefined;
  private downstreamResetCallbacks: Array<() => void> = [];
  private isResponseComplete = false;
  readonly isGrpc: boolean;
  readonly isHead: boolean;

  constructor(
    readonly downstream: DownstreamStream,
    readonly info: StreamInfo,
    private readonly config: HttpConnectionManagerConfig,
    private readonly clock: Clock,
    private readonly stats: HcmStats,
    private readonly accessLoggers: readonly AccessLogger[],
    onDone: () => void,
  ) {
    const contentType = downstream.headers.get('content-type');
    // `application/grpc` or `application/grpc+<codec>` (Envoy `Grpc::Common::isGrpcRequestHeaders`),
    // checked without a regular expression: this runs for every request (0x2b is '+').
    this.isGrpc =
      contentType !== undefined &&
      contentType.startsWith('application/grpc') &&
      (contentType.length === 16 || contentType.charCodeAt(16) === 0x2b);
    this.isHead = downstream.headers.get(':method') === 'HEAD';
    info.isGrpc = this.isGrpc;
    downstream.onClose((completed) => {
      info.endMonotonicMs = this.clock.monotonicMs();
      this.stats.downstream_rq_active.dec();
      if (!completed && !this.isResponseComplete) {
        // The client went away (or the stream was reset) before the response was complete.
        info.downstreamTerminated = true;
        info.responseFlags.add(ResponseFlag.DownstreamConnectionTermination);
        this.stats.downstream_rq_rx_reset.inc();
        const cbs = this.downstreamResetCallbacks;
        this.downstreamResetCallbacks = [];
        for (const cb of cbs) cb();
      } else {
        this.stats.downstream_rq_completed.inc();
      }
      for (const logger of this.accessLoggers) logger.log(info);
      onDone();
    });
  }

  /** Route-level `response_headers_to_add`/`_to_remove`, applied to every response from now on. */
  setResponseHeaderMutations(layers: readonly HeaderMutationLayer[]): void {
    this.responseLayers = layers;
  }

  /** Installs the encoder-side hook run on every response's headers before they are sent. */
  setEncodeHeadersHook(hook: (headers: OutgoingHeaders) => void): void {
    this.encodeHeadersHook = hook;
  }

  /** Called if the downstream goes away before the response completes. */
  onDownstreamReset(cb: () => void): void {
    this.downstreamResetCallbacks.push(cb);
  }

  get isHeadersSent(): boolean {
    return this.downstream.isHeadersSent;
  }

  get isClosed(): boolean {
    return this.downstream.isClosed;
  }

  /** Sends response headers (from upstream or a local reply). */
  encodeHeaders(status: number, headers: OutgoingHeaders, endStream: boolean, expectTrailers = false): void {
    if (this.downstream.isClosed || this.downstream.isHeadersSent) return;
    const info = this.info;
    this.encodeHeadersHook?.(headers);
    this.applyCommonResponseHeaders(headers);
    info.responseCode = status;
    if (info.responseCodeDetails === '') info.responseCodeDetails = 'via_upstream';
    info.responseHeaders = headers;
    if (this.isGrpc) {
      const grpc = headers['grpc-status'];
      if (grpc !== undefined) info.grpcStatus = Number(grpc);
    }
    this.stats.chargeResponseCode(status);
    if (endStream) this.isResponseComplete = true;
    this.downstream.respond(status, headers, endStream, expectTrailers);
  }

  encodeData(chunk: Buffer): boolean {
    this.info.bytesSent += chunk.length;
    return this.downstream.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.downstream.onDrain(cb);
  }

  encodeEnd(trailers?: OutgoingHeaders): void {
    if (trailers !== undefined) {
      this.info.responseTrailers = trailers;
      const grpc = trailers['grpc-status'];
      if (grpc !== undefined) this.info.grpcStatus = Number(grpc);
    }
    this.isResponseComplete = true;
    this.downstream.end(trailers);
  }

  /** Aborts a response that already started (Envoy resets the downstream stream). */
  resetDownstream(): void {
    this.stats.downstream_rq_tx_reset.inc();
    this.downstream.reset();
  }

  /**
   * Envoy's `sendLocalReply`: text/plain (or a gRPC trailers-only reply for gRPC requests), with the
   * response code details and flag recorded for access logs.
   */
  sendLocalReply(request: LocalReplyRequest): void {
    if (request.flag !== undefined) this.info.responseFlags.add(request.flag);
    if (this.downstream.isHeadersSent) {
      // Too late for a reply: the only option left is to reset.
      this.info.responseCodeDetails = request.details;
      this.resetDownstream();
      return;
    }
    const reply = buildLocalReply({
      status: request.status,
      body: request.body,
      isGrpc: this.isGrpc,
      isHeadRequest: this.isHead,
      details: request.details,
      ...(request.grpcStatus !== undefined ? { grpcStatus: request.grpcStatus } : {}),
      ...(request.headers !== undefined ? { headers: request.headers } : {}),
    });
    this.info.responseCodeDetails = reply.details;
    this.info.localReplyBody = request.body;
    const headers: OutgoingHeaders = {};
    for (const [name, value] of reply.headers) headers[name] = value;
    const body = reply.body === '' ? undefined : Buffer.from(reply.body, 'utf8');
    this.encodeHeaders(reply.status, headers, body === undefined);
    if (body !== undefined) {
      this.encodeData(body);
      this.encodeEnd();
    }
  }

  private applyCommonResponseHeaders(headers: OutgoingHeaders): void {
    // Envoy `ConnectionManagerUtility::mutateResponseHeaders` + `server_header_transformation`.
    switch (this.config.serverHeaderTransformation) {
      case 'OVERWRITE':
        headers['server'] = this.config.serverName;
        break;
      case 'APPEND_IF_ABSENT':
        if (headers['server'] === undefined) headers['server'] = this.config.serverName;
        break;
      case 'PASS_THROUGH':
        break;
    }
    if (this.config.via !== '') {
      const existing = headers['via'];
      headers['via'] = existing === undefined ? this.config.via : `${String(existing)}, ${this.config.via}`;
    }
    if (
      this.responseLayers.length > 0 &&
      this.responseLayers.some((l) => l.toAdd.length > 0 || l.toRemove.length > 0)
    ) {
      const map: HeaderMap = new Map();
      for (const name in headers) {
        const v = headers[name];
        if (v !== undefined) map.set(name, Array.isArray(v) ? v.join(',') : String(v));
      }
      applyHeaderMutationLayers(map, this.responseLayers, {
        downstreamRemoteAddress: this.info.downstreamRemoteAddress,
        downstreamLocalAddress: this.info.downstreamLocalAddress,
        protocol: this.info.protocol,
        routeName: this.info.routeName,
        requestHeadersForResponse: this.info.requestHeaders,
      });
      for (const name of Object.keys(headers)) if (!map.has(name)) delete headers[name];
      for (const [name, value] of map) headers[name] = value;
    }
  }
}
