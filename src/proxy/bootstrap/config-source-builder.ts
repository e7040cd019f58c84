/**
 * `core.v3.ConfigSource` and `core.v3.ApiConfigSource` as Spillway supports them: every dynamic
 * resource comes over the one ADS stream (`ads: {}`), which is SotW gRPC to a static cluster.
 * Everything else (REST, files, per-type gRPC streams, `self`, xdstp authorities) is rejected with
 * its path, never ignored.
 */
import { ErrorCode } from '../../core/errors.js';
import type { AdsConfig } from '../config/bootstrap-config.js';
import type { ConfigSourceConfig } from '../config/config-source.js';
import type { ConfigNode } from './config-node.js';

/** `ConfigSource.initial_fetch_timeout` when unset (config_source.proto). */
export const defaultInitialFetchTimeoutMs = 15_000;

const specifiers = ['path', 'path_config_source', 'api_config_source', 'ads', 'self'];

/** Envoy's wording when a config source's ApiVersion names the removed v2 API. */
function v2Removed(node: ConfigNode, field: string): Error {
  return node.error(
    ErrorCode.configInvalid,
    `V2 (and AUTO) xDS transport protocol versions are deprecated in ${field}; the v2 xDS major version has been removed and is no longer supported`,
    field,
  );
}

/**
 * A ConfigSource that must be `ads: {}`. `resource_api_version` may be unset (AUTO, which Envoy reads
 * as V3 today) or V3.
 */
export function buildConfigSource(node: ConfigNode): ConfigSourceConfig {
  const specifier = specifiers.find((field) => node.has(field));
  if (specifier === undefined) {
    // SubscriptionFactoryImpl::subscriptionFromConfigSource.
    throw node.error(
      ErrorCode.configInvalid,
      'Missing config source specifier in envoy::config::core::v3::ConfigSource',
    );
  }
  if (specifier !== 'ads') {
    throw node.error(
      ErrorCode.configUnsupported,
      `config source "${specifier}" is not yet supported by Spillway (only ads: {}, with dynamic_resources.ads_config)`,
      specifier,
    );
  }
  node.allowOnly(['ads', 'initial_fetch_timeout', 'resource_api_version']);
  if (node.enumName('resource_api_version', 'AUTO') === 'V2') throw v2Removed(node, 'resource_api_version');
  return { initialFetchTimeoutMs: node.durationMs('initial_fetch_timeout', defaultInitialFetchTimeoutMs) };
}

/**
 * `dynamic_resources.ads_config`. Envoy's rules: GRPC or DELTA_GRPC, transport V3, exactly one
 * gRPC service (`Config::Utility::checkApiConfigSourceNames`); Spillway implements SotW GRPC with
 * an `envoy_grpc` target. `grpc_services[].timeout` bounds unary calls only, so it does not apply to
 * the ADS stream and is accepted and ignored.
 */
export function buildAdsConfig(node: ConfigNode): AdsConfig {
  node.allowOnly(['api_type', 'transport_api_version', 'grpc_services', 'set_node_on_first_message_only']);
  const apiType = node.enumName('api_type', 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE');
  if (apiType === 'DELTA_GRPC' || apiType === 'AGGREGATED_DELTA_GRPC') {
    throw node.error(
      ErrorCode.configUnsupported,
      `api_type ${apiType} (incremental xDS) is not yet supported by Spillway (only GRPC)`,
      'api_type',
    );
  }
  if (apiType !== 'GRPC') {
    throw node.error(
      ErrorCode.configUnsupported,
      `api_type ${apiType} is not supported for ads_config by Spillway (only GRPC)`,
      'api_type',
    );
  }
  if (node.enumName('transport_api_version', 'AUTO') !== 'V3') throw v2Removed(node, 'transport_api_version');
  const services = node.children('grpc_services');
  if (services.length !== 1) {
    throw node.error(
      ErrorCode.configInvalid,
      'envoy::config::core::v3::ApiConfigSource::GRPC must have a single gRPC service specified',
      'grpc_services',
    );
  }
  const service = services[0] as ConfigNode;
  service.allowOnly(['envoy_grpc', 'initial_metadata'], ['timeout']);
  const envoyGrpc = service.child('envoy_grpc');
  if (envoyGrpc === undefined) {
    throw service.error(ErrorCode.configInvalid, 'Spillway needs envoy_grpc as the ADS target', 'envoy_grpc');
  }
  envoyGrpc.allowOnly(['cluster_name', 'authority']);
  const clusterName = envoyGrpc.string('cluster_name');
  const initialMetadata = service.children('initial_metadata').map((entry) => {
    entry.allowOnly(['key', 'value']);
    return { key: entry.string('key'), value: entry.string('value') };
  });
  return {
    clusterName,
    authority: envoyGrpc.string('authority') || clusterName,
    initialMetadata,
    setNodeOnFirstMessageOnly: node.boolean('set_node_on_first_message_only', false),
  };
}
