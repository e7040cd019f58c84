/**
 * Small xDS resource builders and response decoders for the xds-server tests (unit and
 * integration). Not used by production code.
 */
import { decodeProtoJson } from '../../src/envoy/proto-json-codec.js';
import {
  XdsTypeUrl,
  type XdsResourceJson,
  type XdsResourceSet,
  type XdsTypeUrl as TypeUrl,
} from '../../src/envoy/xds-resource.js';
import { deltaDiscoveryResponseType, discoveryResponseType } from '../../src/xds-server/discovery-wire.js';

export function cluster(name: string, serviceName = name): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.cluster,
    name,
    type: 'EDS',
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: serviceName },
  };
}

export function assignment(name: string, ...ports: number[]): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.clusterLoadAssignment,
    cluster_name: name,
    endpoints: [
      {
        locality: { region: 'r1', zone: 'z1' },
        load_balancing_weight: 1,
        lb_endpoints: ports.map((port) => ({
          endpoint: { address: { socket_address: { address: '127.82.0.1', port_value: port } } },
        })),
      },
    ],
  };
}

export function listener(name: string, routeName: string): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.listener,
    name,
    api_listener: {
      api_listener: {
        '@type':
          'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
        http_filters: [
          {
            name: 'envoy.filters.http.router',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
          },
        ],
      },
    },
  };
}

export function route(name: string, clusterName: string): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.routeConfiguration,
    name,
    virtual_hosts: [
      { name: 'vh', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: clusterName } }] },
    ],
  };
}

/** A set from resources, filed by their own type and name. */
export function resourceSet(...resources: XdsResourceJson[]): XdsResourceSet {
  const set = new Map<TypeUrl, Map<string, XdsResourceJson>>();
  for (const resource of resources) {
    const typeUrl = resource['@type'] as TypeUrl;
    const name = String(resource['cluster_name'] ?? resource['name']);
    let byType = set.get(typeUrl);
    if (byType === undefined) {
      byType = new Map();
      set.set(typeUrl, byType);
    }
    byType.set(name, resource);
  }
  return set;
}

export interface DecodedResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly names: string[];
  readonly resources: Record<string, unknown>[];
}

function nameOf(resource: Record<string, unknown>): string {
  return String(resource['cluster_name'] ?? resource['name'] ?? '');
}

export function decodeSotwResponse(bytes: Uint8Array): DecodedResponse {
  const json = decodeProtoJson(discoveryResponseType, bytes);
  const resources = (json['resources'] as Record<string, unknown>[] | undefined) ?? [];
  return {
    versionInfo: String(json['version_info'] ?? ''),
    typeUrl: String(json['type_url'] ?? ''),
    nonce: String(json['nonce'] ?? ''),
    names: resources.map(nameOf),
    resources,
  };
}

export interface DecodedDeltaResponse {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly names: string[];
  readonly versions: Record<string, string>;
  readonly removed: string[];
  readonly resources: Record<string, unknown>[];
}

export function decodeDeltaResponse(bytes: Uint8Array): DecodedDeltaResponse {
  const json = decodeProtoJson(deltaDiscoveryResponseType, bytes);
  const entries = (json['resources'] as Record<string, unknown>[] | undefined) ?? [];
  const versions: Record<string, string> = {};
  for (const entry of entries) versions[String(entry['name'])] = String(entry['version'] ?? '');
  return {
    systemVersionInfo: String(json['system_version_info'] ?? ''),
    typeUrl: String(json['type_url'] ?? ''),
    nonce: String(json['nonce'] ?? ''),
    names: entries.map((e) => String(e['name'])),
    versions,
    removed: (json['removed_resources'] as string[] | undefined) ?? [],
    resources: entries.map((e) => e['resource'] as Record<string, unknown>),
  };
}
