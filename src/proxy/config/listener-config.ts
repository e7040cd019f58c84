/**
 * Validated listener configuration: one address, one HTTP connection manager (the only network filter
 * we support so far).
 */
import type { ConfigSourceConfig } from './config-source.js';
import type { SocketAddress } from './cluster-config.js';
import type { AccessLogConfig, HttpFilterConfig } from './filter-config.js';
import type { RouteConfiguration } from './route-config.js';

export interface HttpConnectionManagerConfig {
  readonly statPrefix: string;
  /** `codec_type`: AUTO detects HTTP/2 prior knowledge by its preface. */
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  /** `server_name`, default `envoy`. */
  readonly serverName: string;
  readonly serverHeaderTransformation: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  /** Inline `route_config`, or the RDS name to wait for (dynamic). */
  readonly routeConfig: RouteConfiguration | undefined;
  readonly rdsRouteConfigName: string | undefined;
  /** `rds.config_source` (always `ads: {}`), set with `rdsRouteConfigName`. */
  readonly rdsConfigSource: ConfigSourceConfig | undefined;
  /** In order; the router is last. */
  readonly httpFilters: readonly HttpFilterConfig[];
  readonly accessLogs: readonly AccessLogConfig[];
  /** `generate_request_id`, default true. */
  readonly generateRequestId: boolean;
  /** `preserve_external_request_id`, default false. */
  readonly preserveExternalRequestId: boolean;
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  /** `via` header value to append, empty = none. */
  readonly via: string;
  /** `request_timeout`, 0 = disabled (default). */
  readonly requestTimeoutMs: number;
  /** `stream_idle_timeout`, default 5 min, 0 disables. */
  readonly streamIdleTimeoutMs: number;
  /** `common_http_protocol_options.idle_timeout` for downstream connections, default 1 h. */
  readonly idleTimeoutMs: number;
  /** `max_request_headers_kb`, default 60. */
  readonly maxRequestHeadersKb: number;
  /** `http2_protocol_options.max_concurrent_streams` for downstream, default 2147483647. */
  readonly http2MaxConcurrentStreams: number;
  /** `suppress_envoy_headers` on the router filter: do not add `x-envoy-*` headers. */
  readonly suppressEnvoyHeaders: boolean;
  /** The listener's `traffic_direction` (Envoy's `listenerInfo().direction()`). */
  readonly trafficDirection: 'INBOUND' | 'OUTBOUND' | 'UNSPECIFIED';
}

export interface ListenerConfig {
  readonly name: string;
  readonly address: SocketAddress;
  readonly hcm: HttpConnectionManagerConfig;
  /** `per_connection_buffer_limit_bytes`, default 1 MiB. */
  readonly perConnectionBufferLimitBytes: number;
}
