/**
 * `/config_dump` in Envoy's shape (`envoy.admin.v3.ConfigDump`): a list of typed dumps - bootstrap,
 * clusters, listeners, routes - each with the resources as configured (proto field names).
 */
import type { ProxyServer } from '../proxy-server.js';

const typeUrl = (name: string): string => `type.googleapis.com/envoy.admin.v3.${name}`;

function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

export function renderConfigDump(proxy: ProxyServer): unknown {
  const bootstrap = proxy.bootstrap.source;
  const staticResources = (bootstrap['static_resources'] ?? {}) as Record<string, unknown>;
  const lastUpdated = new Date(proxy.startWallMs).toISOString();
  const staticListeners = asArray(staticResources['listeners']);
  const routes: unknown[] = [];
  for (const listener of staticListeners) {
    for (const chain of asArray(listener['filter_chains'])) {
      for (const filter of asArray(chain['filters'])) {
        const typed = filter['typed_config'] as Record<string, unknown> | undefined;
        const routeConfig = typed?.['route_config'];
        if (routeConfig !== undefined) routes.push({ route_config: routeConfig, last_updated: lastUpdated });
      }
    }
  }
  return {
    configs: [
      { '@type': typeUrl('BootstrapConfigDump'), bootstrap, last_updated: lastUpdated },
      {
        '@type': typeUrl('ClustersConfigDump'),
        static_clusters: asArray(staticResources['clusters']).map((cluster) => ({
          cluster,
          last_updated: lastUpdated,
        })),
      },
      {
        '@type': typeUrl('ListenersConfigDump'),
        static_listeners: staticListeners.map((listener) => ({ listener, last_updated: lastUpdated })),
      },
      { '@type': typeUrl('RoutesConfigDump'), static_route_configs: routes },
    ],
  };
}
