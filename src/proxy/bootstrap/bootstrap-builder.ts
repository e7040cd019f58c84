/**
 * `config.bootstrap.v3.Bootstrap` -> `BootstrapConfig`: schema validation against Envoy's protos,
 * then the per-resource builders, then the cross-resource checks Envoy makes while loading a static
 * bootstrap (duplicate clusters in `ClusterManagerImpl`, duplicate listeners, routes to unknown
 * clusters).
 */
import { ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { makeLocality } from '../../core/locality.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type {
  AdminConfig,
  BootstrapConfig,
  DynamicResourcesConfig,
  NodeConfig,
} from '../config/bootstrap-config.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { ListenerConfig } from '../config/listener-config.js';
import { buildAccessLog } from './access-log-builder.js';
import { buildClusterNode } from './cluster-builder.js';
import type { StatsMatcherConfig } from '../stats/stats-matcher.js';
import { ConfigNode } from './config-node.js';
import { buildStringMatcher } from './matcher-builder.js';
import { buildAdsConfig, buildConfigSource } from './config-source-builder.js';
import { buildListenerNode } from './listener-builder.js';
import { buildSocketAddress } from './socket-address-builder.js';

export const bootstrapType = 'envoy.config.bootstrap.v3.Bootstrap';

/**
 * `node`. The user-agent fields, `extensions`, `client_features` and the deprecated
 * `listening_addresses` only describe this proxy to an xDS server: they travel in `wire`, as they do
 * in Envoy's requests.
 */
function buildNodeConfig(node: ConfigNode | undefined): NodeConfig {
  node?.allowOnly(
    ['id', 'cluster', 'locality', 'metadata'],
    [
      'user_agent_name',
      'user_agent_version',
      'user_agent_build_version',
      'extensions',
      'client_features',
      'listening_addresses',
    ],
  );
  const locality = node?.child('locality');
  locality?.allowOnly(['region', 'zone', 'sub_zone']);
  const metadata = node?.json('metadata');
  return {
    id: node?.string('id') ?? '',
    cluster: node?.string('cluster') ?? '',
    locality: makeLocality(
      locality?.string('region') ?? '',
      locality?.string('zone') ?? '',
      locality?.string('sub_zone') ?? '',
    ),
    metadata: typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {},
    wire: { ...(node?.value ?? {}) },
  };
}

/**
 * `admin`. Without an address Envoy starts no admin server, so the result is undefined.
 * `profile_path` (CPU profiler output) and `ignore_global_conn_limit` (Spillway has no global
 * connection limit) are accepted and ignored. The deprecated `access_log_path` is a file log.
 */
function buildAdmin(node: ConfigNode | undefined): AdminConfig | undefined {
  if (node === undefined) return undefined;
  node.allowOnly(['address', 'access_log', 'access_log_path'], ['profile_path', 'ignore_global_conn_limit']);
  if (!node.has('address')) return undefined;
  const accessLogs = node.children('access_log').map(buildAccessLog);
  const path = node.optionalString('access_log_path');
  if (path !== undefined)
    accessLogs.push({ name: 'envoy.access_loggers.file', sink: { kind: 'file', path }, format: undefined });
  return { address: buildSocketAddress(node.child('address'), true, node, 'address'), accessLogs };
}

/** A runtime with no keys changes nothing; any key (or a non-static layer) would. */
function checkLayeredRuntime(node: ConfigNode | undefined): void {
  if (node === undefined) return;
  node.allowOnly(['layers']);
  for (const layer of node.children('layers')) {
    layer.allowOnly(['name', 'static_layer']);
    const keys = layer.json('static_layer');
    if (typeof keys !== 'object' || keys === null || Object.keys(keys).length > 0) {
      throw layer.error(
        ErrorCode.configUnsupported,
        'runtime keys are not yet supported by Spillway (only empty static layers are accepted)',
        'static_layer',
      );
    }
  }
}

function outlierEventLogPath(node: ConfigNode | undefined): string | undefined {
  node?.allowOnly(['outlier_detection']);
  const outlier = node?.child('outlier_detection');
  outlier?.allowOnly(['event_log_path']);
  return outlier?.optionalString('event_log_path');
}

function checkUniqueClusters(clusterNodes: readonly ConfigNode[], clusters: readonly ClusterConfig[]): void {
  const seen = new Set<string>();
  clusters.forEach((cluster, i) => {
    if (seen.has(cluster.name)) {
      throw (clusterNodes[i] as ConfigNode).error(
        ErrorCode.configInvalid,
        `cluster manager: duplicate cluster '${cluster.name}'`,
        'name',
      );
    }
    seen.add(cluster.name);
  });
}

/**
 * Envoy silently keeps only the first of two static listeners with one name (the second is a
 * blocked "update", `ListenerManagerImpl::addOrUpdateListenerInternal`) and fails to bind the second
 * of two listeners on one address; both are rejected here, at load. Port 0 binds an ephemeral port,
 * so it never collides.
 */
function checkUniqueListeners(
  listenerNodes: readonly ConfigNode[],
  listeners: readonly ListenerConfig[],
): void {
  const names = new Set<string>();
  const addresses = new Map<string, string>();
  listeners.forEach((listener, i) => {
    const node = listenerNodes[i] as ConfigNode;
    if (names.has(listener.name))
      throw node.error(ErrorCode.configInvalid, `duplicate listener name '${listener.name}'`, 'name');
    names.add(listener.name);
    if (listener.address.port === 0) return;
    const key = `${listener.address.address}:${listener.address.port}`;
    const other = addresses.get(key);
    if (other !== undefined) {
      throw node.error(
        ErrorCode.configInvalid,
        `error adding listener: '${listener.name}' has duplicate address '${key}' as existing listener '${other}'`,
        'address',
      );
    }
    addresses.set(key, listener.name);
  });
}

/**
 * `dynamic_resources`: ADS (SotW gRPC) for CDS and LDS. The ADS target must be a static cluster that
 * is not EDS (`Config::Utility::checkApiConfigSourceSubscriptionBackingCluster`); a config source
 * saying `ads: {}` without an `ads_config` is Envoy's NullGrpcMux error.
 */
function buildDynamicResources(
  node: ConfigNode | undefined,
  clusters: readonly ClusterConfig[],
): DynamicResourcesConfig | undefined {
  if (node === undefined) return undefined;
  node.allowOnly(['ads_config', 'cds_config', 'lds_config']);
  const adsNode = node.child('ads_config');
  const ads = adsNode === undefined ? undefined : buildAdsConfig(adsNode);
  if (ads !== undefined && adsNode !== undefined) {
    const backing = clusters.find((c) => c.name === ads.clusterName);
    if (backing === undefined || backing.type === 'EDS') {
      throw adsNode.error(
        ErrorCode.configInvalid,
        `envoy::config::core::v3::ApiConfigSource must have a statically defined non-EDS cluster: '${ads.clusterName}' does not exist, was added via api, or is an EDS cluster`,
        'grpc_services[0].envoy_grpc.cluster_name',
      );
    }
  }
  const cdsNode = node.child('cds_config');
  const ldsNode = node.child('lds_config');
  const cds = cdsNode === undefined ? undefined : buildConfigSource(cdsNode);
  const lds = ldsNode === undefined ? undefined : buildConfigSource(ldsNode);
  if (ads === undefined && (cdsNode !== undefined || ldsNode !== undefined)) {
    throw node.error(
      ErrorCode.configInvalid,
      adsMissing,
      cdsNode !== undefined ? 'cds_config.ads' : 'lds_config.ads',
    );
  }
  return { ads, cds, lds };
}

/** Envoy `NullGrpcMuxImpl::addWatch`. */
const adsMissing = 'ADS must be configured to support an ADS config source';

/**
 * Static EDS clusters and static listeners with RDS subscribe over ADS too (Envoy's secondary
 * clusters and RDS providers), so they need an `ads_config`.
 */
function checkAdsUsers(
  hasAds: boolean,
  clusterNodes: readonly ConfigNode[],
  clusters: readonly ClusterConfig[],
  listenerNodes: readonly ConfigNode[],
  listeners: readonly ListenerConfig[],
): void {
  if (hasAds) return;
  clusters.forEach((cluster, i) => {
    if (cluster.type === 'EDS')
      throw (clusterNodes[i] as ConfigNode).error(
        ErrorCode.configInvalid,
        adsMissing,
        'eds_cluster_config.eds_config.ads',
      );
  });
  listeners.forEach((listener, i) => {
    if (listener.hcm.rdsRouteConfigName !== undefined)
      throw (listenerNodes[i] as ConfigNode).error(
        ErrorCode.configInvalid,
        adsMissing,
        'filter_chains[0].filters[0].typed_config.rds.config_source.ads',
      );
  });
}

/** Builds the typed configuration of a whole bootstrap (document 0 of `source.file`). */
export function buildBootstrap(json: unknown, source: { file?: string }): BootstrapConfig {
  const location: ConfigLocation = { documentIndex: 0, path: '' };
  if (source.file !== undefined) location.file = source.file;
  const normalized = validateResource(bootstrapType, json, location);
  const root = ConfigNode.at(normalized, location);
  root.allowOnly([
    'node',
    'static_resources',
    'dynamic_resources',
    'admin',
    'cluster_manager',
    'layered_runtime',
    'stats_config',
  ]);
  checkLayeredRuntime(root.child('layered_runtime'));
  const statics = root.child('static_resources');
  statics?.allowOnly(['listeners', 'clusters']);
  const clusterNodes = statics?.children('clusters') ?? [];
  const clusters = clusterNodes.map(buildClusterNode);
  checkUniqueClusters(clusterNodes, clusters);
  const knownClusters = new Set(clusters.map((c) => c.name));
  const listenerNodes = statics?.children('listeners') ?? [];
  const listeners = listenerNodes.map((listener) => buildListenerNode(listener, { knownClusters }));
  checkUniqueListeners(listenerNodes, listeners);
  const dynamicResources = buildDynamicResources(root.child('dynamic_resources'), clusters);
  checkAdsUsers(dynamicResources?.ads !== undefined, clusterNodes, clusters, listenerNodes, listeners);
  return {
    node: buildNodeConfig(root.child('node')),
    admin: buildAdmin(root.child('admin')),
    listeners,
    clusters,
    outlierEventLogPath: outlierEventLogPath(root.child('cluster_manager')),
    dynamicResources,
    statsMatcher: buildStatsMatcher(root.child('stats_config')),
    source: normalized,
  };
}

/**
 * `stats_config`: only `stats_matcher` (Istio's bootstrap also sets `stats_tags` and
 * `use_all_default_tags`; Spillway derives its tags structurally, see ADR 0003, and rejects them).
 */
function buildStatsMatcher(node: ConfigNode | undefined): StatsMatcherConfig | undefined {
  node?.allowOnly(['stats_matcher']);
  const matcher = node?.child('stats_matcher');
  if (matcher === undefined) return undefined;
  matcher.allowOnly(['reject_all', 'exclusion_list', 'inclusion_list']);
  if (matcher.boolean('reject_all', false)) return { kind: 'reject_all' };
  for (const kind of ['inclusion_list', 'exclusion_list'] as const) {
    const list = matcher.child(kind);
    if (list === undefined) continue;
    list.allowOnly(['patterns']);
    return { kind, patterns: list.children('patterns').map(buildStringMatcher) };
  }
  // `reject_all: false` alone: the oneof is set and rejects nothing.
  return undefined;
}
