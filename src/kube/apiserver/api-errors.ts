/**
 * Constructors for the API errors the server sends, with kube-apiserver's wording
 * (apimachinery `pkg/api/errors/errors.go`): kubectl turns these into lines like
 * `Error from server (NotFound): deployments.apps "x" not found`.
 */
import type { ResourceType, StatusCause } from './kube-object.js';
import { KubeApiError } from './kube-object.js';

/** `deployments.apps`, or `pods` for the core group (a GroupResource's String()). */
export function qualifiedResource(resource: ResourceType): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

export function notFound(resource: ResourceType, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function alreadyExists(resource: ResourceType, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

/** The optimistic-concurrency failure (`NewConflict` with `OptimisticLockErrorMsg`). */
export function conflict(resource: ResourceType, name: string, why: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`,
    { name, group: resource.group, kind: resource.plural },
  );
}

export const staleObjectMessage =
  'the object has been modified; please apply your changes to the latest version and try again';

/**
 * 422 Invalid (`NewInvalid`): the message lists `field: detail` for each cause, bracketed when there
 * are several, after `<Kind>.<group> "<name>" is invalid: `.
 */
export function invalid(resource: ResourceType, name: string, causes: readonly StatusCause[]): KubeApiError {
  const kind = resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
  const parts = causes.map((c) =>
    c.field !== undefined && c.field !== '' ? `${c.field}: ${c.message}` : c.message,
  );
  const list = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, {
    name,
    group: resource.group,
    kind: resource.kind,
    causes: [...causes],
  });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}
