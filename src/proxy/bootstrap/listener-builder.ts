/**
 * `config.listener.v3.Listener` with one filter chain holding one HTTP connection manager, resolved
 * with the defaults of Envoy's `HttpConnectionManagerConfig`
 * (source/extensions/filters/network/http_connection_manager/config.cc).
 */
import { ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type { HttpFilterConfig } from '../config/filter-config.js';
import type { HttpConnectionManagerConfig, ListenerConfig } from '../config/listener-config.js';
import { buildAccessLog } from './access-log-builder.js';
import { ConfigNode } from './config-node.js';
import { buildConfigSource } from './config-source-builder.js';
import { buildFaultConfig, faultFilterType } from './fault-config-builder.js';
import {
  buildIstioStatsConfig,
  buildPeerMetadataConfig,
  istioStatsType,
  peerMetadataType,
  typedStructTypes,
  unwrapPeerMetadataConfig,
} from './istio-filter-builder.js';
import { buildRouteConfigurationNode, type RouteBuildOptions } from './route-config-builder.js';
import { buildSocketAddress } from './socket-address-builder.js';

export const listenerType = 'envoy.config.listener.v3.Listener';
const hcmType = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerType = 'envoy.extensions.filters.http.router.v3.Router';
const hcmName = 'envoy.filters.network.http_connection_manager';
const routerName = 'envoy.filters.http.router';
const faultName = 'envoy.filters.http.fault';

/** Envoy's default `per_connection_buffer_limit_bytes` (1 MiB) for listeners and clusters. */
export const defaultBufferLimitBytes = 1024 * 1024;
const defaultMaxConcurrentStreams = 2_147_483_647;

/**
 * Chooses the HTTP filter implementation by typed_config type, falling back to the filter name when
 * there is no typed_config (`Config::Utility::getAndCheckFactory`).
 */
function buildHttpFilter(node: ConfigNode, isLast: boolean): HttpFilterConfig {
  // `is_optional` only matters for filters Envoy does not know; all of ours are known.
  node.allowOnly(['name', 'typed_config'], ['is_optional']);
  const name = node.string('name');
  const typed = node.child('typed_config');
  const kind =
    typed !== undefined
      ? typed.anyTypeName()
      : name === routerName
        ? routerType
        : name === faultName
          ? faultFilterType
          : '';
  const isTerminal = kind === routerType;
  // Config::Utility::validateTerminalFilters.
  if (isTerminal && !isLast) {
    throw node.error(
      ErrorCode.configInvalid,
      `Error: terminal filter named ${name} of type ${routerName} must be the last filter in a http filter chain.`,
    );
  }
  if (kind === faultFilterType) {
    if (isLast)
      throw node.error(
        ErrorCode.configInvalid,
        `Error: non-terminal filter named ${name} of type ${faultName} is the last filter in a http filter chain.`,
      );
    return {
      kind: 'fault',
      name,
      config: buildFaultConfig(typed ?? new ConfigNode({}, node.path, node.source)),
    };
  }
  if (isTerminal) return { kind: 'router', name };
  if (typed !== undefined && kind === istioStatsType) {
    return { kind: 'istio_stats', name, config: buildIstioStatsConfig(typed) };
  }
  if (typed !== undefined && (kind === peerMetadataType || typedStructTypes.includes(kind))) {
    return { kind: 'peer_metadata', name, config: buildPeerMetadataConfig(unwrapPeerMetadataConfig(typed)) };
  }
  const what = typed === undefined ? JSON.stringify(name) : typed.string('@type');
  throw node.error(
    ErrorCode.configUnsupported,
    `HTTP filter ${what} is not yet supported by Spillway (only ${faultName}, istio.metadata_exchange, istio.stats and ${routerName})`,
  );
}

/** `start_child_span` only shapes tracing spans, which Spillway does not emit. */
function routerSuppressesEnvoyHeaders(filters: readonly ConfigNode[]): boolean {
  const router = filters.at(-1)?.child('typed_config');
  if (router === undefined) return false;
  router.allowOnly(['suppress_envoy_headers', 'dynamic_stats'], ['start_child_span']);
  if (!router.boolean('dynamic_stats', true)) {
    throw router.error(
      ErrorCode.configUnsupported,
      'dynamic_stats: false is not yet supported by Spillway',
      'dynamic_stats',
    );
  }
  return router.boolean('suppress_envoy_headers', false);
}

function buildHttpConnectionManager(
  node: ConfigNode,
  options: RouteBuildOptions,
  trafficDirection: HttpConnectionManagerConfig['trafficDirection'],
): HttpConnectionManagerConfig {
  node.allowOnly([
    'stat_prefix',
    'codec_type',
    'server_name',
    'server_header_transformation',
    'rds',
    'route_config',
    'http_filters',
    'access_log',
    'generate_request_id',
    'preserve_external_request_id',
    'use_remote_address',
    'xff_num_trusted_hops',
    'skip_xff_append',
    'via',
    'request_timeout',
    'stream_idle_timeout',
    'common_http_protocol_options',
    'max_request_headers_kb',
    'http2_protocol_options',
  ]);
  const codecType = node.enumName('codec_type', 'AUTO');
  if (codecType !== 'AUTO' && codecType !== 'HTTP1' && codecType !== 'HTTP2') {
    throw node.error(
      ErrorCode.configUnsupported,
      `codec_type ${codecType} is not yet supported by Spillway`,
      'codec_type',
    );
  }
  const transformation = node.enumName('server_header_transformation', 'OVERWRITE');
  if (
    transformation !== 'OVERWRITE' &&
    transformation !== 'APPEND_IF_ABSENT' &&
    transformation !== 'PASS_THROUGH'
  ) {
    throw node.error(ErrorCode.configInvalid, `unknown server_header_transformation ${transformation}`);
  }
  const filters = node.children('http_filters');
  if (filters.length === 0) {
    throw node.error(
      ErrorCode.configUnsupported,
      `Spillway requires ${routerName} as the last HTTP filter`,
      'http_filters',
    );
  }
  const httpFilters = filters.map((filter, i) => buildHttpFilter(filter, i === filters.length - 1));
  const common = node.child('common_http_protocol_options');
  common?.allowOnly(['idle_timeout']);
  const http2 = node.child('http2_protocol_options');
  http2?.allowOnly(['max_concurrent_streams']);
  const rds = node.child('rds');
  rds?.allowOnly(['route_config_name', 'config_source']);
  const rdsSource = rds?.child('config_source');
  if (rds !== undefined && rdsSource === undefined)
    throw rds.error(ErrorCode.configInvalid, 'value is required', 'config_source');
  const routeConfig = node.child('route_config');
  return {
    statPrefix: node.string('stat_prefix'),
    codecType,
    serverName: node.string('server_name') || 'envoy',
    serverHeaderTransformation: transformation,
    routeConfig:
      routeConfig === undefined
        ? undefined
        : buildRouteConfigurationNode(routeConfig, { ...options, validateClustersByDefault: true }),
    rdsRouteConfigName: rds?.string('route_config_name'),
    rdsConfigSource: rdsSource === undefined ? undefined : buildConfigSource(rdsSource),
    httpFilters,
    accessLogs: node.children('access_log').map(buildAccessLog),
    generateRequestId: node.boolean('generate_request_id', true),
    preserveExternalRequestId: node.boolean('preserve_external_request_id', false),
    useRemoteAddress: node.boolean('use_remote_address', false),
    xffNumTrustedHops: node.number('xff_num_trusted_hops', 0),
    skipXffAppend: node.boolean('skip_xff_append', false),
    via: node.string('via'),
    requestTimeoutMs: node.durationMs('request_timeout', 0),
    streamIdleTimeoutMs: node.durationMs('stream_idle_timeout', 5 * 60 * 1000),
    // 1 h when unset; an explicit 0 disables the timeout (reported as 0).
    idleTimeoutMs: common?.durationMs('idle_timeout', 3_600_000) ?? 3_600_000,
    maxRequestHeadersKb: node.number('max_request_headers_kb', 60),
    http2MaxConcurrentStreams:
      http2?.number('max_concurrent_streams', defaultMaxConcurrentStreams) ?? defaultMaxConcurrentStreams,
    suppressEnvoyHeaders: routerSuppressesEnvoyHeaders(filters),
    trafficDirection,
  };
}

/** `traffic_direction`: the istio.stats filter reports `destination` on INBOUND listeners. */
function trafficDirectionOf(node: ConfigNode): HttpConnectionManagerConfig['trafficDirection'] {
  const direction = node.enumName('traffic_direction', 'UNSPECIFIED');
  return direction === 'INBOUND' || direction === 'OUTBOUND' ? direction : 'UNSPECIFIED';
}

/**
 * Builds from a normalized Listener node. Fields accepted and ignored: `metadata` is informational;
 * `bind_to_port: true` is the default.
 */
export function buildListenerNode(node: ConfigNode, options: RouteBuildOptions = {}): ListenerConfig {
  node.allowOnly(
    ['name', 'address', 'filter_chains', 'per_connection_buffer_limit_bytes'],
    ['traffic_direction', 'metadata', 'bind_to_port'],
  );
  if (!node.boolean('bind_to_port', true)) {
    throw node.error(
      ErrorCode.configUnsupported,
      'bind_to_port: false is not yet supported by Spillway',
      'bind_to_port',
    );
  }
  if (node.string('name') === '') {
    // Envoy would name it with a random UUID; Spillway needs stable names for admin and LDS updates.
    throw node.error(
      ErrorCode.configUnsupported,
      'listeners without a name are not yet supported by Spillway',
      'name',
    );
  }
  const address = buildSocketAddress(node.child('address'), true, node, 'address');
  const chains = node.children('filter_chains');
  if (chains.length === 0)
    throw node.error(
      ErrorCode.configInvalid,
      `error adding listener '${node.string('name')}': no filter chains specified`,
      'filter_chains',
    );
  if (chains.length > 1)
    throw node.error(
      ErrorCode.configUnsupported,
      'more than one filter chain is not yet supported by Spillway',
      'filter_chains',
    );
  const chain = chains[0] as ConfigNode;
  // A filter chain's `name` and `metadata` are informational.
  chain.allowOnly(['filters'], ['name', 'metadata']);
  const filters = chain.children('filters');
  if (filters.length !== 1) {
    throw chain.error(
      ErrorCode.configUnsupported,
      `Spillway requires exactly one network filter, ${hcmName}`,
      'filters',
    );
  }
  const filter = filters[0] as ConfigNode;
  filter.allowOnly(['name', 'typed_config']);
  const typed = filter.child('typed_config');
  if (typed === undefined || typed.anyTypeName() !== hcmType) {
    const what = typed === undefined ? JSON.stringify(filter.string('name')) : typed.string('@type');
    throw filter.error(
      ErrorCode.configUnsupported,
      `network filter ${what} is not yet supported by Spillway (only ${hcmName} with a typed_config)`,
    );
  }
  return {
    name: node.string('name'),
    address,
    hcm: buildHttpConnectionManager(typed, options, trafficDirectionOf(node)),
    perConnectionBufferLimitBytes: node.number('per_connection_buffer_limit_bytes', defaultBufferLimitBytes),
  };
}

/** Validates and builds a Listener (bootstrap static listener, or an LDS resource). */
export function buildListener(
  json: unknown,
  location: ConfigLocation,
  options: RouteBuildOptions = {},
): ListenerConfig {
  return buildListenerNode(ConfigNode.at(validateResource(listenerType, json, location), location), options);
}
