/**
 * The shapes shared by the lab API server's modules: Kubernetes objects as plain JSON, the resource
 * types it serves, and Kubernetes-style API errors (`Status` objects).
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A resource the server serves, e.g. `deployments` in `apps/v1`. */
export interface ResourceType {
  /** '' for the core group. */
  readonly group: string;
  /** Served versions; the first is the storage version. */
  readonly versions: readonly string[];
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly subresources: ReadonlyArray<'status' | 'scale'>;
  readonly categories: readonly string[];
  /** Built-in kinds use strategic merge patch; custom resources (Istio) only JSON/merge patch. */
  readonly isBuiltin: boolean;
}

/** `StatusCause` of a Kubernetes `Status`. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** Reasons as Kubernetes spells them (`metav1.StatusReason`). */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'Gone'
  | 'Expired'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'Timeout';

/** An API error; the HTTP layer turns it into a `Status` object with this code. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] },
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** The `Status` object Kubernetes would send. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details !== undefined ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `apiVersion` string of a resource at a version: `v1` or `apps/v1`. */
export function apiVersionOf(resource: ResourceType, version: string): string {
  return resource.group === '' ? version : `${resource.group}/${version}`;
}
