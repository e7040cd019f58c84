/**
 * Objects as the informers hand them on: plain JSON as the API server sent it, with at least a
 * `metadata.name`. Listed objects come back from client-node's typed clients as model instances
 * (timestamps as `Date`); they are turned back into wire JSON so that listed and watched objects
 * look the same to consumers.
 */
import { isRecord } from '../../core/json-shape.js';

export interface WatchedObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** True for an object the informer cache can hold (client-node indexes by namespace and name). */
export function isWatchedObject(value: unknown): value is WatchedObject {
  if (!isRecord(value)) return false;
  const meta = value['metadata'];
  return isRecord(meta) && typeof meta['name'] === 'string' && meta['name'] !== '';
}

/** The wire JSON of a listed object (model instances serialize to their JSON field names). */
export function toWireJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
