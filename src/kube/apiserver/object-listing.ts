/**
 * List (selectors, `limit`/`continue` pages) and watch (selector-aware events) over the store, shared
 * by the HTTP API and the in-process client.
 */
import { badRequest } from './api-errors.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import type { WatchEventType } from './object-client.js';
import { parseFieldSelector } from './store/field-selector.js';
import { parseLabelSelector, selectorMatches } from './label-selector.js';
import type { ObjectStore, StoreWatchHandle } from './store/object-store.js';

export interface ListQuery {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continueToken?: string | undefined;
}

export interface ListPage {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

/** A predicate for both selectors; throws 400 for a malformed selector. */
export function objectMatcher(resource: ResourceType, query: ListQuery): (object: KubeObject) => boolean {
  const labels = parseLabelSelector(query.labelSelector);
  const fields = parseFieldSelector(query.fieldSelector, resource);
  return (object) => selectorMatches(labels, object.metadata.labels) && fields.matches(object);
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/**
 * The continue token is opaque to clients (as apiserver's base64 `{v, rv, start}` is); it names the
 * last key served. Later pages read current data rather than a snapshot at the first page's
 * resourceVersion - enough for kubectl's chunked lists of a lab cluster.
 */
function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: unknown;
      start?: unknown;
    };
    if (parsed.v === 'meta.k8s.io/v1' && typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start }), 'utf8').toString('base64url');
}

export function listObjects(
  store: ObjectStore,
  resource: ResourceType,
  namespace: string | undefined,
  query: ListQuery,
): ListPage {
  const matches = objectMatcher(resource, query);
  const rv = store.currentRv();
  let items = store.list(resource.plural, resource.namespaced ? namespace : undefined).filter(matches);
  if (query.continueToken !== undefined && query.continueToken !== '') {
    const after = decodeContinue(query.continueToken);
    items = items.filter((o) => keyOf(o) > after);
  }
  const limit = query.limit ?? 0;
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page,
      resourceVersion: String(rv),
      continueToken: encodeContinue(rv, last === undefined ? '' : keyOf(last)),
      remainingItemCount: items.length - limit,
    };
  }
  return { items, resourceVersion: String(rv) };
}

export type ObjectWatchListener = (type: Exclude<WatchEventType, 'BOOKMARK'>, object: KubeObject) => void;

/**
 * Watches with selectors the way the watch cache filters: an object that starts matching arrives as
 * ADDED, one that stops matching as DELETED (`pkg/storage/cacher` `watchCacheEvent` filtering).
 * Throws 410 Gone when `fromRv` is older than the retained history.
 */
export function watchObjects(
  store: ObjectStore,
  resource: ResourceType,
  namespace: string | undefined,
  fromRv: number | undefined,
  query: ListQuery,
  onEvent: ObjectWatchListener,
): StoreWatchHandle {
  const matches = objectMatcher(resource, query);
  return store.watch(resource.plural, resource.namespaced ? namespace : undefined, fromRv, (event) => {
    const isNow = matches(event.object);
    if (event.type !== 'MODIFIED' || event.previous === undefined) {
      if (isNow) onEvent(event.type, event.object);
      return;
    }
    const wasBefore = matches(event.previous);
    if (isNow && wasBefore) onEvent('MODIFIED', event.object);
    else if (isNow) onEvent('ADDED', event.object);
    else if (wasBefore) onEvent('DELETED', event.object);
  });
}
