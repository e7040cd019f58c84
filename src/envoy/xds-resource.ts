/**
 * The xDS contract between the planes: resource type URLs and the JSON form resources travel in
 * inside Spillway. Resources are Envoy's canonical proto3 JSON (proto field names, durations as
 * "1.5s", wrappers as plain values, `Any` as `{"@type": ..., ...fields}`), i.e. what Envoy's
 * `/config_dump` prints and what a bootstrap file holds. The wire form (protobuf `Any`) is produced
 * and read only at the gRPC edge (`proto-json-codec.ts`).
 */

/** Type URLs of the resources Spillway serves and consumes over ADS (Envoy's v3 API). */
export const XdsTypeUrl = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type XdsTypeUrl = (typeof XdsTypeUrl)[keyof typeof XdsTypeUrl];

/** Order in which a proxy must receive types so that nothing references a missing resource (Envoy's ADS ordering: CDS, EDS, LDS, RDS). */
export const xdsPushOrder: readonly XdsTypeUrl[] = [
  XdsTypeUrl.cluster,
  XdsTypeUrl.clusterLoadAssignment,
  XdsTypeUrl.listener,
  XdsTypeUrl.routeConfiguration,
];

/** Listener and Cluster are "state of the world, all names": a response must carry the full set (xDS protocol doc). */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === XdsTypeUrl.listener || typeUrl === XdsTypeUrl.cluster;
}

/** One xDS resource in canonical proto3 JSON, carrying its own `@type`. */
export interface XdsResourceJson {
  readonly '@type': string;
  readonly [field: string]: unknown;
}

/** Every resource of one proxy's configuration: type URL -> resource name -> resource. */
export type XdsResourceSet = ReadonlyMap<XdsTypeUrl, ReadonlyMap<string, XdsResourceJson>>;

/** The name of a resource: `name` for most types, `cluster_name` for a ClusterLoadAssignment. */
export function xdsResourceName(resource: XdsResourceJson): string {
  const name =
    resource['@type'] === XdsTypeUrl.clusterLoadAssignment ? resource['cluster_name'] : resource['name'];
  return typeof name === 'string' ? name : '';
}

const sealedMaps = new WeakSet<object>();

/**
 * Marks a map of resources as final: neither it nor its resources will ever change. Whoever
 * derives something from a sealed map (a consistency check, a diff against the map served before)
 * may remember the result by the map's identity. Translation seals the maps it shares between
 * proxies; a map built and then edited in place must simply not be sealed.
 */
export function sealResourceMap<M extends ReadonlyMap<string, XdsResourceJson>>(map: M): M {
  sealedMaps.add(map);
  return map;
}

export function isSealedResourceMap(map: ReadonlyMap<string, XdsResourceJson>): boolean {
  return sealedMaps.has(map);
}
