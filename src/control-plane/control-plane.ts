/**
 * One control plane (istiod's discovery role): multi-cluster discovery (`MeshDiscovery`) feeds the
 * translator, whose per-proxy resource sets the ADS server serves. The data flow of
 * docs/ARCHITECTURE.md "One change through the control plane":
 *
 *   informers -> registry / Istio config store -> (debounce) -> for each connected proxy:
 *   resolve its context -> translate -> check the set -> `AdsServer.setResources` (which pushes
 *   only what changed, by content version).
 *
 * Like istiod, it admits proxies before discovery is ready but sends them nothing until it is
 * (an empty first answer would wipe a proxy's config after a control-plane restart). A set that
 * fails the consistency check is never served: the proxy keeps its last good one, the problem is
 * logged and counted (`pilot_xds_push_context_errors`).
 */
import { SystemClock, type Clock, type Timer } from '../core/clock.js';
import { createLogger, type Logger } from '../core/logger.js';
import { MetricsRegistry } from '../core/metrics-registry.js';
import { SystemRandom, type Random } from '../core/random.js';
import type { XdsResourceSet } from '../envoy/xds-resource.js';
import { defaultMeshConfig, type MeshConfig } from '../istio/istio-config.js';
import { MeshDiscovery } from '../registry/mesh-discovery.js';
import { ResourceSetChecker } from '../translate/check-resource-set.js';
import type { ProxyContext } from '../translate/proxy-context.js';
import { resolveProxyContext } from '../translate/resolve-proxy-context.js';
import type { TranslationExplanation } from '../translate/translation-explanation.js';
import { Translator } from '../translate/translator.js';
import { AdsServer, ProxyRefusedError, type ConnectingProxy } from '../xds-server/ads-server.js';
import { metricType } from '../xds-server/xds-metrics.js';
import type { XdsNode } from '../xds-server/xds-node.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import type { ControlPlaneOptions, HostPort } from './control-plane-options.js';

/** What the control plane knows about one admitted proxy (all its streams share it). */
export interface ServedProxy {
  readonly proxyKey: string;
  readonly node: XdsNode;
  streams: number;
  context?: ProxyContext;
  resources?: XdsResourceSet;
  explanation?: TranslationExplanation;
  /** The last reason its set could not be computed or served, if the last attempt failed. */
  lastError?: string;
  computedAtWallMs?: number;
}

export interface ControlPlaneDeps {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
  /** Bounded wait for remote clusters' first sync (Istio PILOT_REMOTE_CLUSTER_TIMEOUT, 30 s). */
  readonly remoteSyncTimeoutMs?: number;
}

export class ControlPlane {
  readonly discovery: MeshDiscovery;
  readonly metrics = new MetricsRegistry();
  private readonly server: AdsServer;
  private readonly translator = new Translator();
  /** Remembers what it checked: proxies sharing maps of resources cost a lookup each. */
  private readonly checker = new ResourceSetChecker();
  private readonly mesh: MeshConfig;
  private readonly proxies = new Map<string, ServedProxy>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly cpMetrics: ControlPlaneMetrics;
  private debounceTimer: Timer | undefined;
  private unsubscribe: Array<() => void> = [];
  private isServing = false;
  private isClosed = false;

  constructor(
    private readonly options: ControlPlaneOptions,
    deps: ControlPlaneDeps = {},
  ) {
    this.clock = deps.clock ?? new SystemClock();
    this.log = deps.log ?? createLogger('control-plane');
    this.mesh = {
      ...defaultMeshConfig,
      trustDomain: options.trustDomain,
      enableInboundRetryPolicy: options.enableInboundRetryPolicy,
    };
    this.discovery = new MeshDiscovery({
      local: options.local,
      remotes: options.remotes,
      trustDomain: options.trustDomain,
      clock: this.clock,
      random: deps.random ?? new SystemRandom(),
      log: this.log,
      ...(deps.remoteSyncTimeoutMs !== undefined ? { remoteSyncTimeoutMs: deps.remoteSyncTimeoutMs } : {}),
    });
    this.server = new AdsServer({
      address: `${options.xdsAddress.host}:${options.xdsAddress.port}`,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.log,
      onProxyConnected: (proxy) => this.admit(proxy),
      onProxyDisconnected: (proxy) => this.release(proxy.proxyKey),
      hooks: {
        // The proxy key is the node id: istiod's per-proxy reject gauges are labelled by it.
        onNack: ({ proxyKey, typeUrl, nack }) =>
          this.cpMetrics.countReject(metricType(typeUrl), proxyKey, nack.code),
      },
    });
    this.cpMetrics = new ControlPlaneMetrics(this.metrics, options.local.clusterId);
  }

  /** Binds the xDS server and starts discovery; serving begins once discovery is ready. */
  async start(): Promise<void> {
    await this.server.start();
    this.unsubscribe.push(
      this.discovery.registry.onChange(() => this.scheduleRecompute()),
      this.discovery.config.onChange(() => this.scheduleRecompute()),
    );
    this.discovery.start();
    void this.discovery.whenReady().then(() => {
      if (this.isClosed) return;
      this.isServing = true;
      this.log.info(
        { clusters: this.discovery.syncStates().map((s) => s.clusterId) },
        'discovery ready, serving',
      );
      this.recomputeAll();
    });
  }

  /** The bound xDS address (`host:port`). */
  get xdsAddress(): HostPort {
    const [host, port] = splitAddress(this.server.address);
    return { host, port };
  }

  isReady(): boolean {
    return this.isServing && this.discovery.isReady();
  }

  servedProxies(): readonly ServedProxy[] {
    return [...this.proxies.values()];
  }

  servedProxy(proxyId: string): ServedProxy | undefined {
    return this.proxies.get(proxyId);
  }

  connectedStreams(): ReturnType<AdsServer['connectedProxies']> {
    return this.server.connectedProxies();
  }

  /** Prometheus text of every control-plane metric (sync state refreshed first). */
  metricsText(): string {
    this.cpMetrics.refresh(
      this.discovery.syncStates(),
      this.discovery.config,
      { proxies: this.proxies.size, services: this.discovery.registry.snapshot().services.size },
      this.clock.wallMs(),
    );
    return this.metrics.render();
  }

  private admit(connecting: ConnectingProxy): { proxyKey: string } {
    if (this.isClosed) throw new ProxyRefusedError('the control plane is shutting down');
    const proxyKey = connecting.node.id;
    let served = this.proxies.get(proxyKey);
    if (served === undefined) {
      // Refuse a node that cannot be identified at all before admitting it (Istio ads.go initProxy).
      const context = this.resolve(connecting.node);
      served = { proxyKey, node: connecting.node, streams: 0, context };
      this.proxies.set(proxyKey, served);
    }
    served.streams++;
    if (this.isServing) this.recompute(served);
    return { proxyKey };
  }

  private resolve(node: XdsNode): ProxyContext {
    try {
      return resolveProxyContext(node.json, this.discovery.registry.snapshot(), {
        clusterId: this.options.local.clusterId,
        network: this.options.local.network,
        dnsDomainSuffix: this.mesh.dnsDomainSuffix,
      });
    } catch (err) {
      throw new ProxyRefusedError(err instanceof Error ? err.message : String(err));
    }
  }

  private release(proxyKey: string): void {
    const served = this.proxies.get(proxyKey);
    if (served === undefined) return;
    served.streams--;
    if (served.streams <= 0) {
      this.proxies.delete(proxyKey);
      this.server.clearResources(proxyKey);
    }
  }

  private scheduleRecompute(): void {
    if (!this.isServing || this.isClosed || this.debounceTimer !== undefined) return;
    this.debounceTimer = this.clock.setTimer(this.options.debounceMs, () => {
      this.debounceTimer = undefined;
      this.recomputeAll();
    });
  }

  private recomputeAll(): void {
    if (this.isClosed) return;
    for (const served of this.proxies.values()) this.recompute(served);
  }

  /** Translates and serves one proxy's set; a failure keeps its last good set. */
  private recompute(served: ServedProxy): void {
    const registry = this.discovery.registry.snapshot();
    const istio = this.discovery.config.snapshot();
    try {
      const context = resolveProxyContext(served.node.json, registry, {
        clusterId: this.options.local.clusterId,
        network: this.options.local.network,
        dnsDomainSuffix: this.mesh.dnsDomainSuffix,
      });
      const result = this.translator.translate({ registry, istio, mesh: this.mesh, proxy: context });
      const problems = this.checker.check(result.resources);
      if (problems.length > 0) {
        const first = problems[0];
        throw new Error(
          `inconsistent resource set (${problems.length} problems), first: ${first?.typeUrl} ${first?.name} ${first?.path}: ${first?.problem}`,
        );
      }
      this.server.setResources(served.proxyKey, result.resources);
      served.context = context;
      served.resources = result.resources;
      served.explanation = result.explanation;
      served.computedAtWallMs = this.clock.wallMs();
      delete served.lastError;
    } catch (err) {
      served.lastError = err instanceof Error ? err.message : String(err);
      this.cpMetrics.countPushContextError();
      this.log.error(
        { proxy: served.proxyKey, err: served.lastError },
        'cannot compute the proxy configuration; it keeps its last good one',
      );
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.debounceTimer?.cancel();
    for (const off of this.unsubscribe) off();
    await this.server.close();
    await this.discovery.stop();
  }
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon).replace(/^\[|\]$/g, ''), Number(address.slice(colon + 1))];
}
