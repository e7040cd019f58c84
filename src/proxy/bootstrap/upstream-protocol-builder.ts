/**
 * A cluster's upstream HTTP protocol settings, from `typed_extension_protocol_options`
 * (`envoy.extensions.upstreams.http.v3.HttpProtocolOptions`) or, when that is absent, the deprecated
 * cluster-level `http_protocol_options` / `http2_protocol_options` / `common_http_protocol_options`
 * (`createOptions` and `ClusterInfoImpl`, source/common/upstream/upstream_impl.cc). As in Envoy, the
 * typed options win and the deprecated fields are then not consulted.
 */
import { ErrorCode } from '../../core/errors.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { ConfigNode } from './config-node.js';

const httpOptionsName = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const defaultIdleTimeoutMs = 3_600_000;
const defaultMaxConcurrentStreams = 2_147_483_647;

type UpstreamProtocolConfig = Pick<
  ClusterConfig,
  'protocol' | 'upstreamIdleTimeoutMs' | 'maxRequestsPerConnection' | 'http2MaxConcurrentStreams'
>;

function typedHttpOptions(cluster: ConfigNode): ConfigNode | undefined {
  let found: ConfigNode | undefined;
  for (const [key, entry] of cluster.entries('typed_extension_protocol_options')) {
    if (key !== httpOptionsName) {
      throw entry.error(
        ErrorCode.configUnsupported,
        `protocol options for ${JSON.stringify(key)} are not yet supported by Spillway (only ${httpOptionsName})`,
      );
    }
    if (entry.anyTypeName() !== httpOptionsName) {
      throw entry.error(
        ErrorCode.configInvalid,
        `expected a ${httpOptionsName}, got ${entry.string('@type')}`,
        '@type',
      );
    }
    found = entry;
  }
  return found;
}

/** `config.core.v3.Http2ProtocolOptions`: only the stream limit is implemented. */
function http2MaxStreams(http2: ConfigNode | undefined): number {
  http2?.allowOnly(['max_concurrent_streams']);
  return http2?.number('max_concurrent_streams', defaultMaxConcurrentStreams) ?? defaultMaxConcurrentStreams;
}

export function buildUpstreamProtocol(cluster: ConfigNode): UpstreamProtocolConfig {
  const typed = typedHttpOptions(cluster);
  let common: ConfigNode | undefined;
  let http1: ConfigNode | undefined;
  let http2: ConfigNode | undefined;
  if (typed !== undefined) {
    typed.allowOnly(['common_http_protocol_options', 'explicit_http_config']);
    const explicit = typed.child('explicit_http_config');
    if (explicit === undefined)
      throw typed.error(ErrorCode.configInvalid, 'explicit_http_config must be set');
    explicit.allowOnly(['http_protocol_options', 'http2_protocol_options']);
    common = typed.child('common_http_protocol_options');
    http1 = explicit.child('http_protocol_options');
    http2 = explicit.child('http2_protocol_options');
    if (cluster.has('max_requests_per_connection') && common?.has('max_requests_per_connection') === true) {
      throw cluster.error(
        ErrorCode.configInvalid,
        'Only one of max_requests_per_connection from Cluster or HttpProtocolOptions can be specified',
        'max_requests_per_connection',
      );
    }
  } else {
    common = cluster.child('common_http_protocol_options');
    http1 = cluster.child('http_protocol_options');
    http2 = cluster.child('http2_protocol_options');
    if (http1 !== undefined && http2 !== undefined) {
      throw cluster.error(
        ErrorCode.configInvalid,
        "cluster: Both HTTP1 and HTTP2 options may only be configured with non-default 'protocol_selection' values",
        'http2_protocol_options',
      );
    }
  }
  common?.allowOnly(['idle_timeout', 'max_requests_per_connection']);
  // Http1ProtocolOptions fields (absolute URLs, header case, ...) are not implemented.
  http1?.allowOnly([]);
  return {
    protocol: http2 !== undefined ? 'http2' : 'http1',
    // 1 h when unset; 0 disables the idle timeout.
    upstreamIdleTimeoutMs: common?.durationMs('idle_timeout', defaultIdleTimeoutMs) ?? defaultIdleTimeoutMs,
    maxRequestsPerConnection:
      common?.number('max_requests_per_connection', cluster.number('max_requests_per_connection', 0)) ??
      cluster.number('max_requests_per_connection', 0),
    http2MaxConcurrentStreams: http2MaxStreams(http2),
  };
}
