/**
 * Parses a resource URL as kube-apiserver's RequestInfoFactory does
 * (`staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`):
 * `/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]` and the same under
 * `/apis/<group>/<version>`. `/api/v1/namespaces/<name>/status` is the Namespace's own subresource.
 */
import type { ResourceType } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import { findResource } from './resource-registry.js';

export interface ResourceRoute {
  readonly resource: ResourceType;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: 'status' | 'scale' | undefined;
}

export type ParsedPath =
  | { readonly kind: 'resource'; readonly route: ResourceRoute }
  | { readonly kind: 'groupVersion'; readonly group: string; readonly version: string }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'other' };

/** The 404 kube-apiserver sends for a path it does not serve. */
export function pathNotFound(): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function parsePath(pathname: string): ParsedPath {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length === 2) {
    return { kind: 'group', group: parts[1] ?? '' };
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return { kind: 'other' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let namespace: string | undefined;
  // `namespaces/<ns>/<resource>...`, except the Namespace object itself (`namespaces/<name>[/status]`).
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub, ...extra] = rest;
  const resource = findResource(group, plural ?? '');
  if (resource === undefined || !resource.versions.includes(version) || extra.length > 0)
    throw pathNotFound();
  if (namespace !== undefined && !resource.namespaced) throw pathNotFound();
  let subresource: ResourceRoute['subresource'];
  if (sub !== undefined) {
    if ((sub !== 'status' && sub !== 'scale') || !resource.subresources.includes(sub)) throw pathNotFound();
    subresource = sub;
  }
  return { kind: 'resource', route: { resource, version, namespace, name, subresource } };
}
