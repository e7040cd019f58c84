/**
 * `/debug/explainz?proxyID=<id>&cluster=<name>`: why the control plane gave one proxy one cluster
 * the way it did - the DestinationRule (and the rules merged into it), which of its fields turned on
 * outlier detection and locality failover, how the endpoints were put into priorities and why, the
 * VirtualService routes that send traffic to the cluster, and the endpoints behind it with their pods.
 * Istio has no such endpoint; `istioctl x describe` derives the same facts client-side from the
 * cluster's config. Here they come from the translation itself (`TranslationExplanation`), so they
 * match what the proxy was actually sent. `spillway explain` reads it.
 */
import { localityKey } from '../core/locality.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import type { RegistrySnapshot } from '../registry/mesh-model.js';
import type { ConfigRef } from '../translate/config-index.js';
import type { ServedProxy } from './control-plane.js';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `outbound|<port>|<subset>|<host>` -> its parts (Istio `model.ParseSubsetKey`). */
function parseClusterName(name: string): { port: number; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  return { port: Number(parts[1]), subset: parts[2] ?? '', host: parts[3] ?? '' };
}

/** The DestinationRule field path of the effective outlier detection (traffic-policy.ts's `from`). */
function outlierDetectionField(from: string, subset: string | undefined, port: number): string {
  const portLevel = `portLevelSettings[port.number=${port}]`;
  switch (from) {
    case 'port':
      return `spec.trafficPolicy.${portLevel}.outlierDetection`;
    case 'subset':
      return `spec.subsets[name=${subset ?? ''}].trafficPolicy.outlierDetection`;
    case 'subset-port':
      return `spec.subsets[name=${subset ?? ''}].trafficPolicy.${portLevel}.outlierDetection`;
    default:
      return 'spec.trafficPolicy.outlierDetection';
  }
}

/** Routes of the served route configurations that send to `cluster`, with the VirtualService that made each. */
function routesTo(served: ServedProxy, cluster: string): Json[] {
  const out: Json[] = [];
  const routeConfigs = served.resources?.get(XdsTypeUrl.routeConfiguration);
  for (const [routeConfigName, rc] of routeConfigs ?? []) {
    const vhosts = Array.isArray(rc['virtual_hosts']) ? rc['virtual_hosts'] : [];
    for (const vh of vhosts) {
      if (!isRecord(vh)) continue;
      const routes = Array.isArray(vh['routes']) ? vh['routes'] : [];
      for (const route of routes) {
        if (!isRecord(route) || !isRecord(route['route'])) continue;
        const action = route['route'];
        const weighted = isRecord(action['weighted_clusters']) ? action['weighted_clusters']['clusters'] : [];
        const weights = Array.isArray(weighted) ? weighted.filter(isRecord) : [];
        const weight = weights.find((w) => w['name'] === cluster)?.['weight'];
        if (action['cluster'] !== cluster && weight === undefined) continue;
        const meta = isRecord(route['metadata']) ? route['metadata']['filter_metadata'] : undefined;
        const istio = isRecord(meta) && isRecord(meta['istio']) ? meta['istio'] : undefined;
        out.push({
          routeConfig: routeConfigName,
          virtualHost: typeof vh['name'] === 'string' ? vh['name'] : '',
          route: typeof route['name'] === 'string' ? route['name'] : '',
          ...(typeof istio?.['config'] === 'string' ? { virtualService: istio['config'] } : {}),
          ...(typeof weight === 'number' ? { weight } : {}),
        });
      }
    }
  }
  return out;
}

const refJson = (ref: ConfigRef): Json => ({
  kind: ref.kind,
  namespace: ref.namespace,
  name: ref.name,
  path: ref.path,
});

/**
 * The body for one served proxy and cluster name. An unknown cluster gives `found: false` with the
 * outbound cluster names the proxy does have; a proxy whose configuration was never computed gives
 * `found: false` with the reason.
 */
export function explainzOf(served: ServedProxy, cluster: string, registry: RegistrySnapshot): unknown {
  const explanation = served.explanation;
  const context = served.context;
  if (explanation === undefined) {
    return {
      proxy: {
        id: served.proxyKey,
        ...(served.lastError !== undefined ? { lastError: served.lastError } : {}),
      },
      cluster,
      found: false,
      reason: 'no configuration has been computed for this proxy yet',
      knownClusters: [],
    };
  }
  const proxy = {
    id: served.proxyKey,
    clusterId: context?.clusterId ?? '',
    namespace: explanation.proxy.namespace,
    locality: explanation.proxy.locality,
    flavor: explanation.proxy.flavor,
    ...(served.computedAtWallMs !== undefined
      ? { computedAt: new Date(served.computedAtWallMs).toISOString() }
      : {}),
    ...(served.lastError !== undefined ? { lastError: served.lastError } : {}),
  };
  const clusterExplanation = explanation.clusters.get(cluster);
  if (clusterExplanation === undefined) {
    return {
      proxy,
      cluster,
      found: false,
      knownClusters: [...explanation.clusters.keys()].filter((n) => n.startsWith('outbound|')).sort(),
    };
  }
  const parsed = parseClusterName(cluster);
  const assignment = explanation.assignments.get(cluster);
  const endpoints = (parsed === undefined ? [] : (registry.endpoints.get(parsed.host) ?? []))
    .filter((e) => parsed === undefined || e.servicePort === parsed.port)
    .map((e) => ({
      address: e.address,
      port: e.endpointPort,
      ...(e.podName !== undefined ? { pod: e.podName } : {}),
      namespace: e.namespace,
      cluster: e.clusterId,
      locality: localityKey(e.locality),
      health: e.health,
    }));
  const od = clusterExplanation.outlierDetectionFrom;
  return {
    proxy,
    cluster,
    found: true,
    destinationRule:
      clusterExplanation.destinationRule === undefined ? null : refJson(clusterExplanation.destinationRule),
    mergedFrom: clusterExplanation.mergedFrom.map(refJson),
    subset: clusterExplanation.subset ?? null,
    outlierDetection:
      od === undefined
        ? null
        : {
            from: od,
            field: outlierDetectionField(od, clusterExplanation.subset, parsed?.port ?? 0),
            applied: clusterExplanation.outlierDetectionApplied,
          },
    localityLb: {
      source: clusterExplanation.localityLb,
      failoverEnabled: clusterExplanation.failoverEnabled,
    },
    assignment: assignment === undefined ? null : { ...assignment },
    routes: routesTo(served, cluster),
    endpoints,
  };
}
