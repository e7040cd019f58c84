/**
 * `envoy.service.discovery.v3.DiscoveryRequest`/`DiscoveryResponse` on the wire. A response is decoded
 * in two steps: the envelope (version, nonce, type URL, resources still as encoded `Any`s), then each
 * resource on its own, so that a resource that cannot be decoded is named in the NACK rather than
 * failing the whole stream.
 */
import type { EncodedAny } from '../../envoy/proto-json-codec.js';
import { decodeAnyJson, encodeProtoJson } from '../../envoy/proto-json-codec.js';
import { lookupMessageType } from '../../envoy/proto-registry.js';
import { xdsResourceName, type XdsResourceJson } from '../../envoy/xds-resource.js';

const requestType = 'envoy.service.discovery.v3.DiscoveryRequest';
const responseType = 'envoy.service.discovery.v3.DiscoveryResponse';
/** The SotW wrapper a server may put around a resource (`xds.config.supports-resource-in-sotw`). */
const resourceWrapperUrl = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

/** gRPC status code INTERNAL, what Envoy puts in a NACK's `error_detail.code` (`GrpcMuxImpl`). */
export const grpcStatusInternal = 13;

export interface DiscoveryRequestMessage {
  readonly versionInfo: string;
  /** The node, on the first request of a stream (or on every one). */
  readonly node: Record<string, unknown> | undefined;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  /** Set on a NACK. */
  readonly errorDetail: { readonly code: number; readonly message: string } | undefined;
}

export interface DiscoveryResponseMessage {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Still encoded: decoded one by one with {@link decodeResource}. */
  readonly resources: readonly EncodedAny[];
}

/** One decoded resource of a response. */
export interface DecodedResource {
  readonly name: string;
  readonly json: XdsResourceJson;
  /** Index in the response's `resources` (for error messages). */
  readonly index: number;
}

export function encodeDiscoveryRequest(request: DiscoveryRequestMessage): Uint8Array {
  const json: Record<string, unknown> = {
    version_info: request.versionInfo,
    resource_names: [...request.resourceNames],
    type_url: request.typeUrl,
    response_nonce: request.responseNonce,
  };
  if (request.node !== undefined) json['node'] = request.node;
  if (request.errorDetail !== undefined) json['error_detail'] = request.errorDetail;
  return encodeProtoJson(requestType, json);
}

/** Decodes the envelope of a response; throws if the bytes are not a DiscoveryResponse. */
export function decodeDiscoveryResponse(bytes: Uint8Array): DiscoveryResponseMessage {
  const type = lookupMessageType(responseType);
  if (type === undefined) throw new Error(`unknown message type ${responseType}`);
  // A plain view, not the Buffer gRPC delivers: protobufjs's Buffer reader clamps truncated fields.
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const object = type.toObject(type.decode(plain), { longs: String, enums: String, bytes: Uint8Array });
  const resources =
    (object['resources'] as Array<{ type_url?: string; value?: Uint8Array }> | undefined) ?? [];
  return {
    versionInfo: String(object['version_info'] ?? ''),
    typeUrl: String(object['type_url'] ?? ''),
    nonce: String(object['nonce'] ?? ''),
    resources: resources.map((any) => ({
      type_url: any.type_url ?? '',
      value: any.value instanceof Uint8Array ? any.value : new Uint8Array(),
    })),
  };
}

/**
 * Decodes resource `index` of a response of type `typeUrl`, unwrapping a `Resource` wrapper. Throws
 * with Envoy's wording when a resource's type differs from the response's (`GrpcMuxImpl`).
 */
export function decodeResource(any: EncodedAny, typeUrl: string, index: number): DecodedResource {
  let json: Record<string, unknown>;
  if (any.type_url === resourceWrapperUrl) {
    const wrapper = decodeAnyJson(any);
    const inner = wrapper['resource'];
    if (typeof inner !== 'object' || inner === null)
      throw new Error('No resource present in Resource proto wrapper');
    json = inner as Record<string, unknown>;
  } else {
    json = decodeAnyJson(any);
  }
  const declared = json['@type'];
  if (declared !== typeUrl) {
    throw new Error(
      `${String(declared)} does not match the message-wide type URL ${typeUrl} in DiscoveryResponse`,
    );
  }
  const resource = json as XdsResourceJson;
  return { name: xdsResourceName(resource), json: resource, index };
}
