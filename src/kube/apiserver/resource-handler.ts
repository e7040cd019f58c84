/**
 * The REST verbs on one resource URL: get, list, watch, create, update, patch, delete,
 * deletecollection, and the status and scale subresources, with kube-apiserver's query parameters
 * (`dryRun`, `fieldManager`, `fieldValidation`, `force`, `propagationPolicy`, selectors, `limit`,
 * `continue`) and response codes (201 on create, 200 otherwise).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Clock } from '../../core/clock.js';
import { badRequest } from './api-errors.js';
import type { KubeObject } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import type { DeleteOptions } from './object-client.js';
import type { ObjectDeletion } from './object-deletion.js';
import { objectMatcher, listObjects, type ListQuery } from './object-listing.js';
import { atVersion } from './object-meta-rules.js';
import type { ObjectService, WriteOptions, WriteResult } from './object-service.js';
import type { PatchType } from './patch/index.js';
import type { ResourceRoute } from './request-route.js';
import { decodeProtobufObject, protobufMediaType } from './protobuf-body.js';
import { patchScale, toScale, updateScale } from './scale-subresource.js';
import { buildTable } from './table/index.js';
import type { FieldValidation } from './validation/index.js';
import { serveWatch } from './watch-stream.js';

export interface HandlerContext {
  readonly service: ObjectService;
  readonly deletion: ObjectDeletion;
  readonly clock: Clock;
  readonly bookmarkIntervalMs: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly warnings?: readonly string[];
}

const patchTypes: Record<string, PatchType | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

function unsupportedMediaType(accepted: string): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted}`,
    {},
  );
}

/** Decodes a create/update body (JSON, or YAML for hand-written requests). */
function decodeBody(req: IncomingMessage, body: Buffer): unknown {
  const type = mediaType(req);
  if (type === protobufMediaType) return decodeProtobufObject(body);
  const text = body.toString('utf8');
  try {
    if (type === 'application/json' || type === '') return JSON.parse(text) as unknown;
    if (type === 'application/yaml') return parseYaml(text) as unknown;
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
  // Protobuf (what client-go's typed clients send, e.g. `kubectl create configmap`) is not implemented.
  throw unsupportedMediaType(
    'application/json, application/yaml (the lab API server does not decode protobuf)',
  );
}

function query(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined;
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

function writeOptions(url: URL): WriteOptions & { force?: boolean } {
  const dryRun = url.searchParams.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) {
    throw badRequest(`Invalid dryRun value: ${dryRun.join(',')}; the only valid value is All`);
  }
  const fv = query(url, 'fieldValidation');
  if (fv !== undefined && fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw badRequest(`fieldValidation must be one of Ignore, Warn, Strict; got ${fv}`);
  }
  const fieldManager = query(url, 'fieldManager');
  return {
    dryRun: dryRun.length > 0,
    // kube-apiserver defaults to Warn when the client does not choose.
    fieldValidation: (fv ?? 'Warn') as FieldValidation,
    ...(fieldManager !== undefined ? { fieldManager } : {}),
    force: isTrue(query(url, 'force')),
  };
}

function listQuery(url: URL): ListQuery {
  const limitText = query(url, 'limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw badRequest(`invalid limit: ${limitText}`);
  return {
    labelSelector: query(url, 'labelSelector'),
    fieldSelector: query(url, 'fieldSelector'),
    limit,
    continueToken: query(url, 'continue'),
  };
}

/** DeleteOptions from the body (kubectl sends one) and the query string. */
function deleteOptions(url: URL, body: Buffer): DeleteOptions & { dryRun?: boolean } {
  let parsed: Record<string, unknown> = {};
  if (body.length > 0) {
    try {
      const value = JSON.parse(body.toString('utf8')) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        parsed = value as Record<string, unknown>;
    } catch (err) {
      throw badRequest(`the request body could not be decoded as DeleteOptions: ${(err as Error).message}`);
    }
  }
  let policy = query(url, 'propagationPolicy') ?? parsed['propagationPolicy'];
  const orphan = query(url, 'orphanDependents') ?? parsed['orphanDependents'];
  if (policy === undefined && (orphan === true || orphan === 'true')) policy = 'Orphan';
  if (policy !== undefined && policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
    throw badRequest(`propagationPolicy: Unsupported value: "${String(policy)}"`);
  }
  const pre = parsed['preconditions'] as { uid?: unknown; resourceVersion?: unknown } | undefined;
  const dryRun = [
    ...url.searchParams.getAll('dryRun'),
    ...(Array.isArray(parsed['dryRun']) ? parsed['dryRun'] : []),
  ];
  return {
    ...(policy !== undefined ? { propagationPolicy: policy } : {}),
    ...(pre !== undefined
      ? {
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        }
      : {}),
    dryRun: dryRun.includes('All'),
  };
}

function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const first = accept.split(',')[0] ?? '';
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

function includeObject(url: URL): 'None' | 'Metadata' | 'Object' {
  const v = query(url, 'includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function written(route: ResourceRoute, result: WriteResult): ApiResponse {
  const object =
    route.subresource === 'scale' ? result.object : atVersion(result.object, route.resource, route.version);
  return { status: result.isCreated ? 201 : 200, body: object, warnings: result.warnings };
}

/** Handles one request on a resource URL; returns undefined when it streamed the response itself (watch). */
export function handleResource(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  url: URL,
  body: Buffer,
): ApiResponse | undefined {
  const { resource, version, namespace, name, subresource } = route;
  const { service } = ctx;
  const present = (object: KubeObject): KubeObject => atVersion(object, resource, version);
  const method = req.method ?? 'GET';
  if (name === undefined) {
    if (method === 'GET') {
      const q = listQuery(url);
      if (isTrue(query(url, 'watch'))) {
        objectMatcher(resource, q); // a malformed selector is a 400 before the stream starts
        const table = wantsTable(req);
        const timeout = query(url, 'timeoutSeconds');
        serveWatch(req, res, {
          store: service.deps.store,
          clock: ctx.clock,
          resource,
          namespace,
          resourceVersion: query(url, 'resourceVersion'),
          query: q,
          allowBookmarks: isTrue(query(url, 'allowWatchBookmarks')),
          timeoutSeconds: timeout === undefined ? undefined : Math.max(0, Number(timeout) || 0),
          bookmarkIntervalMs: ctx.bookmarkIntervalMs,
          present: (object) =>
            table
              ? buildTable(resource, [present(object)], {
                  includeObject: includeObject(url),
                  nowMs: ctx.clock.wallMs(),
                  resourceVersion: object.metadata.resourceVersion ?? '',
                })
              : present(object),
          bookmarkObject: (rv) => ({
            kind: resource.kind,
            apiVersion: present({ apiVersion: '', kind: resource.kind, metadata: {} }).apiVersion,
            metadata: { resourceVersion: rv },
          }),
        });
        return undefined;
      }
      const page = listObjects(service.deps.store, resource, namespace, q);
      if (wantsTable(req)) {
        return {
          status: 200,
          body: buildTable(resource, page.items.map(present), {
            includeObject: includeObject(url),
            nowMs: ctx.clock.wallMs(),
            resourceVersion: page.resourceVersion,
            ...(page.continueToken !== undefined ? { continueToken: page.continueToken } : {}),
          }),
        };
      }
      return {
        status: 200,
        body: {
          kind: resource.listKind,
          apiVersion: present({ apiVersion: '', kind: '', metadata: {} }).apiVersion,
          metadata: {
            resourceVersion: page.resourceVersion,
            ...(page.continueToken !== undefined ? { continue: page.continueToken } : {}),
            ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
          },
          items: page.items.map(present),
        },
      };
    }
    if (method === 'POST') {
      if (resource.namespaced && namespace === undefined) throw methodNotAllowed(method);
      return written(
        route,
        service.create(resource, version, namespace, decodeBody(req, body), writeOptions(url)),
      );
    }
    if (method === 'DELETE' && resource.plural !== 'namespaces') {
      const matches = objectMatcher(resource, listQuery(url));
      const items = ctx.deletion.deleteCollection(resource, namespace, matches, deleteOptions(url, body));
      return {
        status: 200,
        body: {
          kind: resource.listKind,
          apiVersion: present({ apiVersion: '', kind: '', metadata: {} }).apiVersion,
          metadata: { resourceVersion: String(service.deps.store.currentRv()) },
          items: items.map(present),
        },
      };
    }
    throw methodNotAllowed(method);
  }
  switch (method) {
    case 'GET': {
      const object = service.get(resource, namespace, name);
      if (subresource === 'scale') return { status: 200, body: toScale(object) };
      if (wantsTable(req)) {
        return {
          status: 200,
          body: buildTable(resource, [present(object)], {
            includeObject: includeObject(url),
            nowMs: ctx.clock.wallMs(),
            resourceVersion: object.metadata.resourceVersion ?? '',
          }),
        };
      }
      return { status: 200, body: present(object) };
    }
    case 'PUT': {
      const options = writeOptions(url);
      if (subresource === 'scale') {
        const current = service.get(resource, namespace, name);
        return written(
          route,
          updateScale(service, resource, version, current, decodeBody(req, body), options),
        );
      }
      return written(
        route,
        service.update(resource, version, namespace, name, decodeBody(req, body), options, subresource),
      );
    }
    case 'PATCH': {
      const type = patchTypes[mediaType(req)];
      if (type === undefined) throw unsupportedMediaType(Object.keys(patchTypes).join(', '));
      const options = writeOptions(url);
      if (subresource === 'scale') {
        if (type === 'apply')
          throw unsupportedMediaType(
            'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
          );
        const current = service.get(resource, namespace, name);
        return written(
          route,
          patchScale(service, resource, version, current, type, body.toString('utf8'), options),
        );
      }
      return written(
        route,
        service.patch(resource, version, namespace, name, type, body.toString('utf8'), options, subresource),
      );
    }
    case 'DELETE': {
      if (subresource !== undefined) throw methodNotAllowed(method);
      const result = ctx.deletion.delete(resource, namespace, name, deleteOptions(url, body));
      if (!result.isDeleted || resource.plural === 'pods')
        return { status: 200, body: present(result.object) };
      // Most registries answer an immediate delete with a Success Status (`finalizeDelete`).
      return {
        status: 200,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: resource.group, kind: resource.plural, uid: result.object.metadata.uid },
        },
      };
    }
    default:
      throw methodNotAllowed(method);
  }
}

function methodNotAllowed(method: string): KubeApiError {
  return new KubeApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
    {},
  );
}
