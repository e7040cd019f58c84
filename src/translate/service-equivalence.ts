/**
 * Whether two registry service maps describe the same services. The registry rebuilds a service's
 * `MeshService` (and copies the map) whenever anything about its hostname changes - endpoints
 * included - so an endpoint change hands the translator a new map with equal content. Recognising
 * that lets translation keep everything derived from the services alone (outbound clusters,
 * routes) instead of rebuilding it for every namespace on every endpoint change.
 */
import type { MeshService, ServiceInCluster, ServicePort } from '../registry/mesh-model.js';

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}

function samePort(a: ServicePort, b: ServicePort): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.port === b.port &&
      a.protocol === b.protocol &&
      a.appProtocol === b.appProtocol &&
      a.targetPort === b.targetPort)
  );
}

function sameInCluster(a: ServiceInCluster | undefined, b: ServiceInCluster | undefined): boolean {
  // The per-cluster record keeps its identity while unchanged; compare content only when it did not.
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

export function sameMeshService(a: MeshService, b: MeshService): boolean {
  if (a === b) return true;
  if (
    a.hostname !== b.hostname ||
    a.namespace !== b.namespace ||
    a.name !== b.name ||
    a.kind !== b.kind ||
    !sameStrings(a.exportTo, b.exportTo) ||
    a.ports.length !== b.ports.length ||
    a.clusters.size !== b.clusters.size
  )
    return false;
  if (!a.ports.every((p, i) => samePort(p, b.ports[i] as ServicePort))) return false;
  // Cluster order matters (the first cluster's port definition wins when merging).
  const bIds = [...b.clusters.keys()];
  let i = 0;
  for (const [id, inCluster] of a.clusters) {
    if (bIds[i++] !== id || !sameInCluster(inCluster, b.clusters.get(id))) return false;
  }
  return true;
}

/** Same hostnames, in the same order, with equivalent services. */
export function sameServiceMaps(
  a: ReadonlyMap<string, MeshService>,
  b: ReadonlyMap<string, MeshService>,
): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  const bEntries = b.entries();
  for (const [hostname, service] of a) {
    const next = bEntries.next();
    if (next.done === true || next.value[0] !== hostname || !sameMeshService(service, next.value[1]))
      return false;
  }
  return true;
}
