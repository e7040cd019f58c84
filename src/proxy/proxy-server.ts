/**
 * One running proxy: clusters, listeners with their HTTP connection managers, the admin interface and
 * the server-level stats, assembled from a validated Envoy bootstrap. `applyResources` replaces full
 * sets; the xDS client (`xds-client/`, loaded only with `dynamic_resources.ads_config`) uses the
 * per-resource paths (`addOrUpdateListener`, `drainListener`, `applyRouteConfiguration`, the cluster
 * manager). Either way requests in flight are not dropped and hosts that persist keep their outlier
 * state.
 */
import { SystemClock, type Clock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { SystemRandom, type Random } from '../core/random.js';
import { AdminServer } from './admin/admin-server.js';
import type { BootstrapConfig } from './config/bootstrap-config.js';
import type { ClusterConfig, SocketAddress } from './config/cluster-config.js';
import type { ListenerConfig } from './config/listener-config.js';
import type { RouteConfiguration } from './config/route-config.js';
import { HttpConnectionManager } from './hcm/http-connection-manager.js';
import { HttpListener } from './listener/http-listener.js';
import { renderPrometheus, type PrometheusRenderOptions } from './stats/prometheus-format.js';
import { compileStatsMatcher } from './stats/stats-matcher.js';
import { StatsStore, type Gauge } from './stats/stats-store.js';
import { ClusterManager } from './upstream/cluster-manager.js';
import { failoverViewOf, renderFailoverMetrics } from './upstream/failover-metrics.js';
import { SystemHostResolver, type HostResolver } from './upstream/host-resolver.js';
import { JsonLinesFileEventSink } from './upstream/outlier/json-lines-event-sink.js';
import type { OutlierEventSink } from './upstream/outlier/outlier-event.js';
import type { AdsTransport } from './xds-client/ads-transport.js';
import type { XdsClient } from './xds-client/xds-client.js';

const log = createLogger('server');

/** Envoy `envoy.admin.v3.ServerInfo.State` values, as the `server.state` gauge reports them. */
export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';
const stateGaugeValue: Record<ServerState, number> = {
  LIVE: 0,
  DRAINING: 1,
  PRE_INITIALIZING: 2,
  INITIALIZING: 3,
};

/** istio/proxy `istio_stats.cc`: the filter registers the custom stat namespace `istiocustom`. */
const istioCustomNamespaces: readonly string[] = ['istiocustom'];

export interface ProxyServerDeps {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly resolver?: HostResolver;
  /** Called when the admin `/quitquitquit` endpoint asks the process to exit. */
  readonly onQuit?: () => void;
  /**
   * Called when initialization that continues after `start()` (a proxy configured over xDS) fails,
   * e.g. a static listener cannot bind; the process should exit, as Envoy does.
   */
  readonly onFatal?: (err: unknown) => void;
  /** Replaces the ADS gRPC transport (tests). */
  readonly adsTransport?: AdsTransport;
}

interface ActiveListener {
  config: ListenerConfig;
  readonly listener: HttpListener;
  hcm: HttpConnectionManager;
}

export class ProxyServer {
  readonly stats = new StatsStore();
  readonly clock: Clock;
  readonly random: Random;
  readonly clusterManager: ClusterManager;
  readonly startWallMs: number;
  private readonly listeners = new Map<string, ActiveListener>();
  private readonly draining = new Set<Promise<void>>();
  private admin: AdminServer | undefined;
  private outlierSink: JsonLinesFileEventSink | undefined;
  private initState: ServerState = 'PRE_INITIALIZING';
  private isHealthCheckFailed = false;
  private readonly stateGauge: Gauge;
  private readonly liveGauge: Gauge;
  private readonly uptimeGauge: Gauge;
  private readonly totalConnections: Gauge;
  private readonly eventSinkProxy: OutlierEventSink;
  private xds: XdsClient | undefined;
  private live: Promise<void> = Promise.resolve();

  constructor(
    private config: BootstrapConfig,
    private readonly deps: ProxyServerDeps = {},
  ) {
    this.clock = deps.clock ?? new SystemClock();
    this.random = deps.random ?? new SystemRandom();
    this.startWallMs = this.clock.wallMs();
    this.stats.setMatcher(compileStatsMatcher(config.statsMatcher));
    const server = this.stats.root.scope('server');
    this.stateGauge = server.gauge('state');
    this.liveGauge = server.gauge('live');
    this.uptimeGauge = server.gauge('uptime');
    this.totalConnections = server.gauge('total_connections');
    server.gauge('concurrency').set(1);
    this.publishState();
    // The cluster manager writes outlier events through this proxy, so the file can open later.
    this.eventSinkProxy = { write: (event) => this.outlierSink?.write(event) };
    this.clusterManager = new ClusterManager({
      clock: this.clock,
      random: this.random,
      stats: this.stats.root,
      resolver: deps.resolver ?? new SystemHostResolver(),
      outlierEventSink: this.eventSinkProxy,
    });
  }

  get bootstrap(): BootstrapConfig {
    return this.config;
  }

  get state(): ServerState {
    if (this.initState !== 'LIVE') return this.initState;
    return this.isHealthCheckFailed ? 'DRAINING' : 'LIVE';
  }

  /** The xDS client, when the bootstrap has `dynamic_resources.ads_config`. */
  get xdsClient(): XdsClient | undefined {
    return this.xds;
  }

  /**
   * Opens the outlier event log, initializes the static clusters, binds the admin interface and the
   * listeners. With `dynamic_resources` it resolves once the admin interface is up and the ADS stream
   * is starting: the server stays INITIALIZING (`/ready` 503) until the first CDS/EDS/LDS/RDS round is
   * done, then binds every listener and turns LIVE (`whenLive()`), as Envoy's init manager does.
   */
  async start(): Promise<void> {
    this.initState = 'INITIALIZING';
    this.publishState();
    if (this.config.outlierEventLogPath !== undefined) {
      this.outlierSink = await JsonLinesFileEventSink.open(this.config.outlierEventLogPath);
    }
    if (this.config.admin !== undefined) {
      this.admin = new AdminServer(this.config.admin, this, this.deps.onQuit ?? (() => {}));
      await this.admin.start();
    }
    for (const cluster of this.config.clusters) await this.clusterManager.addOrUpdate(cluster);
    if (this.config.dynamicResources?.ads === undefined) {
      for (const listener of this.config.listeners) await this.addListener(listener);
      this.goLive();
      return;
    }
    // Loaded on use: a static proxy never carries gRPC or the xDS machinery.
    const { XdsClient } = await import('./xds-client/xds-client.js');
    const xds = new XdsClient({
      bootstrap: this.config,
      clusterManager: this.clusterManager,
      listeners: {
        addOrUpdateListener: (config) => this.addOrUpdateListener(config),
        removeListener: (name) => this.drainListener(name),
        applyRouteConfiguration: (routeConfig) => this.applyRouteConfiguration(routeConfig),
      },
      clock: this.clock,
      random: this.random,
      stats: this.stats.root,
      ...(this.deps.adsTransport !== undefined ? { transport: this.deps.adsTransport } : {}),
    });
    this.xds = xds;
    this.live = xds
      .initialize()
      .then(() => (this.initState === 'INITIALIZING' ? xds.startServing() : undefined))
      .then(() => {
        if (this.initState === 'INITIALIZING') this.goLive();
      })
      .catch((err: unknown) => {
        log.error({ err }, 'initialization failed');
        this.deps.onFatal?.(err);
      });
  }

  /** Resolves once the server is LIVE (at once for a static bootstrap after `start()`). */
  whenLive(): Promise<void> {
    return this.live;
  }

  private goLive(): void {
    this.initState = 'LIVE';
    this.publishState();
    log.info(
      {
        listeners: Object.fromEntries(this.listenerAddresses()),
        admin: this.admin?.boundAddress(),
        clusters: this.clusterManager.all().length,
      },
      'proxy live',
    );
  }

  /**
   * Replaces the named resources (full sets, like LDS/CDS state of the world): clusters first, so
   * routes of new listeners never point at missing clusters, then listeners, then stale clusters go.
   */
  async applyResources(update: {
    readonly clusters?: readonly ClusterConfig[];
    readonly listeners?: readonly ListenerConfig[];
  }): Promise<void> {
    if (update.clusters !== undefined) {
      for (const cluster of update.clusters) await this.clusterManager.addOrUpdate(cluster);
    }
    if (update.listeners !== undefined) {
      const wanted = new Set(update.listeners.map((l) => l.name));
      for (const listener of update.listeners) await this.addOrUpdateListener(listener);
      for (const name of [...this.listeners.keys()]) if (!wanted.has(name)) this.drainListener(name);
    }
    if (update.clusters !== undefined) {
      const wanted = new Set(update.clusters.map((c) => c.name));
      for (const cluster of this.clusterManager.all())
        if (!wanted.has(cluster.name)) this.clusterManager.remove(cluster.name);
    }
  }

  /**
   * Adds a listener, or replaces the one of that name. Same socket: only the request handling
   * changes, requests in flight keep the old connection manager. A new socket: the old one stops
   * accepting at once and drains in the background (Envoy's listener drain), so the update itself
   * never waits for old requests.
   */
  async addOrUpdateListener(listener: ListenerConfig): Promise<void> {
    const active = this.listeners.get(listener.name);
    if (active === undefined) {
      await this.addListener(listener);
    } else if (
      this.isSameSocket(active, listener) &&
      active.config.hcm.codecType === listener.hcm.codecType &&
      active.config.hcm.maxRequestHeadersKb === listener.hcm.maxRequestHeadersKb
    ) {
      const previous = active.hcm;
      active.hcm = new HttpConnectionManager(listener.hcm, this.hcmDeps(listener));
      active.config = listener;
      active.listener.setHandler((stream) => active.hcm.handle(stream));
      void previous.close();
    } else {
      this.drainListener(listener.name);
      await this.addListener(listener);
    }
  }

  /** Installs a route configuration on every listener whose connection manager uses RDS with that name. */
  applyRouteConfiguration(routeConfig: RouteConfiguration): void {
    for (const active of this.listeners.values()) {
      if (active.config.hcm.rdsRouteConfigName === routeConfig.name) active.hcm.setRouteConfig(routeConfig);
    }
  }

  listenerAddresses(): Map<string, SocketAddress> {
    const out = new Map<string, SocketAddress>();
    for (const [name, active] of this.listeners) out.set(name, active.listener.boundAddress());
    return out;
  }

  listenerConfigs(): ListenerConfig[] {
    return [...this.listeners.values()].map((l) => l.config);
  }

  adminAddress(): SocketAddress | undefined {
    return this.admin?.boundAddress();
  }

  setHealthCheckFailed(failed: boolean): void {
    this.isHealthCheckFailed = failed;
    this.publishState();
  }

  /** Refreshes gauges computed on demand (uptime, connections). */
  refreshServerStats(): void {
    this.uptimeGauge.set(Math.floor((this.clock.wallMs() - this.startWallMs) / 1000));
    let connections = 0;
    for (const active of this.listeners.values()) connections += active.listener.connectionCount();
    this.totalConnections.set(connections);
    this.stats.root.scope('server').gauge('memory_physical_size').set(process.memoryUsage().rss);
  }

  /**
   * The `/stats/prometheus` body: the stats store (Envoy's exposition; Istio's `istiocustom`
   * namespace exported without the `envoy_` prefix, as the istio.stats filter registers it), then
   * Spillway's failover metrics computed from the live cluster state.
   */
  prometheusText(options: PrometheusRenderOptions = {}): string {
    this.refreshServerStats();
    return (
      renderPrometheus(this.stats, { customNamespaces: istioCustomNamespaces, ...options }) +
      renderFailoverMetrics(this.clusterManager.all().map(failoverViewOf), this.config.node.locality)
    );
  }

  async close(graceMs = 0): Promise<void> {
    this.initState = 'DRAINING';
    this.publishState();
    this.xds?.close();
    await Promise.all([...this.listeners.keys()].map((name) => this.removeListener(name, graceMs)));
    await Promise.all([...this.draining]);
    await this.admin?.close();
    this.clusterManager.close();
    await this.outlierSink?.close();
  }

  private hcmDeps(listener: ListenerConfig): ConstructorParameters<typeof HttpConnectionManager>[1] {
    return {
      clock: this.clock,
      random: this.random,
      clusters: this.clusterManager,
      stats: this.stats.root,
      bufferLimitBytes: listener.perConnectionBufferLimitBytes,
      node: this.config.node,
    };
  }

  private async addListener(config: ListenerConfig): Promise<void> {
    const hcm = new HttpConnectionManager(config.hcm, this.hcmDeps(config));
    const active: ActiveListener = { config, hcm, listener: undefined as unknown as HttpListener };
    const listenerScopeHolder: { scope: ReturnType<StatsStore['root']['scope']> | undefined } = {
      scope: undefined,
    };
    const listener = new HttpListener(
      {
        name: config.name,
        address: config.address,
        codecType: config.hcm.codecType,
        maxRequestHeadersKb: config.hcm.maxRequestHeadersKb,
        idleTimeoutMs: config.hcm.idleTimeoutMs,
        http2MaxConcurrentStreams: config.hcm.http2MaxConcurrentStreams,
        clock: this.clock,
      },
      (stream) => active.hcm.handle(stream),
      {
        onConnectionOpened: () => {
          listenerScopeHolder.scope?.counter('downstream_cx_total').inc();
          listenerScopeHolder.scope?.gauge('downstream_cx_active').inc();
          active.hcm.stats.downstream_cx_total.inc();
          active.hcm.stats.downstream_cx_active.inc();
        },
        onConnectionClosed: () => {
          listenerScopeHolder.scope?.gauge('downstream_cx_active').dec();
          active.hcm.stats.downstream_cx_active.dec();
        },
        onCodecError: () => active.hcm.stats.downstream_cx_protocol_error.inc(),
      },
    );
    (active as { listener: HttpListener }).listener = listener;
    await listener.start();
    if (this.initState === 'DRAINING') {
      // The server began closing while this listener was binding (an xDS update in flight).
      await listener.close(0);
      await hcm.close();
      return;
    }
    const bound = listener.boundAddress();
    // Envoy's listener stat prefix: `listener.<address>_<port>.`, tagged `listener_address` (Istio).
    const scope = this.stats.root
      .scope('listener')
      .scope(`${bound.address}_${bound.port}`, 'listener_address');
    scope.counter('downstream_cx_total');
    scope.gauge('downstream_cx_active');
    listenerScopeHolder.scope = scope;
    this.listeners.set(config.name, active);
    this.stats.root.scope('listener_manager').gauge('total_listeners_active').set(this.listeners.size);
  }

  private async removeListener(name: string, graceMs = 5000): Promise<void> {
    const active = this.listeners.get(name);
    if (active === undefined) return;
    this.listeners.delete(name);
    this.stats.root.scope('listener_manager').gauge('total_listeners_active').set(this.listeners.size);
    await active.listener.close(graceMs);
    await active.hcm.close();
  }

  /** Same address, where a configured port 0 also matches the port it was bound to. */
  private isSameSocket(active: ActiveListener, next: ListenerConfig): boolean {
    const bound = active.listener.boundAddress();
    return (
      active.config.address.address === next.address.address &&
      (next.address.port === active.config.address.port || next.address.port === bound.port)
    );
  }

  /** Stops accepting on a listener now; its connections drain in the background. */
  drainListener(name: string): void {
    const drained = this.removeListener(name).catch((err: unknown) =>
      log.warn({ err, listener: name }, 'listener drain failed'),
    );
    this.draining.add(drained);
    void drained.finally(() => this.draining.delete(drained));
  }

  private publishState(): void {
    const state = this.state;
    this.stateGauge.set(stateGaugeValue[state]);
    this.liveGauge.set(state === 'LIVE' ? 1 : 0);
  }
}
