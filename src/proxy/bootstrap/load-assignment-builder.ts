/**
 * `config.endpoint.v3.ClusterLoadAssignment` (a cluster's `load_assignment`, or an EDS resource).
 * Priorities may have gaps: Envoy creates empty host sets for the missing levels
 * (`PriorityStateManager`, source/common/upstream/upstream_impl.cc), and PGV caps them at 128.
 */
import { ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { makeLocality } from '../../core/locality.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type {
  ClusterLoadAssignmentConfig,
  LbEndpointConfig,
  LocalityLbEndpointsConfig,
} from '../config/cluster-config.js';
import type { EdsHealthStatus } from '../upstream/host.js';
import { ConfigNode } from './config-node.js';
import { buildSocketAddress } from './socket-address-builder.js';

export const clusterLoadAssignmentType = 'envoy.config.endpoint.v3.ClusterLoadAssignment';

/** `policy.overprovisioning_factor` default (endpoint.proto; spec §2.2). */
export const defaultOverprovisioningFactor = 140;

export interface LoadAssignmentBuildOptions {
  /**
   * STRICT_DNS and LOGICAL_DNS clusters resolve hostnames; STATIC clusters and EDS need IP
   * literals ("malformed IP address").
   */
  readonly allowHostnames?: boolean;
}

/** `filter_metadata` of a `core.v3.Metadata`, as plain JSON (typed_filter_metadata is informational). */
export function filterMetadata(node: ConfigNode | undefined): Record<string, unknown> {
  if (node === undefined) return {};
  node.allowOnly(['filter_metadata'], ['typed_filter_metadata']);
  const value = node.json('filter_metadata');
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function buildLbEndpoint(node: ConfigNode, options: LoadAssignmentBuildOptions): LbEndpointConfig {
  node.allowOnly(['endpoint', 'health_status', 'metadata', 'load_balancing_weight']);
  const endpoint = node.child('endpoint');
  if (endpoint === undefined) throw node.error(ErrorCode.configInvalid, 'endpoint is required', 'endpoint');
  endpoint.allowOnly(['address', 'hostname']);
  const address = buildSocketAddress(
    endpoint.child('address'),
    options.allowHostnames !== true,
    endpoint,
    'address',
  );
  if (address.port === 0) {
    // Envoy itself accepts port 0 and then fails every connect; rejecting it at load is a Spillway
    // choice (an endpoint on port 0 can never serve, so it is always a mistake).
    throw endpoint.error(
      ErrorCode.configInvalid,
      'port 0 is not a valid upstream port',
      'address.socket_address.port_value',
    );
  }
  return {
    address,
    hostname: endpoint.string('hostname'),
    healthStatus: node.enumName('health_status', 'UNKNOWN') as EdsHealthStatus,
    weight: node.number('load_balancing_weight', 1),
    metadata: filterMetadata(node.child('metadata')),
  };
}

/** `proximity` is unused by Envoy's load balancers; locality `metadata` is informational. */
function buildLocalityEndpoints(
  node: ConfigNode,
  options: LoadAssignmentBuildOptions,
): LocalityLbEndpointsConfig {
  node.allowOnly(['locality', 'lb_endpoints', 'load_balancing_weight', 'priority'], ['metadata']);
  const locality = node.child('locality');
  locality?.allowOnly(['region', 'zone', 'sub_zone']);
  return {
    locality: makeLocality(
      locality?.string('region') ?? '',
      locality?.string('zone') ?? '',
      locality?.string('sub_zone') ?? '',
    ),
    weight: node.optionalNumber('load_balancing_weight'),
    priority: node.number('priority', 0),
    endpoints: node.children('lb_endpoints').map((endpoint) => buildLbEndpoint(endpoint, options)),
  };
}

/** Builds from a normalized ClusterLoadAssignment node. */
export function buildClusterLoadAssignmentNode(
  node: ConfigNode,
  options: LoadAssignmentBuildOptions = {},
): ClusterLoadAssignmentConfig {
  node.allowOnly(['cluster_name', 'endpoints', 'policy']);
  const policy = node.child('policy');
  policy?.allowOnly(['overprovisioning_factor', 'weighted_priority_health']);
  return {
    clusterName: node.string('cluster_name'),
    localities: node.children('endpoints').map((endpoints) => buildLocalityEndpoints(endpoints, options)),
    overprovisioningFactor:
      policy?.number('overprovisioning_factor', defaultOverprovisioningFactor) ??
      defaultOverprovisioningFactor,
    weightedPriorityHealth: policy?.boolean('weighted_priority_health', false) ?? false,
  };
}

/** Validates and builds a ClusterLoadAssignment (e.g. an EDS resource). */
export function buildClusterLoadAssignment(
  json: unknown,
  location: ConfigLocation,
  options: LoadAssignmentBuildOptions = {},
): ClusterLoadAssignmentConfig {
  return buildClusterLoadAssignmentNode(
    ConfigNode.at(validateResource(clusterLoadAssignmentType, json, location), location),
    options,
  );
}
