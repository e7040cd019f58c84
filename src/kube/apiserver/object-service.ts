/**
 * The semantics of the API verbs on top of the store: create (generateName, namespace checks, dry
 * run), update with optimistic concurrency, patch and server-side apply, the status subresource,
 * validation, generation and managedFields bookkeeping. Deletion lives in `object-deletion.ts`. Both
 * the HTTP layer and the in-process ObjectClient call this, so controllers see the same rules as
 * kubectl. Objects are stored in the resource's storage version and converted only on output.
 */
import { parse as parseYaml } from 'yaml';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { alreadyExists, badRequest, conflict, invalid, notFound, staleObjectMessage } from './api-errors.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import {
  atVersion,
  generateName,
  initialStatus,
  isManagedFieldsChanged,
  isMeaningfullyChanged,
  isSpecChanged,
  newUid,
  rfc3339,
} from './object-meta-rules.js';
import { applyPatch, managedFieldsAfterUpdate, serverSideApply, type PatchType } from './patch/index.js';
import { parseObjectBody } from './object-body.js';
import { resourceByPlural } from './resource-registry.js';
import type { ObjectStore } from './store/object-store.js';
import { validateObject, type FieldValidation } from './validation/index.js';
import type { MutatingAdmission } from './admission/mutating-admission.js';

export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly fieldValidation?: FieldValidation;
}

export interface WriteResult {
  readonly object: KubeObject;
  /** Warnings for `Warning` response headers (unknown fields under fieldValidation=Warn). */
  readonly warnings: string[];
  /** True when the write created the object (201 Created). */
  readonly isCreated: boolean;
}

export interface ServiceDeps {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly random: Random;
  /** False: Istio kinds are checked against their CRD only (no istiod validating webhook). */
  readonly isIstioWebhookEnabled?: boolean;
  /** Mutating admission steps run on create, in order (e.g. the lab's sidecar injector). */
  readonly admission?: readonly MutatingAdmission[];
}

const serverOwnedMeta = [
  'name',
  'namespace',
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

export class ObjectService {
  constructor(readonly deps: ServiceDeps) {}

  now(): string {
    return rfc3339(this.deps.clock);
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.deps.store.get(resource.plural, resource.namespaced ? namespace : undefined, name);
    if (object === undefined) throw notFound(resource, name);
    return object;
  }

  private requireNamespace(resource: ResourceType, namespace: string | undefined): void {
    if (!resource.namespaced) return;
    if (namespace === undefined || namespace === '') {
      throw badRequest('the server could not find the requested resource (namespace is required)');
    }
    const namespaces = resourceByPlural('namespaces');
    if (namespaces !== undefined && this.deps.store.get('namespaces', undefined, namespace) === undefined) {
      throw notFound(namespaces, namespace);
    }
  }

  private check(
    resource: ResourceType,
    version: string,
    object: KubeObject,
    options: WriteOptions,
  ): string[] {
    // Validated as sent (at the request's version); stored at the storage version.
    const result = validateObject(
      resource,
      version,
      atVersion(object, resource, version),
      options.fieldValidation ?? 'Ignore',
      { isIstioWebhookEnabled: this.deps.isIstioWebhookEnabled ?? true },
    );
    if (result.causes.length > 0) throw invalid(resource, object.metadata.name ?? '', result.causes);
    return result.warnings;
  }

  /** POST: creates `body` in `namespace` (from the URL). */
  create(
    resource: ResourceType,
    version: string,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    const object = parseObjectBody(body, resource);
    return this.createParsed(resource, version, namespace, object, options, undefined);
  }

  private createParsed(
    resource: ResourceType,
    version: string,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions,
    managedFields: KubeObject['metadata']['managedFields'],
  ): WriteResult {
    const meta = object.metadata;
    if (resource.namespaced) {
      if (
        meta.namespace !== undefined &&
        meta.namespace !== '' &&
        namespace !== undefined &&
        meta.namespace !== namespace
      ) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (namespace !== undefined) meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    this.admit(resource, object, options);
    if (
      (meta.name === undefined || meta.name === '') &&
      typeof meta.generateName === 'string' &&
      meta.generateName !== ''
    ) {
      for (let attempt = 0; attempt < 8; attempt++) {
        meta.name = generateName(meta.generateName, this.deps.random);
        if (this.deps.store.get(resource.plural, meta.namespace, meta.name) === undefined) break;
      }
    }
    if (meta.name === undefined || meta.name === '') {
      throw invalid(resource, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    const warnings = this.check(resource, version, object, options);
    this.requireNamespace(resource, meta.namespace);
    if (this.deps.store.get(resource.plural, meta.namespace, meta.name) !== undefined) {
      throw alreadyExists(resource, meta.name);
    }
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = newUid(this.deps.random);
    meta.creationTimestamp = this.now();
    meta.generation = 1;
    const status = initialStatus(resource, object['status']);
    if (status === undefined) delete object['status'];
    else object['status'] = status;
    meta.managedFields =
      managedFields ??
      managedFieldsAfterUpdate({
        previous: undefined,
        updated: object,
        fieldManager: options.fieldManager ?? 'unknown',
        now: this.now(),
      });
    if (meta.managedFields.length === 0) delete meta.managedFields;
    if (options.dryRun === true) return { object, warnings, isCreated: true };
    const [stored] = this.deps.store.commit([{ op: 'put', resource: resource.plural, object }]);
    return { object: stored ?? object, warnings, isCreated: true };
  }

  /**
   * Mutating admission before name generation and validation, as kube-apiserver's create handler
   * orders them. A create into a missing namespace skips it: NamespaceLifecycle would refuse the
   * request before any webhook, and requireNamespace refuses it below.
   */
  private admit(resource: ResourceType, object: KubeObject, options: WriteOptions): void {
    const steps = this.deps.admission ?? [];
    if (steps.length === 0) return;
    let namespace: KubeObject | undefined;
    if (resource.namespaced) {
      const stored = this.deps.store.get('namespaces', undefined, object.metadata.namespace ?? '');
      if (stored === undefined) return;
      namespace = structuredClone(stored); // a step must not change the stored Namespace
    }
    for (const step of steps) {
      step.admit({ resource, operation: 'CREATE', object, namespace, isDryRun: options.dryRun === true });
    }
  }

  /**
   * PUT (or the status subresource's PUT): replaces the object, keeping what the server owns. A set
   * `metadata.resourceVersion` that is not current is a 409 Conflict; an empty one updates
   * unconditionally, as `AllowUnconditionalUpdate` permits for these kinds.
   */
  update(
    resource: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
    subresource?: 'status',
  ): WriteResult {
    const object = parseObjectBody(body, resource);
    const meta = object.metadata;
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (
      resource.namespaced &&
      meta.namespace !== undefined &&
      meta.namespace !== '' &&
      meta.namespace !== namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const current = this.get(resource, namespace, name);
    return this.replace(resource, version, current, object, options, subresource, undefined);
  }

  /** Shared by update, patch and apply: merges server-owned fields into `candidate` and writes it. */
  replace(
    resource: ResourceType,
    version: string,
    current: KubeObject,
    candidate: KubeObject,
    options: WriteOptions,
    subresource: 'status' | 'scale' | undefined,
    managedFields: KubeObject['metadata']['managedFields'],
  ): WriteResult {
    const name = current.metadata.name ?? '';
    const sentRv = candidate.metadata.resourceVersion;
    if (sentRv !== undefined && sentRv !== '' && sentRv !== current.metadata.resourceVersion) {
      throw conflict(resource, name, staleObjectMessage);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      // The status subresource changes only status (`statusStrategy.PrepareForUpdate`).
      next = { ...current, status: candidate['status'] };
      if (candidate['status'] === undefined) delete next['status'];
    } else {
      next = { ...candidate, apiVersion: current.apiVersion, kind: current.kind };
      if (resource.subresources.includes('status') && resource.plural !== 'namespaces') {
        // The main resource ignores status changes when a status subresource exists.
        if (current['status'] === undefined) delete next['status'];
        else next['status'] = current['status'];
      }
      const m = current.metadata;
      // Fields the server owns come from the stored object, whatever the client sent.
      const metadata: Record<string, unknown> = { ...candidate.metadata };
      for (const field of serverOwnedMeta) {
        if (m[field] === undefined) delete metadata[field];
        else metadata[field] = m[field];
      }
      next.metadata = metadata as KubeObject['metadata'];
      if (resource.plural === 'namespaces') next['status'] = current['status'];
    }
    const warnings = this.check(resource, version, next, options);
    if (isSpecChanged(current, next)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    next.metadata.managedFields =
      managedFields ??
      managedFieldsAfterUpdate({
        previous: current,
        updated: next,
        fieldManager: options.fieldManager ?? 'unknown',
        ...(subresource !== undefined ? { subresource } : {}),
        now: this.now(),
      });
    if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    // An update that changes nothing is not written (no new resourceVersion, no watch event), as
    // the registry's GuaranteedUpdate skips identical objects.
    if (
      !isMeaningfullyChanged(current, next) &&
      !isManagedFieldsChanged(current.metadata.managedFields, next.metadata.managedFields)
    ) {
      return { object: current, warnings, isCreated: false };
    }
    if (options.dryRun === true) return { object: next, warnings, isCreated: false };
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the object is removed now (`deletionTimestamp` + no finalizers).
      const deleted = this.deps.store.commit([
        { op: 'delete', resource: resource.plural, namespace: next.metadata.namespace ?? '', name },
      ]);
      this.onRemoved?.(resource, current);
      return { object: deleted[0] ?? next, warnings, isCreated: false };
    }
    const [stored] = this.deps.store.commit([{ op: 'put', resource: resource.plural, object: next }]);
    return { object: stored ?? next, warnings, isCreated: false };
  }

  /** Hook set by the deletion logic: cascades after an object disappears through an update. */
  onRemoved: ((resource: ResourceType, object: KubeObject) => void) | undefined;

  /**
   * PATCH: json/merge/strategic patches via the patch engines, or server-side apply
   * (`application/apply-patch+yaml`), which creates the object when it does not exist.
   */
  patch(
    resource: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType | 'apply',
    rawBody: string,
    options: WriteOptions & { readonly force?: boolean },
    subresource?: 'status',
  ): WriteResult {
    if (type === 'apply')
      return this.apply(resource, version, namespace, name, rawBody, options, subresource);
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody) as unknown;
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const current = this.get(resource, namespace, name);
    const patched = applyPatch(type, structuredClone(current), patch, resource);
    const candidate = parseObjectBody(patched, resource);
    return this.replace(resource, version, current, candidate, options, subresource, undefined);
  }

  private apply(
    resource: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    rawBody: string,
    options: WriteOptions & { readonly force?: boolean },
    subresource: 'status' | undefined,
  ): WriteResult {
    if (options.fieldManager === undefined || options.fieldManager === '') {
      throw new KubeApiError(
        422,
        'Invalid',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    }
    let applied: unknown;
    try {
      applied = parseYaml(rawBody) as unknown;
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
    const appliedObject = parseObjectBody(applied, resource);
    if (appliedObject.metadata.name !== undefined && appliedObject.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${appliedObject.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    appliedObject.metadata.name = name;
    if (resource.namespaced && namespace !== undefined) appliedObject.metadata.namespace = namespace;
    const current = this.deps.store.get(resource.plural, resource.namespaced ? namespace : undefined, name);
    const merged = serverSideApply({
      current: current === undefined ? undefined : structuredClone(current),
      applied: appliedObject,
      fieldManager: options.fieldManager,
      force: options.force === true,
      resource,
      now: this.now(),
    });
    const candidate = parseObjectBody(merged, resource);
    const managedFields = candidate.metadata.managedFields ?? [];
    if (current === undefined) {
      if (subresource !== undefined) throw notFound(resource, name);
      return this.createParsed(resource, version, namespace, candidate, options, managedFields);
    }
    // Apply never carries a precondition unless the user put one in the configuration.
    if (appliedObject.metadata.resourceVersion === undefined) delete candidate.metadata.resourceVersion;
    return this.replace(resource, version, current, candidate, options, subresource, managedFields);
  }
}
