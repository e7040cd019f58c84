/**
 * HTTP connection managers and listeners as Istio builds them (istio/istio
 * `pilot/pkg/networking/core/listener_builder.go` buildHTTPConnectionManager, `listener.go`
 * buildListenerFromEntry, `gateway.go` getListenerName), limited to the fields the Spillway proxy
 * implements. Left out (ADR 0008): normalize_path, path_with_escaped_slashes_action, websocket
 * upgrade_configs, request_id_extension, tracing, client-cert forwarding, CORS, gRPC-stats and ALPN
 * filters. Kept: the fault filter is always present (before the router, as Istio adds it) so that RDS
 * can switch per-route faults on without a listener change. Proxies (not proxyless gRPC) also get
 * Istio's telemetry filters in Istio's order (ADR 0016): `istio.metadata_exchange` first, then fault,
 * then `istio.stats` just before the router (`listener_builder.go` buildHTTPConnectionManager,
 * appendMxFilter; `telemetry.go` buildHTTPTelemetryFilter).
 */
type Json = Record<string, unknown>;

export const listenerTypeUrl = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const hcmTypeUrl =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerTypeUrl = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const faultTypeUrl = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
export const hcmFilterName = 'envoy.filters.network.http_connection_manager';
/** Istio's `server_name` for inbound and gateway listeners (sidecar outbound keeps Envoy's "envoy"). */
export const istioServerName = 'istio-envoy';

/** Which Istio listener class an HCM serves (`ListenerClass`): it selects the telemetry filters. */
export type TelemetryClass = 'sidecar-inbound' | 'sidecar-outbound' | 'gateway';

const typedStructTypeUrl = 'type.googleapis.com/udpa.type.v1.TypedStruct';
const peerMetadataTypeUrl = 'type.googleapis.com/io.istio.http.peer_metadata.Config';
const statsTypeUrl = 'type.googleapis.com/stats.PluginConfig';

/**
 * `xdsfilters.SidecarInboundMetadataFilter` / `SidecarOutboundMetadataFilter` (filters.go): the peer
 * metadata filter as a TypedStruct; inbound discovers and answers the downstream, everything else
 * (outbound and gateways) sends itself upstream and discovers the upstream.
 */
export function metadataExchangeFilter(telemetry: TelemetryClass): Json {
  const methods = [{ istio_headers: {} }, { workload_discovery: {} }];
  const value =
    telemetry === 'sidecar-inbound'
      ? { downstream_discovery: methods, downstream_propagation: [{ istio_headers: {} }] }
      : { upstream_discovery: methods, upstream_propagation: [{ istio_headers: {} }] };
  return {
    name: 'istio.metadata_exchange',
    typed_config: { '@type': typedStructTypeUrl, type_url: peerMetadataTypeUrl, value },
  };
}

/** `generateStatsConfig`: the Host header is no fallback on inbound and gateway listeners. */
export function statsFilter(telemetry: TelemetryClass): Json {
  const config: Json = { '@type': statsTypeUrl };
  if (telemetry !== 'sidecar-outbound') config['disable_host_header_fallback'] = true;
  return { name: 'istio.stats', typed_config: config };
}

/**
 * xdsfilters.Fault then the router, which must be last (Envoy and gRPC both check); with a telemetry
 * class, Istio's metadata exchange first and the stats filter before the router.
 */
export function httpFilters(telemetry?: TelemetryClass): Json[] {
  const fault = { name: 'envoy.filters.http.fault', typed_config: { '@type': faultTypeUrl } };
  const router = { name: 'envoy.filters.http.router', typed_config: { '@type': routerTypeUrl } };
  if (telemetry === undefined) return [fault, router];
  return [metadataExchangeFilter(telemetry), fault, statsFilter(telemetry), router];
}

/** RDS over ADS; grpcgen leaves out the fetch timeout and API version. */
export function rdsResource(routeConfigName: string, proxyless = false): Json {
  const configSource: Json = proxyless
    ? { ads: {} }
    : { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
  return { config_source: configSource, route_config_name: routeConfigName };
}

export interface HcmOptions {
  readonly statPrefix: string;
  readonly rds?: string;
  readonly routeConfig?: Json;
  readonly serverName?: string;
  readonly useRemoteAddress: boolean;
  readonly http2?: boolean;
  readonly telemetry?: TelemetryClass;
}

export function httpConnectionManagerResource(options: HcmOptions): Json {
  const hcm: Json = { '@type': hcmTypeUrl, stat_prefix: options.statPrefix };
  if (options.rds !== undefined) hcm['rds'] = rdsResource(options.rds);
  if (options.routeConfig !== undefined) hcm['route_config'] = options.routeConfig;
  hcm['http_filters'] = httpFilters(options.telemetry);
  // A BoolValue: false is written, as Istio does.
  hcm['use_remote_address'] = options.useRemoteAddress;
  if (options.serverName !== undefined) hcm['server_name'] = options.serverName;
  hcm['stream_idle_timeout'] = '0s';
  if (options.http2 === true) hcm['http2_protocol_options'] = {};
  return hcm;
}

/** `<bind>_<port>` (getListenerName) — the listener's own address, see ADR 0008. */
export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}

export function listenerResource(
  name: string,
  address: string,
  port: number,
  direction: 'INBOUND' | 'OUTBOUND',
  hcm: Json,
): Json {
  return {
    '@type': listenerTypeUrl,
    name,
    address: { socket_address: { address, port_value: port } },
    filter_chains: [{ filters: [{ name: hcmFilterName, typed_config: hcm }] }],
    traffic_direction: direction,
  };
}
