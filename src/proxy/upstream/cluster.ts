/**
 * One upstream cluster: its membership (a priority set of hosts grouped by locality), its load
 * balancer, its outlier detector, its circuit breakers and the connection pools of its hosts
 * (Envoy's `ClusterImplBase` + thread-local cluster, folded together because we run one thread).
 *
 * Host objects are kept across membership updates when their address persists, so ejections,
 * backoff and counters survive an EDS/config update (Envoy keeps `HostSharedPtr`s of unchanged hosts
 * the same way in `updateDynamicHostList`).
 */
import type { Clock, Timer } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import type { Random } from '../../core/random.js';
import type { ClusterConfig, ClusterLoadAssignmentConfig } from '../config/cluster-config.js';
import type { StatsScope } from '../stats/stats-store.js';
import { ClusterTrafficStats } from './cluster-traffic-stats.js';
import { Http1ConnectionPool } from './conn-pool/http1-connection-pool.js';
import { Http2ConnectionPool } from './conn-pool/http2-connection-pool.js';
import type { ConnectionPool, ConnectionPoolEvents } from './conn-pool/upstream-stream.js';
import { Host } from './host.js';
import type { HostResolver } from './host-resolver.js';
import { ClusterLoadBalancer, type LbContext, type LoadBalancerState } from './lb/cluster-load-balancer.js';
import { OutlierDetector } from './outlier/outlier-detector.js';
import type { OutlierEventSink } from './outlier/outlier-event.js';
import { PrioritySet, type LocalityGroupInput } from './priority-set.js';
import { ResourceManager } from './resource-manager.js';

const log = createLogger('cluster');

export interface ClusterDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** The root stats scope; the cluster creates `cluster.<stat name>.` under it. */
  readonly stats: StatsScope;
  readonly resolver: HostResolver;
  readonly outlierEventSink?: OutlierEventSink | undefined;
}

export class Cluster {
  readonly name: string;
  readonly scope: StatsScope;
  readonly traffic: ClusterTrafficStats;
  readonly prioritySet = new PrioritySet();
  readonly resources: ResourceManager;
  readonly highPriorityResources: ResourceManager;
  /** EDS clusters start without endpoints until an assignment arrives. */
  isInitialized = false;
  /** The cluster came from CDS (admin `/clusters` `added_via_api`). */
  addedViaApi = false;
  private cfg: ClusterConfig;
  private loadBalancer: ClusterLoadBalancer;
  private detector: OutlierDetector | undefined;
  private readonly hostsByAddress = new Map<string, Host>();
  private readonly pools = new Map<Host, ConnectionPool>();
  private assignment: ClusterLoadAssignmentConfig;
  private dnsTimer: Timer | undefined;
  private isClosed = false;
  private readonly membershipUpdates: StatsScope;

  constructor(
    config: ClusterConfig,
    private readonly deps: ClusterDeps,
  ) {
    this.name = config.name;
    this.cfg = config;
    this.scope = deps.stats.scope('cluster').scope(config.statName, 'cluster_name');
    this.membershipUpdates = this.scope;
    this.traffic = new ClusterTrafficStats(this.scope);
    this.resources = new ResourceManager(
      config.circuitBreakers.default,
      this.scope.scope('circuit_breakers').scope('default'),
    );
    this.highPriorityResources = new ResourceManager(
      config.circuitBreakers.high,
      this.scope.scope('circuit_breakers').scope('high'),
    );
    this.loadBalancer = this.createLoadBalancer(config);
    this.detector = this.createDetector(config);
    this.assignment = config.loadAssignment;
    this.membershipUpdates.counter('membership_change');
    this.membershipUpdates.counter('update_success');
  }

  get config(): ClusterConfig {
    return this.cfg;
  }

  get outlierDetector(): OutlierDetector | undefined {
    return this.detector;
  }

  get lb(): ClusterLoadBalancer {
    return this.loadBalancer;
  }

  /** Resolves STRICT_DNS names (first resolution) or installs static endpoints. */
  async initialize(): Promise<void> {
    if (this.cfg.type === 'EDS') return;
    await this.applyAssignment(this.cfg.loadAssignment);
    this.isInitialized = true;
    this.scheduleDnsRefresh();
  }

  /** Installs an EDS `ClusterLoadAssignment`. */
  async setLoadAssignment(assignment: ClusterLoadAssignmentConfig): Promise<void> {
    await this.applyAssignment(assignment);
    this.isInitialized = true;
  }

  /**
   * A new configuration for the same cluster name. Hosts that persist keep their state; the load
   * balancer is rebuilt only when its settings change; outlier detection keeps its host state.
   */
  async update(config: ClusterConfig): Promise<void> {
    const previous = this.cfg;
    this.cfg = config;
    this.resources.update(config.circuitBreakers.default);
    this.highPriorityResources.update(config.circuitBreakers.high);
    if (
      previous.lbPolicy !== config.lbPolicy ||
      previous.leastRequestChoiceCount !== config.leastRequestChoiceCount ||
      previous.healthyPanicThresholdPct !== config.healthyPanicThresholdPct ||
      previous.localityWeightedLb !== config.localityWeightedLb
    ) {
      this.loadBalancer.close();
      this.loadBalancer = this.createLoadBalancer(config);
    }
    if (config.outlierDetection === undefined) {
      this.detector?.close();
      this.detector = undefined;
      this.prioritySet.refreshHealth();
    } else if (this.detector === undefined) {
      this.detector = this.createDetector(config);
      this.detector?.setHosts(this.prioritySet.allHosts());
    } else {
      this.detector.updateConfig(config.outlierDetection);
    }
    if (previous.protocol !== config.protocol || previous.connectTimeoutMs !== config.connectTimeoutMs) {
      for (const pool of this.pools.values()) pool.drain();
      this.pools.clear();
    }
    if (config.type !== 'EDS') {
      await this.applyAssignment(config.loadAssignment);
      this.scheduleDnsRefresh();
    }
  }

  chooseHost(context?: LbContext): Host | undefined {
    return this.loadBalancer.chooseHost(context);
  }

  loadBalancerState(): LoadBalancerState {
    return this.loadBalancer.state();
  }

  /** The connection pool of a host (created on first use). */
  connectionPool(host: Host): ConnectionPool {
    let pool = this.pools.get(host);
    if (pool !== undefined) return pool;
    const events = this.poolEvents(host);
    const cfg = this.cfg;
    pool =
      cfg.protocol === 'http2'
        ? new Http2ConnectionPool(
            {
              address: host.address,
              port: host.port,
              connectTimeoutMs: cfg.connectTimeoutMs,
              idleTimeoutMs: cfg.upstreamIdleTimeoutMs,
              maxConcurrentStreams: cfg.http2MaxConcurrentStreams,
            },
            this.deps.clock,
            events,
          )
        : new Http1ConnectionPool(
            {
              address: host.address,
              port: host.port,
              connectTimeoutMs: cfg.connectTimeoutMs,
              idleTimeoutMs: cfg.upstreamIdleTimeoutMs,
              maxRequestsPerConnection: cfg.maxRequestsPerConnection,
              maxConnections: cfg.circuitBreakers.default.maxConnections,
            },
            this.deps.clock,
            events,
          );
    this.pools.set(host, pool);
    return pool;
  }

  /**
   * The cluster was removed: stop its timers and let its connections finish the requests they carry
   * (requests in flight keep their reference to this object), closing each connection once idle.
   */
  drainAndClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.dnsTimer?.cancel();
    this.detector?.close();
    for (const pool of this.pools.values()) pool.drain();
    this.pools.clear();
  }

  /** Stops timers and closes every connection. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.dnsTimer?.cancel();
    this.detector?.close();
    this.loadBalancer.close();
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private createLoadBalancer(config: ClusterConfig): ClusterLoadBalancer {
    return new ClusterLoadBalancer(
      this.prioritySet,
      {
        lbPolicy: config.lbPolicy,
        leastRequestChoiceCount: config.leastRequestChoiceCount,
        healthyPanicThresholdPct: config.healthyPanicThresholdPct,
        localityWeightedLb: config.localityWeightedLb,
      },
      { random: this.deps.random, stats: this.scope },
    );
  }

  private createDetector(config: ClusterConfig): OutlierDetector | undefined {
    if (config.outlierDetection === undefined) return undefined;
    const detector = new OutlierDetector(config.name, config.outlierDetection, {
      clock: this.deps.clock,
      random: this.deps.random,
      stats: this.scope,
      ...(this.deps.outlierEventSink !== undefined ? { eventSink: this.deps.outlierEventSink } : {}),
    });
    detector.onChange((host) => {
      // Envoy: an ejection changes host health, which recomputes priority loads, and posts a
      // "host health failure" to the workers, which drains that host's connection pools.
      this.prioritySet.refreshHealth();
      if (host.coarseHealth() === 'unhealthy') {
        const pool = this.pools.get(host);
        if (pool !== undefined) {
          // A drained pool takes no new requests; the next request to this host opens a new one.
          this.pools.delete(host);
          if (this.cfg.closeConnectionsOnHostHealthFailure) pool.close();
          else pool.drain();
        }
      }
    });
    return detector;
  }

  private async applyAssignment(assignment: ClusterLoadAssignmentConfig): Promise<void> {
    this.assignment = assignment;
    const groups: LocalityGroupInput[] = [];
    const seen = new Set<Host>();
    for (const locality of assignment.localities) {
      const hosts: Host[] = [];
      for (const endpoint of locality.endpoints) {
        const addresses =
          this.cfg.type === 'STRICT_DNS' || this.cfg.type === 'LOGICAL_DNS'
            ? await this.resolve(endpoint.address.address)
            : [endpoint.address.address];
        const selected = this.cfg.type === 'LOGICAL_DNS' ? addresses.slice(0, 1) : addresses;
        for (const address of selected) {
          const key = `${address}:${endpoint.address.port}`;
          let host = this.hostsByAddress.get(key);
          if (host === undefined) {
            host = new Host({
              clusterName: this.name,
              address,
              port: endpoint.address.port,
              hostname: endpoint.hostname !== '' ? endpoint.hostname : endpoint.address.address,
              locality: locality.locality,
              priority: locality.priority,
              weight: endpoint.weight,
              healthStatus: endpoint.healthStatus,
              metadata: endpoint.metadata,
            });
            this.hostsByAddress.set(key, host);
          } else {
            host.locality = locality.locality;
            host.weight = endpoint.weight;
            host.metadata = endpoint.metadata;
            host.setEdsHealthStatus(endpoint.healthStatus);
          }
          if (seen.has(host)) continue;
          seen.add(host);
          hosts.push(host);
        }
      }
      groups.push({
        priority: locality.priority,
        locality: locality.locality,
        weight: locality.weight,
        hosts,
      });
    }
    for (const [key, host] of this.hostsByAddress) {
      if (seen.has(host)) continue;
      this.hostsByAddress.delete(key);
      const pool = this.pools.get(host);
      if (pool !== undefined) {
        pool.drain();
        this.pools.delete(host);
      }
    }
    this.detector?.setHosts([...seen]);
    this.prioritySet.update(groups, {
      overprovisioningFactor: assignment.overprovisioningFactor,
      weightedPriorityHealth: assignment.weightedPriorityHealth,
    });
    this.scope.counter('membership_change').inc();
    this.scope.counter('update_success').inc();
  }

  private async resolve(name: string): Promise<string[]> {
    try {
      return await this.deps.resolver.resolve(name, this.cfg.dnsLookupFamily);
    } catch (err) {
      // Envoy keeps the last resolved hosts when a refresh fails; on the first resolution there are none.
      log.warn({ err, cluster: this.name, hostname: name }, 'DNS resolution failed');
      this.scope.counter('update_failure').inc();
      const known = [...this.hostsByAddress.values()]
        .filter((h) => h.hostname === name)
        .map((h) => h.address);
      return known;
    }
  }

  private scheduleDnsRefresh(): void {
    this.dnsTimer?.cancel();
    this.dnsTimer = undefined;
    if (this.cfg.type !== 'STRICT_DNS' && this.cfg.type !== 'LOGICAL_DNS') return;
    const hasNames = this.assignment.localities.some((l) =>
      l.endpoints.some((e) => !/^[\d.:]+$/.test(e.address.address)),
    );
    if (!hasNames) return;
    this.dnsTimer = this.deps.clock.setTimer(this.cfg.dnsRefreshRateMs, () => {
      if (this.isClosed) return;
      this.applyAssignment(this.assignment)
        .catch((err: unknown) => log.warn({ err, cluster: this.name }, 'DNS refresh failed'))
        .finally(() => this.scheduleDnsRefresh());
    });
  }

  private poolEvents(host: Host): ConnectionPoolEvents {
    const t = this.traffic;
    const isH2 = this.cfg.protocol === 'http2';
    return {
      onConnectionCreated: () => {
        t.upstream_cx_total.inc();
        (isH2 ? t.upstream_cx_http2_total : t.upstream_cx_http1_total).inc();
        t.upstream_cx_active.inc();
        this.resources.connections.inc();
        host.stats.cx_total++;
        host.stats.cx_active++;
      },
      onConnectionConnected: () => {},
      onConnectionConnectFailed: (isTimeout) => {
        t.upstream_cx_connect_fail.inc();
        if (isTimeout) t.upstream_cx_connect_timeout.inc();
        host.stats.cx_connect_fail++;
      },
      onPendingStreamFailed: () => t.upstream_rq_pending_failure_eject.inc(),
      onConnectionClosed: () => {
        t.upstream_cx_active.dec();
        t.upstream_cx_destroy.inc();
        this.resources.connections.dec();
        host.stats.cx_active--;
      },
    };
  }
}
