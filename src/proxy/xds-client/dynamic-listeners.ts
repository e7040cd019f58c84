/**
 * LDS and RDS over ADS, with Envoy's listener warming (docs `configuration/listeners/lds.rst`):
 *
 * - LDS is state of the world: listeners missing from a response drain; unchanged resources are
 *   left alone (`ListenerManagerImpl::addOrUpdateListener` ignores a listener whose hash is equal).
 * - A new or changed listener whose connection manager uses RDS warms until its
 *   RouteConfiguration is known (at once if it already is: xds_protocol.rst, "If Envoy is already
 *   aware of RouteConfiguration referenced by Listener, it will use it"), its RDS
 *   `initial_fetch_timeout` passes, or an RDS response is rejected; the previous version of a
 *   changed listener serves meanwhile. A listener that warmed without routes answers 404 (NR).
 * - An RDS update is installed on every connection manager that names it, for new requests only:
 *   requests in flight keep the route they matched.
 * - RDS names are the route_config_names of every listener (static ones too); unreferenced
 *   RouteConfigurations are forgotten.
 *
 * During server initialization nothing is bound: `startServing` adds the static and the warmed
 * dynamic listeners together once the first LDS/RDS round is done (Envoy starts its workers then).
 */
import type { Clock, Timer } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import { XdsTypeUrl } from '../../envoy/xds-resource.js';
import { buildListener } from '../bootstrap/listener-builder.js';
import { buildRouteConfiguration } from '../bootstrap/route-config-builder.js';
import type { ConfigSourceConfig } from '../config/config-source.js';
import type { ListenerConfig } from '../config/listener-config.js';
import type { RouteConfiguration } from '../config/route-config.js';
import type { StatsScope } from '../stats/stats-store.js';
import type { AdsMux } from './ads-mux.js';
import type { DecodedResource } from './discovery-messages.js';
import { sameResource, type AppliedResource } from './dynamic-clusters.js';
import { buildOrReject, ResourceRejection, type ResourceErrorState } from './resource-rejection.js';
import { ExclusiveTimers } from './exclusive-timers.js';
import { StateCondition } from './state-condition.js';
import { SubscriptionStats } from './subscription-stats.js';

const log = createLogger('xds');

/** Where warmed listeners and route updates go (the proxy server). */
export interface ListenerTarget {
  addOrUpdateListener(config: ListenerConfig): Promise<void>;
  /** Stops accepting and drains in the background. */
  removeListener(name: string): void;
  applyRouteConfiguration(routeConfig: RouteConfiguration): void;
}

interface WarmingListener extends AppliedResource<ListenerConfig> {
  readonly timer: Timer | undefined;
}

export interface DynamicListenersDeps {
  readonly mux: AdsMux;
  readonly target: ListenerTarget;
  readonly clock: Clock;
  readonly stats: StatsScope;
  readonly staticListeners: readonly ListenerConfig[];
  readonly ldsConfig: ConfigSourceConfig | undefined;
  /** Clusters routes may name (`validate_clusters`). */
  readonly knownClusterNames: () => ReadonlySet<string>;
}

interface RdsStats {
  readonly subscription: SubscriptionStats;
  readonly scope: StatsScope;
}

export class DynamicListeners {
  readonly active = new Map<string, AppliedResource<ListenerConfig>>();
  readonly warming = new Map<string, WarmingListener>();
  readonly routes = new Map<string, AppliedResource<RouteConfiguration>>();
  /** LDS resources that were rejected, by name (`error_state`). */
  readonly errors = new Map<string, ResourceErrorState>();
  private readonly staticByName: ReadonlyMap<string, ListenerConfig>;
  /** Static listeners with RDS whose routes have not arrived (or timed out) yet. */
  private readonly staticWarming = new Set<string>();
  private readonly ldsStats: SubscriptionStats;
  private readonly managerScope: StatsScope;
  private readonly rdsStats = new Map<string, RdsStats>();
  private readonly condition = new StateCondition();
  private readonly timers: ExclusiveTimers;
  private isServing = false;
  private isClosed = false;
  private isLdsInitialFetchDone = false;
  private ldsVersion = '';

  constructor(private readonly deps: DynamicListenersDeps) {
    this.staticByName = new Map(deps.staticListeners.map((l) => [l.name, l]));
    this.managerScope = deps.stats.scope('listener_manager');
    this.ldsStats = new SubscriptionStats(this.managerScope.scope('lds'));
    this.timers = new ExclusiveTimers(deps.clock, deps.mux);
    for (const name of ['listener_added', 'listener_modified', 'listener_removed', 'listener_create_failure'])
      this.managerScope.counter(name);
    this.managerScope.gauge('total_listeners_warming');
  }

  get ldsVersionInfo(): string {
    return this.ldsVersion;
  }

  /**
   * The listener half of initialization: RDS for static listeners, then LDS; resolves once the
   * first LDS response was handled (or rejected, or timed out) and nothing warms any more.
   */
  async initialize(): Promise<void> {
    for (const listener of this.deps.staticListeners) {
      const source = listener.hcm.rdsConfigSource;
      if (listener.hcm.rdsRouteConfigName === undefined || source === undefined) continue;
      this.staticWarming.add(listener.name);
      if (source.initialFetchTimeoutMs > 0) {
        this.timers.set(source.initialFetchTimeoutMs, () => {
          if (!this.staticWarming.delete(listener.name)) return;
          this.statsForRoute(listener).subscription.fetchTimedOut();
          this.condition.changed();
        });
      }
    }
    this.updateRdsNames();
    const lds = this.deps.ldsConfig;
    if (lds !== undefined) {
      this.deps.mux.subscribe(XdsTypeUrl.listener, {
        onUpdate: (resources, versionInfo) => this.onLdsUpdate(resources, versionInfo),
        onRejected: (error) => this.onLdsRejected(error),
        onConnectionFailure: () => this.ldsStats.connectionFailure(),
      });
      if (lds.initialFetchTimeoutMs > 0) {
        this.timers.set(lds.initialFetchTimeoutMs, () => {
          if (this.isLdsInitialFetchDone) return;
          this.ldsStats.fetchTimedOut();
          this.isLdsInitialFetchDone = true;
          this.condition.changed();
        });
      }
    } else {
      this.isLdsInitialFetchDone = true;
    }
    await this.condition.waitFor(
      () => this.isLdsInitialFetchDone && this.warming.size === 0 && this.staticWarming.size === 0,
    );
  }

  /** Binds the static listeners and the dynamic ones that warmed; from now on updates apply at once. */
  async startServing(): Promise<void> {
    if (this.isClosed) return;
    this.isServing = true;
    for (const listener of this.deps.staticListeners)
      await this.deps.target.addOrUpdateListener(this.withRoutes(listener));
    for (const applied of [...this.active.values()]) await this.bind(applied);
  }

  /** Stops the timers; nothing is bound any more (the proxy is shutting down). */
  close(): void {
    this.isClosed = true;
    this.timers.close();
  }

  /** The listener with its connection manager's RDS routes filled in, when known. */
  private withRoutes(config: ListenerConfig): ListenerConfig {
    const name = config.hcm.rdsRouteConfigName;
    const route = name === undefined ? undefined : this.routes.get(name);
    return route === undefined ? config : { ...config, hcm: { ...config.hcm, routeConfig: route.config } };
  }

  private async onLdsUpdate(resources: readonly DecodedResource[], versionInfo: string): Promise<void> {
    const known = this.deps.knownClusterNames();
    const built = resources.map((resource) => {
      const config = buildOrReject('listener(s)', resource.name, resource.json, () =>
        buildListener(resource.json, { path: '' }, { knownClusters: known }),
      );
      if (this.staticByName.has(config.name)) {
        throw new ResourceRejection(
          config.name,
          resource.json,
          `Error adding/updating listener(s) ${config.name}: a static listener of that name exists and cannot be updated or removed via LDS`,
        );
      }
      return { resource, config };
    });
    checkAddresses([...this.deps.staticListeners, ...built.map((b) => b.config)], built);
    const now = this.deps.clock.wallMs();
    const wanted = new Set<string>();
    for (const { resource, config } of built) {
      wanted.add(config.name);
      this.errors.delete(config.name);
      const current = this.warming.get(config.name) ?? this.active.get(config.name);
      if (current !== undefined && sameResource(current.json, resource.json)) continue;
      this.managerScope.counter(this.active.has(config.name) ? 'listener_modified' : 'listener_added').inc();
      const applied: AppliedResource<ListenerConfig> = {
        json: resource.json,
        config,
        versionInfo,
        lastUpdatedMs: now,
      };
      this.warming.get(config.name)?.timer?.cancel();
      this.warming.delete(config.name);
      const routeName = config.hcm.rdsRouteConfigName;
      if (routeName !== undefined && !this.routes.has(routeName)) this.startWarming(applied);
      else await this.activate(applied);
    }
    for (const name of [...this.active.keys(), ...this.warming.keys()]) {
      if (!wanted.has(name)) this.removeListener(name);
    }
    this.ldsStats.accepted(versionInfo, now, resources.length === 0);
    this.ldsVersion = versionInfo;
    this.updateRdsNames();
    this.isLdsInitialFetchDone = true;
    this.publish();
  }

  private onLdsRejected(error: Error): void {
    this.ldsStats.rejected();
    if (error instanceof ResourceRejection) {
      this.errors.set(error.resourceName, {
        failedConfiguration: error.failedConfiguration,
        lastUpdateAttemptMs: this.deps.clock.wallMs(),
        details: error.message,
        versionInfo: this.ldsVersion,
      });
    }
    // LdsApiImpl::onConfigUpdateFailed: initialization continues with what there is.
    this.isLdsInitialFetchDone = true;
    this.condition.changed();
  }

  private startWarming(applied: AppliedResource<ListenerConfig>): void {
    const timeoutMs = applied.config.hcm.rdsConfigSource?.initialFetchTimeoutMs ?? 0;
    const timer =
      timeoutMs > 0
        ? this.timers.set(timeoutMs, async () => {
            const warming = this.warming.get(applied.config.name);
            if (warming === undefined || warming.json !== applied.json) return;
            this.statsForRoute(applied.config).subscription.fetchTimedOut();
            await this.activate(warming);
            this.publish();
          })
        : undefined;
    this.warming.set(applied.config.name, { ...applied, timer });
  }

  private async activate(applied: AppliedResource<ListenerConfig>): Promise<void> {
    const name = applied.config.name;
    this.warming.get(name)?.timer?.cancel();
    this.warming.delete(name);
    const record: AppliedResource<ListenerConfig> = {
      json: applied.json,
      config: applied.config,
      versionInfo: applied.versionInfo,
      lastUpdatedMs: applied.lastUpdatedMs,
    };
    this.active.set(name, record);
    if (this.isServing) await this.bind(record);
  }

  /**
   * Hands a warmed listener to the server. A socket that cannot be bound is logged and counted
   * (`listener_create_failure`); the update was already accepted, so there is nothing to NACK.
   */
  private async bind(applied: AppliedResource<ListenerConfig>): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.deps.target.addOrUpdateListener(this.withRoutes(applied.config));
    } catch (err) {
      log.error({ err, listener: applied.config.name }, 'cannot add listener');
      this.managerScope.counter('listener_create_failure').inc();
      this.active.delete(applied.config.name);
      this.errors.set(applied.config.name, {
        failedConfiguration: applied.json,
        lastUpdateAttemptMs: this.deps.clock.wallMs(),
        details: err instanceof Error ? err.message : String(err),
        versionInfo: applied.versionInfo,
      });
    }
  }

  private removeListener(name: string): void {
    this.warming.get(name)?.timer?.cancel();
    this.warming.delete(name);
    if (this.active.delete(name)) {
      this.managerScope.counter('listener_removed').inc();
      if (this.isServing) this.deps.target.removeListener(name);
    }
  }

  /** Every listener that uses RDS: static, active, warming. */
  private rdsListeners(): ListenerConfig[] {
    return [
      ...this.deps.staticListeners,
      ...[...this.active.values()].map((a) => a.config),
      ...[...this.warming.values()].map((w) => w.config),
    ].filter((l) => l.hcm.rdsRouteConfigName !== undefined);
  }

  /** `http.<stat_prefix>.rds.<route_config_name>.` of the first connection manager naming the route. */
  private statsForRoute(listener: ListenerConfig): RdsStats {
    const routeName = listener.hcm.rdsRouteConfigName ?? '';
    let stats = this.rdsStats.get(routeName);
    if (stats === undefined) {
      const scope = this.deps.stats
        .scope('http')
        .scope(listener.hcm.statPrefix, 'http_conn_manager_prefix')
        .scope('rds')
        .scope(routeName, 'rds_route_config');
      scope.counter('config_reload');
      scope.gauge('config_reload_time_ms');
      stats = { subscription: new SubscriptionStats(scope), scope };
      this.rdsStats.set(routeName, stats);
    }
    return stats;
  }

  private updateRdsNames(): void {
    const users = this.rdsListeners();
    const names = new Set(users.map((l) => l.hcm.rdsRouteConfigName as string));
    for (const name of [...this.routes.keys()]) if (!names.has(name)) this.routes.delete(name);
    for (const name of [...this.rdsStats.keys()]) if (!names.has(name)) this.rdsStats.delete(name);
    for (const listener of users) this.statsForRoute(listener);
    const mux = this.deps.mux;
    if (!mux.isSubscribed(XdsTypeUrl.routeConfiguration)) {
      if (names.size === 0) return;
      mux.subscribe(
        XdsTypeUrl.routeConfiguration,
        {
          onUpdate: (resources, versionInfo) => this.onRdsUpdate(resources, versionInfo),
          onRejected: () => this.onRdsRejected(),
          onConnectionFailure: () => {
            for (const stats of this.rdsStats.values()) stats.subscription.connectionFailure();
          },
        },
        names,
      );
      return;
    }
    mux.setResourceNames(XdsTypeUrl.routeConfiguration, names);
  }

  private async onRdsUpdate(resources: readonly DecodedResource[], versionInfo: string): Promise<void> {
    const known = this.deps.knownClusterNames();
    const built = resources.map((resource) => ({
      resource,
      config: buildOrReject('route configuration', resource.name, resource.json, () =>
        buildRouteConfiguration(
          resource.json,
          { path: '' },
          { knownClusters: known, validateClustersByDefault: false },
        ),
      ),
    }));
    const now = this.deps.clock.wallMs();
    const subscribed = new Set(this.deps.mux.resourceNames(XdsTypeUrl.routeConfiguration));
    for (const { resource, config } of built) {
      if (!subscribed.has(resource.name)) continue;
      const previous = this.routes.get(resource.name);
      this.routes.set(resource.name, { json: resource.json, config, versionInfo, lastUpdatedMs: now });
      const stats = this.rdsStats.get(resource.name);
      stats?.subscription.accepted(versionInfo, now);
      if (previous === undefined || !sameResource(previous.json, resource.json)) {
        stats?.scope.counter('config_reload').inc();
        stats?.scope.gauge('config_reload_time_ms').set(now);
        if (this.isServing) this.deps.target.applyRouteConfiguration(config);
      }
      for (const listener of this.deps.staticListeners) {
        if (listener.hcm.rdsRouteConfigName === resource.name) this.staticWarming.delete(listener.name);
      }
      for (const warming of [...this.warming.values()]) {
        if (warming.config.hcm.rdsRouteConfigName === resource.name) await this.activate(warming);
      }
    }
    this.publish();
  }

  /** RdsRouteConfigSubscription::onConfigUpdateFailed: warming ends, with or without routes. */
  private async onRdsRejected(): Promise<void> {
    for (const stats of this.rdsStats.values()) stats.subscription.rejected();
    this.staticWarming.clear();
    for (const warming of [...this.warming.values()]) await this.activate(warming);
    this.publish();
  }

  private publish(): void {
    this.managerScope.gauge('total_listeners_warming').set(this.warming.size);
    this.condition.changed();
  }
}

/**
 * Two listeners may not share an address (port 0 excepted): Envoy fails to bind the second
 * ("error adding listener: 'b' has duplicate address ... as existing listener 'a'").
 */
function checkAddresses(
  all: readonly ListenerConfig[],
  built: ReadonlyArray<{ resource: DecodedResource; config: ListenerConfig }>,
): void {
  const owners = new Map<string, string>();
  for (const listener of all) {
    if (listener.address.port === 0) continue;
    const key = `${listener.address.address}:${listener.address.port}`;
    const other = owners.get(key);
    if (other !== undefined && other !== listener.name) {
      const json = built.find((b) => b.config.name === listener.name)?.resource.json;
      if (json === undefined) continue;
      throw new ResourceRejection(
        listener.name,
        json,
        `Error adding/updating listener(s) ${listener.name}: error adding listener: '${listener.name}' has duplicate address '${key}' as existing listener '${other}'`,
      );
    }
    owners.set(key, listener.name);
  }
}
