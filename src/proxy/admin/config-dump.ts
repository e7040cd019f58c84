/**
 * `/config_dump` in Envoy's shape (`envoy.admin.v3.ConfigDump`, api/envoy/admin/v3/config_dump*.proto):
 * bootstrap, clusters, endpoints (only with `?include_eds`, as in Envoy), listeners and routes, each
 * resource as an `Any` (`"@type"` first) with its `last_updated`, and for dynamic resources the
 * `version_info` they arrived with. Warming clusters and listeners are listed apart from active
 * ones; a resource whose last update was rejected carries an `error_state`.
 */
import { XdsTypeUrl } from '../../envoy/xds-resource.js';
import type { ProxyServer } from '../proxy-server.js';
import type { AppliedResource } from '../xds-client/dynamic-clusters.js';
import type { ResourceErrorState } from '../xds-client/resource-rejection.js';

const typeUrl = (name: string): string => `type.googleapis.com/envoy.admin.v3.${name}`;

type Json = Record<string, unknown>;

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function typed(type: string, json: Json): Json {
  const { '@type': _ignored, ...fields } = json;
  return { '@type': type, ...fields };
}

function dynamicEntry(field: string, applied: AppliedResource<unknown>): Json {
  return {
    version_info: applied.versionInfo,
    [field]: applied.json,
    last_updated: iso(applied.lastUpdatedMs),
  };
}

function errorState(error: ResourceErrorState): Json {
  return {
    failed_configuration: error.failedConfiguration,
    last_update_attempt: iso(error.lastUpdateAttemptMs),
    details: error.details,
    version_info: error.versionInfo,
  };
}

/** Inline route configurations of listeners' connection managers (Envoy lists them as static). */
function inlineRoutes(listeners: readonly Json[], lastUpdated: string): Json[] {
  const routes: Json[] = [];
  for (const listener of listeners) {
    for (const chain of asArray(listener['filter_chains'])) {
      for (const filter of asArray(chain['filters'])) {
        const routeConfig = (filter['typed_config'] as Json | undefined)?.['route_config'];
        if (typeof routeConfig === 'object' && routeConfig !== null) {
          routes.push({
            route_config: typed(XdsTypeUrl.routeConfiguration, routeConfig as Json),
            last_updated: lastUpdated,
          });
        }
      }
    }
  }
  return routes;
}

export function renderConfigDump(proxy: ProxyServer, options: { includeEds?: boolean } = {}): unknown {
  const bootstrap = proxy.bootstrap.source;
  const staticResources = (bootstrap['static_resources'] ?? {}) as Json;
  const startedAt = iso(proxy.startWallMs);
  const staticClusters = asArray(staticResources['clusters']);
  const staticListeners = asArray(staticResources['listeners']);
  const xds = proxy.xdsClient;
  const clusters = xds?.clusters;
  const listeners = xds?.listeners;

  const clustersDump: Json = {
    '@type': typeUrl('ClustersConfigDump'),
    ...(clusters !== undefined ? { version_info: clusters.cdsVersionInfo } : {}),
    static_clusters: staticClusters.map((cluster) => ({
      cluster: typed(XdsTypeUrl.cluster, cluster),
      last_updated: startedAt,
    })),
  };
  if (clusters !== undefined) {
    const active: Json[] = [...clusters.active.entries()].map(([name, applied]) => {
      const error = clusters.errors.get(name);
      return {
        ...dynamicEntry('cluster', applied),
        ...(error !== undefined ? { error_state: errorState(error) } : {}),
      };
    });
    // A cluster rejected before it was ever accepted has only its error (Envoy lists it with error_state).
    for (const [name, error] of clusters.errors) {
      if (!clusters.active.has(name) && !clusters.warming.has(name))
        active.push({ error_state: errorState(error) });
    }
    clustersDump['dynamic_active_clusters'] = active;
    clustersDump['dynamic_warming_clusters'] = [...clusters.warming.values()].map((w) =>
      dynamicEntry('cluster', w),
    );
  }

  const configs: Json[] = [
    { '@type': typeUrl('BootstrapConfigDump'), bootstrap, last_updated: startedAt },
    clustersDump,
  ];

  if (options.includeEds === true) {
    const staticEndpoints: Json[] = [];
    for (const cluster of staticClusters) {
      const assignment = cluster['load_assignment'] as Json | undefined;
      if (assignment !== undefined)
        staticEndpoints.push({
          endpoint_config: typed(XdsTypeUrl.clusterLoadAssignment, assignment),
          last_updated: startedAt,
        });
    }
    configs.push({
      '@type': typeUrl('EndpointsConfigDump'),
      static_endpoint_configs: staticEndpoints,
      dynamic_endpoint_configs: [...(clusters?.endpoints.values() ?? [])].map((e) =>
        dynamicEntry('endpoint_config', e),
      ),
    });
  }

  const listenersDump: Json = {
    '@type': typeUrl('ListenersConfigDump'),
    ...(listeners !== undefined ? { version_info: listeners.ldsVersionInfo } : {}),
    static_listeners: staticListeners.map((listener) => ({
      listener: typed(XdsTypeUrl.listener, listener),
      last_updated: startedAt,
    })),
  };
  const dynamicInlineRoutes: Json[] = [];
  if (listeners !== undefined) {
    const names = new Set([
      ...listeners.active.keys(),
      ...listeners.warming.keys(),
      ...listeners.errors.keys(),
    ]);
    listenersDump['dynamic_listeners'] = [...names].sort().map((name) => {
      const active = listeners.active.get(name);
      const warming = listeners.warming.get(name);
      const error = listeners.errors.get(name);
      if (active !== undefined)
        dynamicInlineRoutes.push(...inlineRoutes([active.json], iso(active.lastUpdatedMs)));
      return {
        name,
        ...(active !== undefined ? { active_state: dynamicEntry('listener', active) } : {}),
        ...(warming !== undefined ? { warming_state: dynamicEntry('listener', warming) } : {}),
        ...(error !== undefined ? { error_state: errorState(error) } : {}),
      };
    });
  }
  configs.push(listenersDump);

  const routesDump: Json = {
    '@type': typeUrl('RoutesConfigDump'),
    static_route_configs: [...inlineRoutes(staticListeners, startedAt), ...dynamicInlineRoutes],
  };
  if (listeners !== undefined) {
    routesDump['dynamic_route_configs'] = [...listeners.routes.values()].map((r) =>
      dynamicEntry('route_config', r),
    );
  }
  configs.push(routesDump);
  return { configs };
}
