/**
 * The router filter for one request (Envoy `Router::Filter`, envoyproxy/envoy
 * `source/common/router/router.cc`): picks the cluster, then for each attempt a host, sends the
 * request, and turns what comes back into the downstream response - retrying, timing out and
 * answering with Envoy's local replies as Envoy does. Every attempt's outcome is reported to the
 * host's outlier detector exactly as the router does (spec §1.2):
 * - pool ready -> `LocalOriginConnectSuccess` (ignored unless split mode);
 * - response headers -> `putHttpResponseCode(status)`, or the gRPC status mapped to HTTP for gRPC
 *   requests whose status arrived in the headers;
 * - any reset except `Overflow` -> `LocalOriginConnectFailed`;
 * - per-try or global timeout while waiting for headers -> `LocalOriginTimeout` with the timeout code.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock, Timer } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import type {
  RouteActionConfig,
  RouteConfigEntry,
  RouteConfiguration,
  VirtualHostConfig,
  WeightedClusterConfig,
} from '../config/route-config.js';
import {
  firstHeaderValue,
  forwardableResponseHeaders,
  hopByHopHeaders,
  isGrpcContentType,
  type OutgoingHeaders,
} from '../http/headers.js';
import { ResponseFlag } from '../http/response-flags.js';
import type { HeaderMap } from '../http/stream-info.js';
import type { UpstreamReset } from '../http/stream-reset-reason.js';
import type { ActiveStream } from '../hcm/active-stream.js';
import type { HcmStats } from '../hcm/hcm-stats.js';
import type { Cluster } from '../upstream/cluster.js';
import type { UpstreamRequestHead } from '../upstream/conn-pool/upstream-stream.js';
import type { LbContext } from '../upstream/lb/cluster-load-balancer.js';
import type { Resource } from '../upstream/resource-manager.js';
import { PreviousPrioritiesRetryPriority } from '../upstream/lb/previous-priorities.js';
import { grpcToHttpStatus, parseGrpcStatus } from './grpc-status.js';
import { applyHeaderMutationLayers, requestHeaderMutationLayers } from './header-mutation.js';
import { LocalReplyBody, ResponseCodeDetails } from './local-reply.js';
import { computePathRewrite } from './path-rewrite.js';
import { connectErrorToFailure, upstreamResetReply } from './reset-reason.js';
import {
  attemptCountHeader,
  createRetryState,
  retryDecisionFlag,
  type RetryCircuitBreaker,
  type RetryDecision,
  type RetryState,
} from './retry-state.js';
import {
  computeTimeouts,
  setTimeoutHeaders,
  type RouterTimeouts,
  type TimeoutOptions,
} from './router-timeouts.js';
import { UpstreamAttempt } from './upstream-attempt.js';
import { createLogger } from '../../core/logger.js';

const log = createLogger('router');

export interface RouterContext {
  readonly clock: Clock;
  readonly random: Random;
  readonly clusters: { get(name: string): Cluster | undefined };
  readonly hcmStats: HcmStats;
  readonly suppressEnvoyHeaders: boolean;
  /** Request bytes kept for retries (Envoy: the connection buffer limit); beyond it retries stop. */
  readonly retryBufferLimitBytes: number;
}

export interface RouteSelection {
  readonly routeConfig: RouteConfiguration;
  readonly vhost: VirtualHostConfig;
  readonly route: RouteConfigEntry;
  readonly action: RouteActionConfig;
}

export class RouterFilter {
  private cluster: Cluster | undefined;
  private retryState: RetryState | undefined;
  private retryPriority: PreviousPrioritiesRetryPriority | undefined;
  private timeouts: RouterTimeouts | undefined;
  private timeoutOptions: TimeoutOptions = { isGrpc: false };
  private attempt: UpstreamAttempt | undefined;
  private globalTimer: Timer | undefined;
  private backOffTimer: Timer | undefined;
  private requestCompleteMs: number | undefined;
  private readonly bufferedBody: Buffer[] = [];
  private bufferedBytes = 0;
  private isBodyComplete: boolean;
  private isBufferOverflowed = false;
  private isDone = false;
  private trailers: IncomingHttpHeaders | undefined;
  private readonly isGrpc: boolean;

  constructor(
    private readonly stream: ActiveStream,
    /** Request headers after the connection manager's mutations; becomes the upstream request. */
    private readonly headers: HeaderMap,
    private readonly selection: RouteSelection,
    private readonly ctx: RouterContext,
  ) {
    this.isBodyComplete = stream.downstream.isEndStream;
    this.isGrpc = stream.isGrpc;
  }

  run(): void {
    const { action, vhost, route, routeConfig } = this.selection;
    const info = this.stream.info;

    // Cluster selection: a plain cluster, a weighted pick (`random % total_weight`, config_impl.cc
    // `WeightedClusterEntry` selection) or a cluster named by a request header.
    let weighted: WeightedClusterConfig | undefined;
    let clusterName: string | undefined;
    const spec = action.cluster;
    if (spec.kind === 'cluster') clusterName = spec.name;
    else if (spec.kind === 'header') clusterName = this.headers.get(spec.header);
    else {
      const total = spec.totalWeight > 0 ? spec.totalWeight : spec.clusters.reduce((n, c) => n + c.weight, 0);
      let pick = total > 0 ? this.ctx.random.nextU32() % total : 0;
      for (const c of spec.clusters) {
        if (pick < c.weight) {
          weighted = c;
          clusterName = c.name;
          break;
        }
        pick -= c.weight;
      }
    }
    info.upstreamClusterName = clusterName;
    const cluster = clusterName === undefined ? undefined : this.ctx.clusters.get(clusterName);
    if (cluster === undefined) {
      // Envoy `Filter::decodeHeaders`: unknown cluster -> `cluster_not_found_response_code`, flag NC.
      this.ctx.hcmStats.no_cluster.inc();
      this.stream.sendLocalReply({
        status: action.clusterNotFoundResponseCode,
        body: '',
        details: 'cluster_not_found',
        flag: ResponseFlag.NoClusterFound,
      });
      return;
    }
    this.cluster = cluster;
    info.upstreamClusterAltStatName = cluster.config.statName;

    this.timeoutOptions = { isGrpc: this.isGrpc, suppressEnvoyHeaders: this.ctx.suppressEnvoyHeaders };
    const retryPolicy = action.retryPolicy ?? vhost.retryPolicy;
    this.timeouts = computeTimeouts(action, retryPolicy, this.headers, this.timeoutOptions);
    this.retryState = createRetryState({
      policy: retryPolicy,
      requestHeaders: this.headers,
      random: this.ctx.random,
      circuitBreaker: retryCircuitBreakerOf(cluster.resources.retries),
    });
    if (retryPolicy?.retryPriority !== undefined) {
      this.retryPriority = new PreviousPrioritiesRetryPriority(retryPolicy.retryPriority.updateFrequency);
    }

    // Path and host rewrites, then the route's request header mutations (`finalizeRequestHeaders`).
    const path = this.headers.get(':path') ?? '/';
    const rewrite = computePathRewrite(path, route, action, {
      suppressEnvoyHeaders: this.ctx.suppressEnvoyHeaders,
    });
    if (rewrite !== undefined) {
      this.headers.set(':path', rewrite.path);
      if (rewrite.originalPath !== undefined) this.headers.set('x-envoy-original-path', rewrite.originalPath);
    }
    if (action.hostRewriteLiteral !== undefined) this.headers.set(':authority', action.hostRewriteLiteral);
    applyHeaderMutationLayers(
      this.headers,
      requestHeaderMutationLayers(routeConfig, vhost, route, { weightedCluster: weighted }),
      info,
    );

    this.stream.onDownstreamReset(() => this.onDownstreamReset());
    if (!this.isBodyComplete) this.readRequestBody();
    else this.onRequestComplete();
    this.startAttempt();
  }

  private readRequestBody(): void {
    const body = this.stream.downstream.body;
    if (body === undefined) {
      this.isBodyComplete = true;
      this.onRequestComplete();
      return;
    }
    body.read({
      onData: (chunk: Buffer) => {
        if (this.isDone) return;
        this.stream.info.bytesReceived += chunk.length;
        if (!this.isBufferOverflowed) {
          if (this.bufferedBytes + chunk.length <= this.ctx.retryBufferLimitBytes) {
            this.bufferedBody.push(chunk);
            this.bufferedBytes += chunk.length;
          } else {
            // Envoy stops buffering and gives up on retries once the body exceeds the buffer limit.
            this.isBufferOverflowed = true;
            this.bufferedBody.length = 0;
            this.bufferedBytes = 0;
          }
        }
        const upstream = this.attempt?.stream;
        if (upstream !== undefined && !this.attempt?.isFinished) {
          if (!upstream.write(chunk)) {
            body.pause();
            upstream.onDrain(() => body.resume());
          }
        }
      },
      onEnd: () => {
        if (this.isDone) return;
        this.isBodyComplete = true;
        if (this.attempt !== undefined && !this.attempt.isFinished) this.attempt.stream?.end();
        this.onRequestComplete();
      },
    });
  }

  /** The downstream request is complete: the route timeout starts now (Envoy `onRequestComplete`). */
  private onRequestComplete(): void {
    this.requestCompleteMs = this.ctx.clock.monotonicMs();
    const timeoutMs = this.timeouts?.globalTimeoutMs ?? 0;
    if (timeoutMs > 0 && !this.isDone) {
      this.globalTimer = this.ctx.clock.setTimer(timeoutMs, () => this.onGlobalTimeout());
    }
  }

  private startAttempt(): void {
    const cluster = this.cluster;
    if (cluster === undefined || this.isDone) return;
    const info = this.stream.info;
    const retryState = this.retryState;
    const isRetry = retryState?.isRetry ?? false;
    // Retry predicates and the retry priority only apply to retries (Envoy's LoadBalancerContext).
    const lbContext: LbContext | undefined =
      isRetry && retryState !== undefined
        ? {
            shouldSelectAnotherHost: (host) => retryState.shouldSelectAnotherHost(host),
            hostSelectionRetryCount: () => retryState.hostSelectionMaxAttempts(),
            ...(this.retryPriority !== undefined
              ? {
                  determinePriorityLoad: (ps, original) =>
                    this.retryPriority!.determinePriorityLoad(ps, original),
                }
              : {}),
          }
        : undefined;
    const host = cluster.chooseHost(lbContext);
    if (host === undefined) {
      // Envoy `sendNoHealthyUpstreamResponse`.
      cluster.traffic.upstream_cx_none_healthy.inc();
      this.finish();
      this.stream.sendLocalReply({
        status: 503,
        body: LocalReplyBody.NoHealthyUpstream,
        details: ResponseCodeDetails.NoHealthyUpstream,
        flag: ResponseFlag.NoHealthyUpstream,
      });
      return;
    }
    retryState?.onHostAttempted(host);
    this.retryPriority?.onHostAttempted(host);
    info.upstreamHost = host;
    info.attemptCount = retryState?.attemptCount ?? 1;

    if (!cluster.resources.requests.canCreate()) {
      // Circuit breaker `max_requests`: the pool fails the request with reason Overflow (no outlier report).
      cluster.traffic.upstream_rq_pending_overflow.inc();
      this.onAttemptFailedBeforeHeaders({ reason: 'Overflow', cause: undefined }, undefined);
      return;
    }

    const attempt = new UpstreamAttempt(host, cluster, this.ctx.clock.monotonicMs(), this);
    this.attempt = attempt;
    if (this.selection.vhost.includeRequestAttemptCount)
      this.headers.set(attemptCountHeader, String(info.attemptCount));
    if (isRetry && this.timeouts !== undefined) {
      setTimeoutHeaders(
        this.timeouts,
        this.headers,
        this.requestCompleteMs === undefined ? 0 : this.ctx.clock.monotonicMs() - this.requestCompleteMs,
        this.timeoutOptions,
      );
    }
    const perTryMs = this.timeouts?.perTryTimeoutMs ?? 0;
    if (perTryMs > 0)
      attempt.perTryTimer = this.ctx.clock.setTimer(perTryMs, () => this.onPerTryTimeout(attempt));

    const head = this.buildUpstreamHead(host.hostname);
    const pool = cluster.connectionPool(host);
    // The attempt is the pool's response handler: it calls back into the `on*` methods below.
    attempt.stream = pool.newStream(head, attempt);
    if (!head.endStream) {
      for (const chunk of this.bufferedBody) attempt.stream.write(chunk);
      if (this.isBodyComplete) attempt.stream.end();
    }
  }

  private buildUpstreamHead(hostname: string): UpstreamRequestHead {
    const headers: OutgoingHeaders = {};
    for (const [name, value] of this.headers) {
      if (name.charCodeAt(0) === 58 /* ':' */ || hopByHopHeaders.has(name) || name === 'host') continue;
      headers[name] = value;
    }
    const authority =
      this.selection.action.autoHostRewrite && hostname !== ''
        ? hostname
        : (this.headers.get(':authority') ?? '');
    return {
      method: this.headers.get(':method') ?? 'GET',
      path: this.headers.get(':path') ?? '/',
      authority,
      scheme: this.headers.get(':scheme') ?? 'http',
      headers,
      endStream: this.isBodyComplete && this.bufferedBytes === 0 && this.stream.downstream.isEndStream,
    };
  }

  onPoolReady(attempt: UpstreamAttempt): void {
    if (attempt.isFinished) return;
    attempt.isRequestStarted = true;
    attempt.host.outlier?.putResult('LocalOriginConnectSuccess');
  }

  onUpstreamTrailers(attempt: UpstreamAttempt, trailers: IncomingHttpHeaders): void {
    if (attempt === this.attempt && !attempt.isFinished) this.trailers = trailers;
  }

  onUpstreamHeaders(
    attempt: UpstreamAttempt,
    status: number,
    raw: IncomingHttpHeaders,
    endStream: boolean,
  ): void {
    if (attempt !== this.attempt || attempt.isFinished || this.isDone) return;
    attempt.hasHeaders = true;
    const host = attempt.host;
    const cluster = attempt.cluster;
    // A map of the headers only when the gRPC status or a retry condition needs to read them.
    const responseHeaders = this.isGrpc || this.retryState !== undefined ? incomingHeaderMap(raw) : undefined;
    // Envoy `onUpstreamHeaders`: for gRPC requests a status in the headers (trailers-only) is what the
    // outlier detector sees, mapped to HTTP.
    const grpcStatus =
      this.isGrpc && responseHeaders !== undefined ? parseGrpcStatus(responseHeaders) : undefined;
    host.outlier?.putHttpResponseCode(grpcStatus !== undefined ? grpcToHttpStatus(grpcStatus) : status);
    if (status >= 500) host.stats.rq_error++;
    else host.stats.rq_success++;
    cluster.traffic.chargeResponseCode(status);
    this.stream.info.firstUpstreamRxMonotonicMs ??= this.ctx.clock.monotonicMs();

    if (this.retryState !== undefined && responseHeaders !== undefined && !this.isBufferOverflowed) {
      const decision = this.retryState.shouldRetryHeaders(status, responseHeaders);
      if (this.applyRetryDecision(decision)) {
        attempt.finish(true);
        return;
      }
    }
    this.retryState?.dispose();
    attempt.perTryTimer?.cancel();

    const out = forwardableResponseHeaders(raw);
    const serviceTimeMs = Math.round(this.ctx.clock.monotonicMs() - attempt.startMonotonicMs);
    if (!this.ctx.suppressEnvoyHeaders) out['x-envoy-upstream-service-time'] = String(serviceTimeMs);
    this.stream.info.upstreamServiceTimeMs = serviceTimeMs;
    if (this.selection.vhost.includeAttemptCountInResponse) {
      out[attemptCountHeader] = String(this.stream.info.attemptCount);
    }
    const contentType = firstHeaderValue(raw['content-type']);
    if (endStream) {
      this.stream.encodeHeaders(status, out, true);
      this.completeAttempt(attempt);
      return;
    }
    this.stream.encodeHeaders(status, out, false, isGrpcContentType(contentType));
  }

  onUpstreamData(attempt: UpstreamAttempt, chunk: Buffer): void {
    if (attempt !== this.attempt || attempt.isFinished || this.isDone) return;
    if (!this.stream.encodeData(chunk)) {
      attempt.stream?.pause();
      this.stream.onDrain(() => attempt.stream?.resume());
    }
  }

  onUpstreamEnd(attempt: UpstreamAttempt): void {
    if (attempt !== this.attempt || attempt.isFinished || this.isDone) return;
    let trailers: OutgoingHeaders | undefined;
    if (this.trailers !== undefined) trailers = forwardableResponseHeaders(this.trailers);
    this.stream.encodeEnd(trailers);
    this.completeAttempt(attempt);
  }

  private completeAttempt(attempt: UpstreamAttempt): void {
    const cluster = attempt.cluster;
    cluster.traffic.upstream_rq_completed.inc();
    cluster.traffic.upstream_rq_time.record(this.ctx.clock.monotonicMs() - attempt.startMonotonicMs);
    attempt.finish(false);
    this.finish();
  }

  onUpstreamReset(attempt: UpstreamAttempt, reset: UpstreamReset): void {
    if (attempt !== this.attempt || attempt.isFinished || this.isDone) return;
    const host = attempt.host;
    log.debug(
      {
        cluster: attempt.cluster.name,
        host: host.addressKey,
        reason: reset.reason,
        cause: reset.cause?.code,
        afterHeaders: attempt.hasHeaders,
        elapsedMs: Math.round(this.ctx.clock.monotonicMs() - attempt.startMonotonicMs),
      },
      'upstream reset',
    );
    if (reset.reason !== 'Overflow') host.outlier?.putResult('LocalOriginConnectFailed');
    host.stats.rq_error++;
    if (reset.reason === 'RemoteReset' || reset.reason === 'RemoteRefusedStreamReset') {
      attempt.cluster.traffic.upstream_rq_rx_reset.inc();
    }
    attempt.finish(false);
    if (attempt.hasHeaders) {
      // Reset after the response started: nothing to retry or reply; reset downstream too.
      const reply = upstreamResetReply(reset.reason, '', false, true);
      this.stream.info.responseFlags.add(reply.flag);
      this.stream.info.responseCodeDetails = reply.details;
      this.finish();
      this.stream.resetDownstream();
      return;
    }
    this.onAttemptFailedBeforeHeaders(reset, attempt);
  }

  /** A reset (or overflow) before response headers: retry, or answer with Envoy's reset local reply. */
  private onAttemptFailedBeforeHeaders(reset: UpstreamReset, attempt: UpstreamAttempt | undefined): void {
    let reason = reset.reason;
    let transportFailureReason = '';
    if (
      (reason === 'RemoteConnectionFailure' || reason === 'LocalConnectionFailure') &&
      reset.cause !== undefined
    ) {
      const host = attempt?.host;
      const failure = connectErrorToFailure(reset.cause, host?.address ?? '', host?.port ?? 0);
      reason = failure.reason;
      transportFailureReason = failure.transportFailureReason;
    }
    this.stream.info.upstreamTransportFailureReason = transportFailureReason;
    if (this.retryState !== undefined && !this.isBufferOverflowed) {
      const decision = this.retryState.shouldRetryReset(reason, attempt?.isRequestStarted ?? false);
      if (this.applyRetryDecision(decision)) return;
    }
    const reply = upstreamResetReply(reason, transportFailureReason, this.retryState?.isRetry ?? false);
    this.finish();
    this.stream.sendLocalReply({
      status: reply.status,
      body: reply.body,
      details: reply.details,
      flag: reply.flag,
      ...(reply.isDropped && !this.ctx.suppressEnvoyHeaders
        ? { headers: [['x-envoy-overloaded', 'true'] as const] }
        : {}),
    });
  }

  private onPerTryTimeout(attempt: UpstreamAttempt): void {
    if (attempt !== this.attempt || attempt.isFinished || this.isDone || attempt.hasHeaders) return;
    const code = this.timeouts?.timeoutResponseCode ?? 504;
    attempt.cluster.traffic.upstream_rq_per_try_timeout.inc();
    attempt.host.stats.rq_timeout++;
    attempt.host.outlier?.putResult('LocalOriginTimeout', code);
    attempt.finish(true);
    if (this.retryState !== undefined && !this.isBufferOverflowed) {
      const decision = this.retryState.shouldRetryPerTryTimeout(attempt.isRequestStarted);
      if (this.applyRetryDecision(decision)) return;
    }
    this.replyTimeout(code, ResponseCodeDetails.UpstreamPerTryTimeout);
  }

  private onGlobalTimeout(): void {
    if (this.isDone) return;
    const code = this.timeouts?.timeoutResponseCode ?? 504;
    const attempt = this.attempt;
    this.cluster?.traffic.upstream_rq_timeout.inc();
    this.ctx.hcmStats.downstream_rq_timeout.inc();
    if (attempt !== undefined && !attempt.isFinished) {
      if (!attempt.hasHeaders) {
        attempt.host.stats.rq_timeout++;
        attempt.host.outlier?.putResult('LocalOriginTimeout', code);
      }
      attempt.finish(true);
    }
    this.stream.info.responseFlags.add(ResponseFlag.UpstreamRequestTimeout);
    if (this.stream.isHeadersSent) {
      this.finish();
      this.stream.info.responseCodeDetails = ResponseCodeDetails.ResponseTimeout;
      this.stream.resetDownstream();
      return;
    }
    this.replyTimeout(code, ResponseCodeDetails.ResponseTimeout);
  }

  private replyTimeout(code: number, details: string): void {
    this.finish();
    this.stream.sendLocalReply({
      status: code,
      body: code === 504 ? LocalReplyBody.UpstreamRequestTimeout : '',
      details,
      flag: ResponseFlag.UpstreamRequestTimeout,
    });
  }

  /**
   * Applies a retry decision: bumps its stats, records URX/UO, and for `retry` schedules the next
   * attempt after the back-off. Returns true when a retry was scheduled.
   */
  private applyRetryDecision(decision: RetryDecision): boolean {
    const traffic = this.cluster?.traffic;
    if (traffic !== undefined) for (const stat of decision.stats) traffic[stat].inc();
    const flag = retryDecisionFlag(decision);
    if (flag !== undefined) this.stream.info.responseFlags.add(flag);
    if (decision.kind !== 'retry') return false;
    this.backOffTimer = this.ctx.clock.setTimer(decision.backOffMs, () => {
      this.backOffTimer = undefined;
      if (this.isDone) return;
      this.retryState?.beginRetry();
      this.startAttempt();
    });
    return true;
  }

  private onDownstreamReset(): void {
    if (this.isDone) return;
    this.attempt?.finish(true);
    this.finish();
  }

  private finish(): void {
    if (this.isDone) return;
    this.isDone = true;
    this.globalTimer?.cancel();
    this.backOffTimer?.cancel();
    this.retryState?.dispose();
  }
}

/** One adapter per circuit-breaker resource instead of three closures per request. */
const retryCircuitBreakers = new WeakMap<Resource, RetryCircuitBreaker>();

function retryCircuitBreakerOf(retries: Resource): RetryCircuitBreaker {
  let breaker = retryCircuitBreakers.get(retries);
  if (breaker === undefined) {
    breaker = {
      canRetry: () => retries.canCreate(),
      onRetryStarted: () => retries.inc(),
      onRetryFinished: () => retries.dec(),
    };
    retryCircuitBreakers.set(retries, breaker);
  }
  return breaker;
}

function incomingHeaderMap(raw: IncomingHttpHeaders): HeaderMap {
  const map: HeaderMap = new Map();
  for (const name in raw) {
    const v = raw[name];
    if (v !== undefined) map.set(name, Array.isArray(v) ? v.join(',') : v);
  }
  return map;
}
