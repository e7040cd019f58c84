/**
 * The in-process API the lab's controllers (and tests) use: the same semantics as the HTTP verbs
 * (validation, resourceVersion checks, generation, finalizers, cascading delete), without HTTP.
 * Resources are named by plural (`pods`, `deployments`, `destinationrules`); objects are returned in
 * their storage version.
 */
import type { KubeObject } from './kube-object.js';

export interface ListOptions {
  /** Kubernetes label selector syntax: `app=mockb,tier in (a,b),!canary`. */
  readonly labelSelector?: string;
  /** Field selector syntax: `spec.nodeName=node-1,status.phase!=Running`. */
  readonly fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface WatchHandle {
  stop(): void;
}

export interface DeleteOptions {
  /** `Background` (default for most kinds), `Foreground` or `Orphan`. */
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface ObjectClient {
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(
    resource: string,
    namespace: string | undefined,
    options?: ListOptions,
  ): { items: KubeObject[]; resourceVersion: string };
  /** Throws KubeApiError (409 AlreadyExists, 422 Invalid ...). */
  create(resource: string, object: KubeObject, options?: { fieldManager?: string }): Promise<KubeObject>;
  /** Replaces spec/metadata (status is kept); 409 Conflict when `metadata.resourceVersion` is stale. */
  update(resource: string, object: KubeObject, options?: { fieldManager?: string }): Promise<KubeObject>;
  /** Replaces only `status` (the status subresource); 409 Conflict on a stale resourceVersion. */
  updateStatus(resource: string, object: KubeObject): Promise<KubeObject>;
  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<void>;
  /**
   * Watches from `resourceVersion` (exclusive; undefined = from now). Events arrive in resourceVersion
   * order. Throws KubeApiError 410 Gone when that version is older than the retained history.
   */
  watch(
    resource: string,
    namespace: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options?: ListOptions,
  ): WatchHandle;
}
