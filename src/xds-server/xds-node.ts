/**
 * The identity a proxy sends in the first request of a stream (Envoy's `config.core.v3.Node`).
 * Only the first request is guaranteed to carry it (xDS protocol doc, "Basic Protocol Overview";
 * grpc-js-xds sends it only there), so the server keeps it per stream.
 */
import type { Locality } from '../core/locality.js';

export interface XdsNode {
  /** `node.id`, never empty. */
  readonly id: string;
  readonly cluster: string;
  /** `node.metadata` as JSON (a `google.protobuf.Struct`). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `node.locality`, undefined when the node sent none. */
  readonly locality: Locality | undefined;
  readonly userAgentName: string;
  readonly userAgentVersion: string;
  readonly clientFeatures: readonly string[];
  /** The node as received, in proto3 JSON. */
  readonly json: Readonly<Record<string, unknown>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(json: Record<string, unknown>, key: string): string {
  const value = json[key];
  return typeof value === 'string' ? value : '';
}

/**
 * The node of a first request, or the reason it cannot identify a proxy (no node, or no id, as
 * Istio's `pilot/pkg/xds/ads.go` refuses with "missing node information").
 */
export function parseXdsNode(json: unknown): XdsNode | { readonly problem: string } {
  if (!isRecord(json)) return { problem: 'missing node information' };
  const id = text(json, 'id');
  if (id === '') return { problem: 'missing node information (node.id is empty)' };
  const metadata = isRecord(json['metadata']) ? json['metadata'] : {};
  const rawLocality = json['locality'];
  const locality = isRecord(rawLocality)
    ? {
        region: text(rawLocality, 'region'),
        zone: text(rawLocality, 'zone'),
        subZone: text(rawLocality, 'sub_zone'),
      }
    : undefined;
  const features = json['client_features'];
  return {
    id,
    cluster: text(json, 'cluster'),
    metadata,
    locality,
    userAgentName: text(json, 'user_agent_name'),
    userAgentVersion: text(json, 'user_agent_version'),
    clientFeatures: Array.isArray(features) ? features.filter((f): f is string => typeof f === 'string') : [],
    json,
  };
}
