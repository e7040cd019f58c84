/**
 * The bodies of the control plane's debug endpoints, computed from what it serves:
 * `/debug/config_dump?proxyID=` in Envoy's `envoy.admin.v3.ConfigDump` shape (what this control
 * plane sends that proxy - istiod's endpoint of the same name), `/debug/syncz` (per proxy and type:
 * version sent and ACKed, last NACK; per Kubernetes cluster: sync state and data age) and
 * `/debug/registryz` (services and their endpoints by cluster and locality).
 */
import { localityKey } from '../core/locality.js';
import { XdsTypeUrl, type XdsResourceSet, type XdsTypeUrl as TypeUrl } from '../envoy/xds-resource.js';
import type { ClusterSyncState, RegistrySnapshot } from '../registry/mesh-model.js';
import type { ConnectedProxy } from '../xds-server/ads-server.js';
import type { ServedProxy } from './control-plane.js';

const adminType = 'type.googleapis.com/envoy.admin.v3.';

function sentVersion(streams: readonly ConnectedProxy[], typeUrl: string): string {
  for (const stream of streams) {
    const status = stream.types.find((t) => t.typeUrl === typeUrl);
    if (status?.versionSent !== undefined && status.versionSent !== '') return status.versionSent;
  }
  return '';
}

function resources(set: XdsResourceSet, typeUrl: TypeUrl): unknown[] {
  return [...(set.get(typeUrl)?.values() ?? [])];
}

/** Envoy's ConfigDump of a served set (dynamic resources only; the proxy's static ones are its own). */
export function configDumpOf(served: ServedProxy, streams: readonly ConnectedProxy[]): unknown {
  const set = served.resources ?? new Map();
  const version = (typeUrl: string): string => sentVersion(streams, typeUrl);
  return {
    configs: [
      {
        '@type': `${adminType}ClustersConfigDump`,
        version_info: version(XdsTypeUrl.cluster),
        dynamic_active_clusters: resources(set, XdsTypeUrl.cluster).map((cluster) => ({
          version_info: version(XdsTypeUrl.cluster),
          cluster,
        })),
      },
      {
        '@type': `${adminType}ListenersConfigDump`,
        version_info: version(XdsTypeUrl.listener),
        dynamic_listeners: resources(set, XdsTypeUrl.listener).map((listener) => ({
          name: (listener as { name?: string }).name ?? '',
          active_state: { version_info: version(XdsTypeUrl.listener), listener },
        })),
      },
      {
        '@type': `${adminType}RoutesConfigDump`,
        dynamic_route_configs: resources(set, XdsTypeUrl.routeConfiguration).map((route_config) => ({
          version_info: version(XdsTypeUrl.routeConfiguration),
          route_config,
        })),
      },
      {
        '@type': `${adminType}EndpointsConfigDump`,
        dynamic_endpoint_configs: resources(set, XdsTypeUrl.clusterLoadAssignment).map((endpoint_config) => ({
          version_info: version(XdsTypeUrl.clusterLoadAssignment),
          endpoint_config,
        })),
      },
    ],
  };
}

const typeShort: Record<string, string> = {
  [XdsTypeUrl.cluster]: 'cds',
  [XdsTypeUrl.clusterLoadAssignment]: 'eds',
  [XdsTypeUrl.listener]: 'lds',
  [XdsTypeUrl.routeConfiguration]: 'rds',
};

export function synczOf(
  served: readonly ServedProxy[],
  streams: readonly ConnectedProxy[],
  clusters: readonly ClusterSyncState[],
  nowWallMs: number,
): unknown {
  return {
    clusters: clusters.map((state) => ({
      ...state,
      ...(state.lastUpdateWallMs !== undefined
        ? { dataAgeSeconds: Math.max(0, (nowWallMs - state.lastUpdateWallMs) / 1000) }
        : {}),
    })),
    proxies: served.map((proxy) => {
      const own = streams.filter((s) => s.proxyKey === proxy.proxyKey);
      const types: Record<string, unknown> = {};
      for (const stream of own) {
        for (const status of stream.types) {
          const short = typeShort[status.typeUrl] ?? status.typeUrl;
          types[short] = {
            sent: status.versionSent,
            acked: status.versionAcked,
            status: status.isNacked
              ? 'NACKED'
              : status.versionSent === status.versionAcked
                ? 'SYNCED'
                : 'STALE',
            ...(status.lastNack !== undefined ? { lastNack: status.lastNack } : {}),
          };
        }
      }
      return {
        proxy: proxy.proxyKey,
        clusterId: proxy.context?.clusterId ?? '',
        namespace: proxy.context?.namespace ?? '',
        type: proxy.context?.type ?? '',
        locality: proxy.context === undefined ? '' : localityKey(proxy.context.locality),
        streams: own.length,
        ...(proxy.lastError !== undefined ? { error: proxy.lastError } : {}),
        xds: types,
      };
    }),
  };
}

export function registryzOf(snapshot: RegistrySnapshot): unknown {
  return {
    version: snapshot.version,
    services: [...snapshot.services.values()].map((service) => ({
      hostname: service.hostname,
      ports: service.ports.map((p) => ({ name: p.name, port: p.port })),
      clusters: [...service.clusters.keys()],
      endpoints: (snapshot.endpoints.get(service.hostname) ?? []).map((e) => ({
        address: `${e.address}:${e.endpointPort}`,
        port: e.servicePortName,
        cluster: e.clusterId,
        network: e.network,
        locality: localityKey(e.locality),
        health: e.health,
        ...(e.podName !== undefined ? { pod: e.podName } : {}),
      })),
    })),
  };
}
