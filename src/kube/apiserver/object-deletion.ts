/**
 * Deletion as Kubernetes does it: preconditions, finalizers (a delete only sets `deletionTimestamp`
 * while finalizers remain; the object goes when the last one is removed), and owner-reference
 * cascading with the three propagation policies (`pkg/controller/garbagecollector`):
 * - Background: the owner goes now, then its dependents (recursively).
 * - Foreground: the owner gets `deletionTimestamp` and the `foregroundDeletion` finalizer; dependents
 *   are deleted (foreground too); the owner goes when none is left.
 * - Orphan: dependents lose their owner reference; the owner goes.
 * The garbage collector here is synchronous (cascades run inside the delete request); `sweepOrphans`
 * finishes cascades a crash interrupted.
 */
import { conflict } from './api-errors.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import type { DeleteOptions } from './object-client.js';
import type { ObjectService } from './object-service.js';
import { resourceByPlural } from './resource-registry.js';

export const foregroundFinalizer = 'foregroundDeletion';

// `pkg/registry/core/namespace`: these namespaces are immortal.
const protectedNamespaces = new Set(['default', 'kube-system', 'kube-public']);

export interface DeleteResult {
  /** The object's last state (with deletionTimestamp when finalizers keep it). */
  readonly object: KubeObject;
  /** True when the object is gone; false when finalizers keep it around for now. */
  readonly isDeleted: boolean;
}

export class ObjectDeletion {
  constructor(private readonly service: ObjectService) {
    // An update that removed the last finalizer removed the object: cascade like a delete.
    service.onRemoved = (resource, object) => {
      this.afterRemoved(resource, object, 'Background');
      this.completeForegroundDeletions();
    };
  }

  private get store() {
    return this.service.deps.store;
  }

  private dependentsOf(owner: KubeObject): Array<{ resource: ResourceType; object: KubeObject }> {
    const uid = owner.metadata.uid;
    if (uid === undefined) return [];
    const out: Array<{ resource: ResourceType; object: KubeObject }> = [];
    for (const { resource, object } of this.store.entries()) {
      if (!(object.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid)) continue;
      const type = resourceByPlural(resource);
      if (type !== undefined) out.push({ resource: type, object });
    }
    return out;
  }

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions & { readonly dryRun?: boolean } = {},
  ): DeleteResult {
    const object = this.service.get(resource, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== object.metadata.uid) {
      throw conflict(
        resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${object.metadata.uid ?? ''}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== object.metadata.resourceVersion) {
      throw conflict(
        resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`,
      );
    }
    if (resource.plural === 'namespaces' && protectedNamespaces.has(name)) {
      throw new KubeApiError(
        403,
        'Forbidden',
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        {
          name,
          kind: 'namespaces',
        },
      );
    }
    if (options.dryRun === true) return { object, isDeleted: true };
    if (object.metadata.deletionTimestamp !== undefined) return { object, isDeleted: false };
    const policy = options.propagationPolicy ?? 'Background';
    if (policy === 'Orphan') this.orphanDependents(object);
    const finalizers = [...(object.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes(foregroundFinalizer))
      finalizers.push(foregroundFinalizer);
    if (finalizers.length > 0) {
      const marked: KubeObject = {
        ...object,
        metadata: {
          ...object.metadata,
          deletionTimestamp: this.service.now(),
          deletionGracePeriodSeconds: 0,
          finalizers,
        },
      };
      const [stored] = this.store.commit([{ op: 'put', resource: resource.plural, object: marked }]);
      if (policy === 'Foreground') {
        for (const dep of this.dependentsOf(object))
          this.deleteQuietly(dep.resource, dep.object, 'Foreground');
      }
      this.completeForegroundDeletions();
      const latest = this.store.get(resource.plural, object.metadata.namespace, name);
      return { object: latest ?? stored ?? marked, isDeleted: latest === undefined };
    }
    const [deleted] = this.store.commit([
      { op: 'delete', resource: resource.plural, namespace: object.metadata.namespace ?? '', name },
    ]);
    this.afterRemoved(resource, object, policy);
    this.completeForegroundDeletions();
    return { object: deleted ?? object, isDeleted: true };
  }

  /** Deletes every object of `resource` in `namespace` that `matches` (DELETE on a collection). */
  deleteCollection(
    resource: ResourceType,
    namespace: string | undefined,
    matches: (object: KubeObject) => boolean,
    options: DeleteOptions & { readonly dryRun?: boolean } = {},
  ): KubeObject[] {
    const out: KubeObject[] = [];
    for (const object of this.store.list(resource.plural, resource.namespaced ? namespace : undefined)) {
      if (!matches(object)) continue;
      try {
        out.push(
          this.delete(resource, object.metadata.namespace, object.metadata.name ?? '', options).object,
        );
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code !== 404) throw err;
      }
    }
    return out;
  }

  private deleteQuietly(
    resource: ResourceType,
    object: KubeObject,
    policy: 'Background' | 'Foreground',
  ): void {
    try {
      this.delete(resource, object.metadata.namespace, object.metadata.name ?? '', {
        propagationPolicy: policy,
      });
    } catch (err) {
      // Already gone (a sibling cascade got there first) is fine; anything else is a bug to surface.
      if (!(err instanceof KubeApiError) || (err.code !== 404 && err.code !== 403)) throw err;
    }
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    const writes = this.dependentsOf(owner).map(({ resource, object }) => {
      const ownerReferences = (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
      const metadata: KubeObject['metadata'] = { ...object.metadata, ownerReferences };
      if (ownerReferences.length === 0) delete metadata.ownerReferences;
      return { op: 'put' as const, resource: resource.plural, object: { ...object, metadata } };
    });
    if (writes.length > 0) this.store.commit(writes);
  }

  private afterRemoved(resource: ResourceType, object: KubeObject, policy: string): void {
    if (resource.plural === 'namespaces') {
      // The namespace controller empties a deleted namespace.
      for (const { resource: plural, object: child } of [...this.store.entries()]) {
        const type = resourceByPlural(plural);
        if (type?.namespaced === true && child.metadata.namespace === object.metadata.name) {
          this.deleteQuietly(type, child, 'Background');
        }
      }
    }
    if (policy !== 'Background') return;
    for (const dep of this.dependentsOf(object)) this.deleteQuietly(dep.resource, dep.object, 'Background');
  }

  /** Removes the foregroundDeletion finalizer from owners whose dependents are all gone. */
  private completeForegroundDeletions(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (const { resource, object } of [...this.store.entries()]) {
        const finalizers = object.metadata.finalizers ?? [];
        if (object.metadata.deletionTimestamp === undefined || !finalizers.includes(foregroundFinalizer))
          continue;
        if (this.dependentsOf(object).length > 0) continue;
        const rest = finalizers.filter((f) => f !== foregroundFinalizer);
        const type = resourceByPlural(resource);
        if (rest.length > 0 || type === undefined) {
          this.store.commit([
            {
              op: 'put',
              resource,
              object: { ...object, metadata: { ...object.metadata, finalizers: rest } },
            },
          ]);
        } else {
          this.store.commit([
            {
              op: 'delete',
              resource,
              namespace: object.metadata.namespace ?? '',
              name: object.metadata.name ?? '',
            },
          ]);
          this.afterRemoved(type, object, 'Background');
        }
        changed = true;
      }
    }
  }

  /**
   * Deletes objects all of whose owners are gone (a cascade interrupted by a crash), as the garbage
   * collector does when it finds a dangling owner reference.
   */
  sweepOrphans(): void {
    const uids = new Set<string>();
    for (const { object } of this.store.entries())
      if (object.metadata.uid !== undefined) uids.add(object.metadata.uid);
    for (const { resource, object } of [...this.store.entries()]) {
      const refs = object.metadata.ownerReferences ?? [];
      const type = resourceByPlural(resource);
      if (refs.length === 0 || type === undefined || refs.some((ref) => uids.has(ref.uid))) continue;
      this.deleteQuietly(type, object, 'Background');
    }
    this.completeForegroundDeletions();
  }
}
