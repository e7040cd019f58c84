/**
 * The two Istio HTTP filters Spillway runs, as the control plane configures them (istio/istio
 * `pilot/pkg/xds/filters/filters.go` SidecarInboundMetadataFilter / SidecarOutboundMetadataFilter,
 * `pilot/pkg/model/telemetry.go` generateStatsConfig):
 *
 * - `istio.stats` with `type.googleapis.com/stats.PluginConfig`;
 * - `istio.metadata_exchange` with `io.istio.http.peer_metadata.Config`, which Istio sends wrapped in a
 *   `udpa.type.v1.TypedStruct` (also accepted: `xds.type.v3.TypedStruct`, or the message itself).
 *
 * Everything Spillway cannot run is rejected (like an unknown filter), never silently dropped.
 */
import { ErrorCode } from '../../core/errors.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type { IstioStatsConfig, PeerMetadataConfig } from '../config/filter-config.js';
import { ConfigNode } from './config-node.js';

export const istioStatsType = 'stats.PluginConfig';
export const peerMetadataType = 'io.istio.http.peer_metadata.Config';
export const typedStructTypes: readonly string[] = ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'];

/** `stats.PluginConfig`. */
export function buildIstioStatsConfig(node: ConfigNode): IstioStatsConfig {
  // The durations only drive TCP reporting and scope rotation, neither of which Spillway has.
  node.allowOnly(
    ['disable_host_header_fallback', 'reporter'],
    ['tcp_reporting_duration', 'rescoping_duration', 'scope_grace_period_duration'],
  );
  if (node.enumName('reporter', 'UNSPECIFIED') !== 'UNSPECIFIED') {
    throw node.error(
      ErrorCode.configUnsupported,
      'reporter SERVER_GATEWAY (ambient waypoints) is not yet supported by Spillway',
      'reporter',
    );
  }
  return { disableHostHeaderFallback: node.boolean('disable_host_header_fallback', false) };
}

/**
 * Unwraps a TypedStruct holding a peer metadata config and validates its `value` against the schema;
 * returns the node itself when it is the message already.
 */
export function unwrapPeerMetadataConfig(typed: ConfigNode): ConfigNode {
  if (!typedStructTypes.includes(typed.anyTypeName())) return typed;
  typed.allowOnly(['type_url', 'value']);
  const typeUrl = typed.string('type_url');
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (typeName !== peerMetadataType) {
    throw typed.error(
      ErrorCode.configUnsupported,
      `HTTP filter ${JSON.stringify(typeUrl)} (in a TypedStruct) is not yet supported by Spillway`,
      'type_url',
    );
  }
  const location = typed.location('value');
  return ConfigNode.at(validateResource(peerMetadataType, typed.json('value') ?? {}, location), location);
}

/** Whether the method list asks for Istio's headers; other methods are checked here. */
function usesIstioHeaders(node: ConfigNode, field: string, isDiscovery: boolean): boolean {
  let istioHeaders = false;
  for (const method of node.children(field)) {
    method.allowOnly(isDiscovery ? ['istio_headers', 'workload_discovery'] : ['istio_headers']);
    const headers = method.child('istio_headers');
    if (headers !== undefined) {
      // `skip_external_clusters` needs clusters marked `istio.external`, which Spillway's control
      // plane never sends; it would strip nothing.
      headers.allowOnly([], ['skip_external_clusters']);
      istioHeaders = true;
    }
    // `workload_discovery` looks peers up in the workload metadata xDS of a bootstrap extension; with
    // no provider the method finds nothing and the next one is tried (istio/proxy
    // `source/extensions/filters/http/peer_metadata/filter.cc` XDSMethod::derivePeerInfo). Spillway
    // has no such extension, so it is that case.
  }
  return istioHeaders;
}

/** `io.istio.http.peer_metadata.Config` (already unwrapped). */
export function buildPeerMetadataConfig(node: ConfigNode): PeerMetadataConfig {
  node.allowOnly(
    ['downstream_discovery', 'upstream_discovery', 'downstream_propagation', 'upstream_propagation'],
    // Spillway runs no upstream filters that could read shared filter state.
    ['shared_with_upstream'],
  );
  return {
    downstreamDiscovery: usesIstioHeaders(node, 'downstream_discovery', true),
    upstreamDiscovery: usesIstioHeaders(node, 'upstream_discovery', true),
    downstreamPropagation: usesIstioHeaders(node, 'downstream_propagation', false),
    upstreamPropagation: usesIstioHeaders(node, 'upstream_propagation', false),
  };
}
