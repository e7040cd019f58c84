/**
 * Envoy's HTTP connection manager for one listener: per request it normalises the request headers
 * (`ConnectionManagerUtility::mutateRequestHeaders`), picks the virtual host and route, runs the HTTP
 * filters in order (fault injection, then the router) and hands the response side to `ActiveStream`.
 * The route configuration can be swapped at any time; requests in flight keep the one they started with.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { createAccessLogger, type AccessLogger } from '../access-log/access-logger.js';
import type { FaultConfig } from '../config/filter-config.js';
import type { HttpConnectionManagerConfig } from '../config/listener-config.js';
import type { RouteConfiguration } from '../config/route-config.js';
import {
  decideFault,
  effectiveFaultConfig,
  FAULT_ABORT_BODY,
  FAULT_ABORT_RESPONSE_CODE_DETAILS,
} from '../filters/fault-decision.js';
import type { DownstreamStream } from '../http/downstream-stream.js';
import { ResponseFlag } from '../http/response-flags.js';
import { StreamInfo } from '../http/stream-info.js';
import { responseHeaderMutationLayers } from '../router/header-mutation.js';
import { compiledRouteTableFor } from '../router/route-matcher.js';
import { RouterFilter, type RouteSelection, type RouterContext } from '../router/router-filter.js';
import { virtualHostTableFor } from '../router/virtual-host-selector.js';
import { IstioStatsFilter } from '../filters/istio-stats-filter.js';
import { PeerMetadataFilter, type PeerExchangeState } from '../filters/peer-metadata-filter.js';
import { workloadPeerOf } from '../filters/workload-peer.js';
import type { StatsScope } from '../stats/stats-store.js';
import type { Cluster } from '../upstream/cluster.js';
import { ActiveStream } from './active-stream.js';
import { HcmStats } from './hcm-stats.js';

export interface HcmDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly clusters: { get(name: string): Cluster | undefined };
  /** Root stats scope; the manager uses `http.<stat_prefix>.`. */
  readonly stats: StatsScope;
  /** Per-connection buffer limit of the listener (bounds the body kept for retries). */
  readonly bufferLimitBytes: number;
  /** The bootstrap node: the Istio filters' local identity (`metadata`) and MX id. */
  readonly node: { readonly id: string; readonly metadata: Readonly<Record<string, unknown>> };
}

interface FaultStats {
  readonly delays: ReturnType<StatsScope['counter']>;
  readonly aborts: ReturnType<StatsScope['counter']>;
  readonly overflow: ReturnType<StatsScope['counter']>;
  readonly active: ReturnType<StatsScope['gauge']>;
}

export class HttpConnectionManager {
  readonly stats: HcmStats;
  private readonly accessLoggers: AccessLogger[];
  private routeConfig: RouteConfiguration | undefined;
  private readonly faultStats: FaultStats;
  /** What every router filter of this manager shares (built once, not per request). */
  private readonly routerContext: RouterContext;
  private readonly peerFilters: PeerMetadataFilter[] = [];
  private readonly istioStats: IstioStatsFilter[] = [];

  constructor(
    readonly config: HttpConnectionManagerConfig,
    private readonly deps: HcmDeps,
  ) {
    const scope = deps.stats.scope('http').scope(config.statPrefix, 'http_conn_manager_prefix');
    this.stats = new HcmStats(scope);
    this.accessLoggers = config.accessLogs.map((c) => createAccessLogger(c));
    this.routeConfig = config.routeConfig;
    const fault = scope.scope('fault');
    this.faultStats = {
      delays: fault.counter('delays_injected'),
      aborts: fault.counter('aborts_injected'),
      overflow: fault.counter('faults_overflow'),
      active: fault.gauge('active_faults'),
    };
    this.routerContext = {
      clock: deps.clock,
      random: deps.random,
      clusters: deps.clusters,
      hcmStats: this.stats,
      suppressEnvoyHeaders: config.suppressEnvoyHeaders,
      retryBufferLimitBytes: deps.bufferLimitBytes,
    };
    const local = workloadPeerOf(deps.node.metadata);
    const istioVersion = deps.node.metadata['ISTIO_VERSION'];
    for (const filter of config.httpFilters) {
      if (filter.kind === 'peer_metadata')
        this.peerFilters.push(new PeerMetadataFilter(filter.config, local, deps.node.id));
      else if (filter.kind === 'istio_stats')
        this.istioStats.push(
          new IstioStatsFilter(
            filter.config,
            config.trafficDirection === 'INBOUND' ? 'destination' : 'source',
            local,
            deps.stats.store,
            typeof istioVersion === 'string' ? istioVersion : '',
          ),
        );
    }
  }

  /** Installs a new route configuration (RDS or a config swap). */
  setRouteConfig(routeConfig: RouteConfiguration): void {
    this.routeConfig = routeConfig;
  }

  currentRouteConfig(): RouteConfiguration | undefined {
    return this.routeConfig;
  }

  async close(): Promise<void> {
    await Promise.all(this.accessLoggers.map((l) => l.close()));
  }

  /** Handles one downstream request. Never throws: failures become local replies. */
  handle(downstream: DownstreamStream): void {
    const { clock } = this.deps;
    const info = new StreamInfo(clock.wallMs(), clock.monotonicMs(), downstream.protocol);
    info.downstreamRemoteAddress = downstream.remoteAddress;
    info.downstreamLocalAddress = downstream.localAddress;
    this.stats.downstream_rq_total.inc();
    (downstream.protocol === 'HTTP/2'
      ? this.stats.downstream_rq_http2_total
      : this.stats.downstream_rq_http1_total
    ).inc();
    this.stats.downstream_rq_active.inc();
    const headers = downstream.headers;
    this.mutateRequestHeaders(downstream);
    info.requestHeaders = headers;
    info.requestId = headers.get('x-request-id') ?? '';
    let peers: PeerExchangeState | undefined;
    if (this.peerFilters.length > 0 || this.istioStats.length > 0) {
      peers = {
        downstreamPeer: undefined,
        upstreamPeer: undefined,
        requestHadPeer: false,
        requestHadPeerId: false,
      };
    }
    const stream = new ActiveStream(
      downstream,
      info,
      this.config,
      clock,
      this.stats,
      this.accessLoggers,
      this.istioStats.length === 0 ? noop : () => this.recordIstioStats(info, peers),
    );
    if (peers !== undefined && this.peerFilters.length > 0) {
      // Envoy runs the decoder filters before the router resolves the route; the MX filter is first.
      const state = peers;
      for (const filter of this.peerFilters) filter.onRequestHeaders(headers, state);
      stream.setEncodeHeadersHook((responseHeaders) => {
        for (const filter of this.peerFilters) filter.onResponseHeaders(responseHeaders, state);
      });
    }

    const routeConfig = this.routeConfig;
    const vhost =
      routeConfig === undefined
        ? undefined
        : virtualHostTableFor(routeConfig).select(headers.get(':authority'));
    const route = vhost === undefined ? undefined : compiledRouteTableFor(vhost).match(headers);
    if (routeConfig === undefined || vhost === undefined || route === undefined) {
      // Envoy: no route -> 404 with flag NR and an empty body (`route_not_found`).
      this.stats.no_route.inc();
      stream.sendLocalReply({
        status: 404,
        body: '',
        details: 'route_not_found',
        flag: ResponseFlag.NoRouteFound,
      });
      return;
    }
    info.routeName = route.name;
    info.virtualHostName = vhost.name;
    if (downstream.isUpgradeRequest) {
      // Envoy conn_manager_impl.cc `ActiveStream::decodeHeaders`: an Upgrade/CONNECT request on a route
      // without upgrade_configs is refused with 403 `upgrade_failed` and an empty body; the HTTP/1
      // codec closes the connection afterwards (the payload could smuggle a request).
      this.stats.downstream_rq_ws_on_non_ws_route.inc();
      stream.sendLocalReply({ status: 403, body: '', details: 'upgrade_failed' });
      return;
    }
    stream.setResponseHeaderMutations(responseHeaderMutationLayers(routeConfig, vhost, route));

    const action = route.action;
    if (action.kind === 'direct_response') {
      this.stats.rq_direct_response.inc();
      stream.sendLocalReply({ status: action.status, body: action.body ?? '', details: 'direct_response' });
      return;
    }
    if (action.kind === 'redirect') {
      this.stats.rq_redirect.inc();
      stream.sendLocalReply({
        status: action.responseCode,
        body: '',
        details: 'direct_response',
        headers: [['location', redirectLocation(action, headers)]],
      });
      return;
    }
    const selection: RouteSelection = { routeConfig, vhost, route, action };
    const upstreamCluster = action.cluster.kind === 'cluster' ? action.cluster.name : undefined;
    this.runFilters(stream, selection, 0, upstreamCluster);
  }

  /** Runs the HTTP filters from `index` on; the router is always last. */
  private runFilters(
    stream: ActiveStream,
    selection: RouteSelection,
    index: number,
    upstreamCluster: string | undefined,
  ): void {
    const filters = this.config.httpFilters;
    for (let i = index; i < filters.length; i++) {
      const filter = filters[i];
      if (filter === undefined || filter.kind === 'router') break;
      // The Istio filters act on headers and at stream end (see handle), not here.
      if (filter.kind !== 'fault') continue;
      const config = effectiveFaultConfig(filter.config, selection.vhost, selection.route);
      if (
        this.applyFault(stream, config, upstreamCluster, () =>
          this.runFilters(stream, selection, i + 1, upstreamCluster),
        )
      ) {
        return;
      }
    }
    if (stream.isClosed) return;
    new RouterFilter(stream, stream.downstream.headers, selection, this.routerContext).run();
  }

  /** The istio.stats filters' access-log hook: after the stream ended. */
  private recordIstioStats(info: StreamInfo, peers: PeerExchangeState | undefined): void {
    const clusterName = info.upstreamClusterName;
    const clusterMetadata =
      clusterName === undefined ? undefined : this.deps.clusters.get(clusterName)?.config.metadata;
    for (const filter of this.istioStats) {
      const peer =
        filter.reporter === 'destination'
          ? peers?.downstreamPeer
          : filter.peerOf(peers?.upstreamPeer, info.upstreamHost);
      filter.record(info, peer, clusterMetadata);
    }
  }

  /**
   * Envoy's fault filter (`fault_filter.cc`): a delay (flag DI) and/or an abort (flag FI, body
   * `fault filter abort`). Returns true when it took over the request (delay pending or aborted).
   */
  private applyFault(
    stream: ActiveStream,
    config: FaultConfig,
    upstreamCluster: string | undefined,
    resume: () => void,
  ): boolean {
    const decision = decideFault({
      config,
      headers: stream.downstream.headers,
      random: this.deps.random,
      activeFaults: this.faultStats.active.value,
      upstreamCluster,
    });
    for (let i = 0; i < decision.overflowCount; i++) this.faultStats.overflow.inc();
    if (decision.delayMs === undefined && decision.abort === undefined) return false;
    let holdsSlot = decision.holdsActiveFault;
    if (holdsSlot) this.faultStats.active.inc();
    const release = (): void => {
      if (holdsSlot) {
        holdsSlot = false;
        this.faultStats.active.dec();
      }
    };
    stream.downstream.onClose(release);
    const abort = (): void => {
      if (decision.abort === undefined) {
        release();
        resume();
        return;
      }
      this.faultStats.aborts.inc();
      stream.sendLocalReply({
        status: decision.abort.httpStatus,
        body: FAULT_ABORT_BODY,
        details: FAULT_ABORT_RESPONSE_CODE_DETAILS,
        flag: ResponseFlag.FaultInjected,
        grpcStatus: decision.abort.grpcStatus,
      });
    };
    if (decision.delayMs !== undefined) {
      this.faultStats.delays.inc();
      stream.info.responseFlags.add(ResponseFlag.DelayInjected);
      const timer = this.deps.clock.setTimer(decision.delayMs, () => {
        if (stream.isClosed) return;
        abort();
      });
      stream.onDownstreamReset(() => timer.cancel());
      return true;
    }
    abort();
    return true;
  }

  /** `ConnectionManagerUtility::mutateRequestHeaders`, the parts that apply without TLS. */
  private mutateRequestHeaders(downstream: DownstreamStream): void {
    const headers = downstream.headers;
    const config = this.config;
    // Connection-specific headers never cross the proxy; `te` survives only as `trailers`.
    headers.delete('connection');
    headers.delete('keep-alive');
    headers.delete('proxy-connection');
    headers.delete('transfer-encoding');
    headers.delete('upgrade');
    const te = headers.get('te');
    if (te !== undefined && te.toLowerCase() !== 'trailers') headers.delete('te');
    if (config.useRemoteAddress && !config.skipXffAppend) {
      const ip = downstream.remoteAddress.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      const xff = headers.get('x-forwarded-for');
      headers.set('x-forwarded-for', xff === undefined || xff === '' ? ip : `${xff},${ip}`);
    }
    if (config.useRemoteAddress || !headers.has('x-forwarded-proto'))
      headers.set('x-forwarded-proto', 'http');
    if (config.via !== '') {
      const via = headers.get('via');
      headers.set('via', via === undefined ? config.via : `${via}, ${config.via}`);
    }
    // `generate_request_id`: a missing x-request-id gets a UUID v4; an existing one is kept for
    // internal requests (and, with `use_remote_address`, only if `preserve_external_request_id`).
    if (config.generateRequestId) {
      const existing = headers.get('x-request-id');
      if (
        existing === undefined ||
        existing === '' ||
        (config.useRemoteAddress && !config.preserveExternalRequestId)
      ) {
        headers.set('x-request-id', randomUUID());
      }
    }
  }
}

function noop(): void {}

function redirectLocation(
  action: Extract<RouteSelection['route']['action'], { kind: 'redirect' }>,
  headers: Map<string, string>,
): string {
  const scheme = action.schemeRedirect ?? headers.get(':scheme') ?? 'http';
  let host = action.hostRedirect ?? headers.get(':authority') ?? '';
  if (action.portRedirect !== undefined) host = `${host.replace(/:\d+$/, '')}:${action.portRedirect}`;
  let path = action.pathRedirect ?? headers.get(':path') ?? '/';
  if (action.stripQuery) path = path.replace(/\?.*$/, '');
  return `${scheme}://${host}${path}`;
}
