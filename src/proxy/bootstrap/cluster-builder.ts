/**
 * `config.cluster.v3.Cluster` -> `ClusterConfig`, with the defaults and load-time checks of Envoy's
 * `ClusterInfoImpl` and cluster factories (source/common/upstream/upstream_impl.cc,
 * source/extensions/clusters/*).
 */
import { ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type {
  CircuitBreakerThresholds,
  ClusterConfig,
  DiscoveryType,
  LbPolicy,
} from '../config/cluster-config.js';
import type { ConfigSourceConfig } from '../config/config-source.js';
import { ConfigNode } from './config-node.js';
import { buildConfigSource } from './config-source-builder.js';
import { defaultBufferLimitBytes } from './listener-builder.js';
import {
  buildClusterLoadAssignmentNode,
  defaultOverprovisioningFactor,
  filterMetadata,
} from './load-assignment-builder.js';
import { buildOutlierDetection } from './outlier-detection-builder.js';
import { buildUpstreamProtocol } from './upstream-protocol-builder.js';

export const clusterType = 'envoy.config.cluster.v3.Cluster';

const supportedTypes: readonly DiscoveryType[] = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS'];
const supportedLbPolicies: readonly LbPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM'];
const dnsLookupFamilies = ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'] as const;

/** `ResourceManagerImpl` defaults (source/common/upstream/resource_manager_impl.h, cluster.proto). */
const defaultThresholds: CircuitBreakerThresholds = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
  trackRemaining: false,
};

/**
 * One priority's thresholds. Envoy takes the FIRST entry with that priority
 * (`ClusterInfoImpl::ResourceManagers::load` uses find_if).
 */
function buildThresholds(
  node: ConfigNode | undefined,
  priority: 'DEFAULT' | 'HIGH',
): CircuitBreakerThresholds {
  const entry = node?.children('thresholds').find((t) => t.enumName('priority', 'DEFAULT') === priority);
  if (entry === undefined) return defaultThresholds;
  entry.allowOnly([
    'priority',
    'max_connections',
    'max_pending_requests',
    'max_requests',
    'max_retries',
    'track_remaining',
  ]);
  return {
    maxConnections: entry.number('max_connections', defaultThresholds.maxConnections),
    maxPendingRequests: entry.number('max_pending_requests', defaultThresholds.maxPendingRequests),
    maxRequests: entry.number('max_requests', defaultThresholds.maxRequests),
    maxRetries: entry.number('max_retries', defaultThresholds.maxRetries),
    trackRemaining: entry.boolean('track_remaining', false),
  };
}

/**
 * `CommonLbConfig.healthy_panic_threshold` is a `Percent` (double); Envoy converts it with
 * `ProtobufPercentHelper::convertPercent`, i.e. `100 * (value / 100.0)` truncated to an integer.
 */
function panicThresholdPct(common: ConfigNode | undefined): number {
  const percent = common?.child('healthy_panic_threshold');
  if (percent === undefined) return 50;
  percent.allowOnly(['value']);
  return Math.trunc(100 * (percent.number('value', 0) / 100));
}

function buildLbPolicy(node: ConfigNode): { lbPolicy: LbPolicy; choiceCount: number } {
  const lbPolicy = node.enumName('lb_policy', 'ROUND_ROBIN') as LbPolicy;
  if (!supportedLbPolicies.includes(lbPolicy)) {
    throw node.error(
      ErrorCode.configUnsupported,
      `lb_policy ${lbPolicy} is not yet supported by Spillway`,
      'lb_policy',
    );
  }
  // Only empty round_robin_lb_config is accepted: its fields (slow start, locality LB) are unsupported.
  node.child('round_robin_lb_config')?.allowOnly([]);
  const leastRequest = node.child('least_request_lb_config');
  leastRequest?.allowOnly(['choice_count']);
  return { lbPolicy, choiceCount: leastRequest?.number('choice_count', 2) ?? 2 };
}

interface DiscoverySettings {
  readonly type: DiscoveryType;
  readonly edsServiceName: string | undefined;
  readonly edsConfig: ConfigSourceConfig | undefined;
}

function buildDiscoveryType(node: ConfigNode): DiscoverySettings {
  const type = node.enumName('type', 'STATIC') as DiscoveryType;
  if (!supportedTypes.includes(type))
    throw node.error(
      ErrorCode.configUnsupported,
      `cluster type ${type} is not yet supported by Spillway`,
      'type',
    );
  const eds = node.child('eds_cluster_config');
  if (eds !== undefined && type !== 'EDS')
    throw node.error(
      ErrorCode.configInvalid,
      'eds_cluster_config set in a non-EDS cluster',
      'eds_cluster_config',
    );
  if (type !== 'EDS') return { type, edsServiceName: undefined, edsConfig: undefined };
  if (eds === undefined) {
    throw node.error(
      ErrorCode.configInvalid,
      'an EDS cluster needs eds_cluster_config (where its endpoints come from)',
      'eds_cluster_config',
    );
  }
  eds.allowOnly(['service_name', 'eds_config']);
  const source = eds.child('eds_config');
  if (source === undefined) {
    // EdsClusterImpl subscribes with eds_config; an unset one has no specifier.
    throw eds.error(
      ErrorCode.configInvalid,
      'Missing config source specifier in envoy::config::core::v3::ConfigSource',
      'eds_config',
    );
  }
  const edsConfig = buildConfigSource(source);
  if (node.has('load_assignment')) {
    throw node.error(
      ErrorCode.configUnsupported,
      'load_assignment on an EDS cluster is not yet supported by Spillway',
      'load_assignment',
    );
  }
  return { type, edsServiceName: eds.string('service_name') || node.string('name'), edsConfig };
}

/**
 * Builds from a normalized Cluster node. Accepted and ignored: `respect_dns_ttl` (only shortens or
 * lengthens DNS refresh), `cleanup_interval` (ORIGINAL_DST only), `wait_for_warm_on_init` (startup
 * ordering), `common_lb_config.update_merge_window` (batching of host updates).
 */
export function buildClusterNode(node: ConfigNode): ClusterConfig {
  node.allowOnly(
    [
      'name',
      'alt_stat_name',
      'type',
      'eds_cluster_config',
      'connect_timeout',
      'per_connection_buffer_limit_bytes',
      'lb_policy',
      'load_assignment',
      'max_requests_per_connection',
      'circuit_breakers',
      'common_http_protocol_options',
      'http_protocol_options',
      'http2_protocol_options',
      'typed_extension_protocol_options',
      'dns_refresh_rate',
      'dns_lookup_family',
      'outlier_detection',
      'least_request_lb_config',
      'round_robin_lb_config',
      'common_lb_config',
      'metadata',
      'close_connections_on_host_health_failure',
    ],
    ['respect_dns_ttl', 'cleanup_interval', 'wait_for_warm_on_init'],
  );
  const name = node.string('name');
  const { type, edsServiceName, edsConfig } = buildDiscoveryType(node);
  const { lbPolicy, choiceCount } = buildLbPolicy(node);
  const common = node.child('common_lb_config');
  common?.allowOnly(['healthy_panic_threshold', 'locality_weighted_lb_config'], ['update_merge_window']);
  common?.child('locality_weighted_lb_config')?.allowOnly([]);
  const breakers = node.child('circuit_breakers');
  breakers?.allowOnly(['thresholds']);
  const assignmentNode = node.child('load_assignment');
  const loadAssignment =
    assignmentNode === undefined
      ? {
          clusterName: edsServiceName ?? name,
          localities: [],
          overprovisioningFactor: defaultOverprovisioningFactor,
          weightedPriorityHealth: false,
        }
      : buildClusterLoadAssignmentNode(assignmentNode, {
          allowHostnames: type === 'STRICT_DNS' || type === 'LOGICAL_DNS',
        });
  if (type === 'LOGICAL_DNS') {
    const only =
      loadAssignment.localities.length === 1 && loadAssignment.localities[0]?.endpoints.length === 1;
    if (!only) {
      throw node.error(
        ErrorCode.configInvalid,
        assignmentNode === undefined
          ? 'LOGICAL_DNS clusters must have a single host'
          : 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
        assignmentNode === undefined ? undefined : 'load_assignment',
      );
    }
  }
  const outlier = node.child('outlier_detection');
  const protocol = buildUpstreamProtocol(node);
  const family = node.enumName('dns_lookup_family', 'AUTO');
  return {
    name,
    // Istio writes alt_stat_name with a trailing ';' that ends the stat tag; the scope drops it.
    statName: node.string('alt_stat_name').replace(/;$/, '') || name,
    type,
    edsServiceName,
    edsConfig,
    connectTimeoutMs: node.durationMs('connect_timeout', 5000),
    lbPolicy,
    leastRequestChoiceCount: choiceCount,
    healthyPanicThresholdPct: panicThresholdPct(common),
    localityWeightedLb: common?.has('locality_weighted_lb_config') ?? false,
    loadAssignment,
    circuitBreakers: {
      default: buildThresholds(breakers, 'DEFAULT'),
      high: buildThresholds(breakers, 'HIGH'),
    },
    outlierDetection: outlier === undefined ? undefined : buildOutlierDetection(outlier),
    ...protocol,
    dnsRefreshRateMs: node.durationMs('dns_refresh_rate', 5000),
    dnsLookupFamily: dnsLookupFamilies.find((f) => f === family) ?? 'AUTO',
    perConnectionBufferLimitBytes: node.number('per_connection_buffer_limit_bytes', defaultBufferLimitBytes),
    metadata: filterMetadata(node.child('metadata')),
    closeConnectionsOnHostHealthFailure: node.boolean('close_connections_on_host_health_failure', false),
  };
}

/** Validates and builds a Cluster (bootstrap static cluster, or a CDS resource). */
export function buildCluster(json: unknown, location: ConfigLocation): ClusterConfig {
  return buildClusterNode(ConfigNode.at(validateResource(clusterType, json, location), location));
}
