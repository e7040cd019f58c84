/**
 * The `scale` subresource of Deployments and ReplicaSets: an `autoscaling/v1` Scale whose
 * `spec.replicas` maps to the object's `spec.replicas` (`pkg/registry/apps/deployment/storage`
 * ScaleREST). `kubectl scale` patches it.
 */
import { badRequest, invalid } from './api-errors.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import type { ObjectService, WriteOptions, WriteResult } from './object-service.js';
import { applyPatch, type PatchType } from './patch/index.js';
import { formatLabelSelector } from './label-selector.js';

export const scaleResource: ResourceType = {
  group: 'autoscaling',
  versions: ['v1'],
  kind: 'Scale',
  listKind: 'ScaleList',
  plural: 'scale',
  singular: 'scale',
  shortNames: [],
  namespaced: true,
  subresources: [],
  categories: [],
  isBuiltin: true,
};

export function toScale(object: KubeObject): KubeObject {
  const spec = (object['spec'] ?? {}) as { replicas?: unknown; selector?: unknown };
  const status = (object['status'] ?? {}) as { replicas?: unknown };
  const m = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: Object.fromEntries(
      (['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const)
        .filter((k) => m[k] !== undefined)
        .map((k) => [k, m[k]]),
    ),
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: formatLabelSelector(spec.selector),
    },
  };
}

/** PUT of a Scale: sets `spec.replicas` (409 on a stale resourceVersion in the Scale). */
export function updateScale(
  service: ObjectService,
  resource: ResourceType,
  version: string,
  current: KubeObject,
  scale: unknown,
  options: WriteOptions,
): WriteResult {
  if (typeof scale !== 'object' || scale === null)
    throw badRequest('the body of the request was not a Scale object');
  const s = scale as { metadata?: { resourceVersion?: unknown }; spec?: { replicas?: unknown } };
  const replicas = s.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid(scaleResource, current.metadata.name ?? '', [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
        field: 'spec.replicas',
      },
    ]);
  }
  const candidate: KubeObject = structuredClone(current);
  candidate['spec'] = { ...((candidate['spec'] ?? {}) as object), replicas };
  const rv = s.metadata?.resourceVersion;
  if (typeof rv === 'string' && rv !== '') candidate.metadata.resourceVersion = rv;
  else delete candidate.metadata.resourceVersion;
  const result = service.replace(resource, version, current, candidate, options, 'scale', undefined);
  return { ...result, object: toScale(result.object) };
}

/** PATCH of a Scale: patches the Scale document, then updates from it. */
export function patchScale(
  service: ObjectService,
  resource: ResourceType,
  version: string,
  current: KubeObject,
  type: PatchType,
  rawBody: string,
  options: WriteOptions,
): WriteResult {
  let patch: unknown;
  try {
    patch = JSON.parse(rawBody) as unknown;
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  const patched = applyPatch(type, toScale(current), patch, scaleResource);
  return updateScale(service, resource, version, current, patched, options);
}
