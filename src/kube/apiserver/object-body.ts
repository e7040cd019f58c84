/**
 * Turns a decoded request body into an object of the addressed resource: it must be a JSON object
 * whose kind and apiVersion (when present) name that resource at a served version, as the REST
 * handlers' decoding does (kube-apiserver answers a mismatch with 400 BadRequest).
 */
import { badRequest } from './api-errors.js';
import type { KubeObject, ObjectMeta, ResourceType } from './kube-object.js';
import { storageApiVersion } from './object-meta-rules.js';

/** The object in its storage version; 400 BadRequest when it is not one of `resource`. */
export function parseObjectBody(body: unknown, resource: ResourceType): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the body of the request was not a ${resource.kind} object`);
  }
  const object = body as Record<string, unknown>;
  const metadata = object['metadata'] ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw badRequest('metadata must be an object');
  }
  if (object['kind'] !== undefined && object['kind'] !== resource.kind) {
    throw badRequest(
      `the kind in the data (${String(object['kind'])}) does not match the expected kind (${resource.kind})`,
    );
  }
  const apiVersion = object['apiVersion'];
  if (apiVersion !== undefined) {
    const slash = typeof apiVersion === 'string' ? apiVersion.lastIndexOf('/') : -1;
    const group = slash === -1 ? '' : String(apiVersion).slice(0, slash);
    const version = slash === -1 ? String(apiVersion) : String(apiVersion).slice(slash + 1);
    if (typeof apiVersion !== 'string' || group !== resource.group || !resource.versions.includes(version)) {
      throw badRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${storageApiVersion(resource)})`,
      );
    }
  }
  return {
    ...object,
    apiVersion: storageApiVersion(resource),
    kind: resource.kind,
    metadata: { ...(metadata as ObjectMeta) },
  };
}
