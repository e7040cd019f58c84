/**
 * The garbage collector (`pkg/controller/garbagecollector`), for what the storage's cascading delete
 * leaves behind: it keeps a graph of ownerReferences from watches on every served resource and
 * - deletes an object whose owners are all gone (absent, or present with another uid), with
 *   Background propagation, and drops dangling references when some owners remain;
 * - for an owner being deleted with the `foregroundDeletion` finalizer, deletes its dependents and
 *   removes the finalizer once no dependent with blockOwnerDeletion is left;
 * - for an owner being deleted with the `orphan` finalizer, removes its ownerReference from the
 *   dependents, then the finalizer.
 * The initial list of each watch checks every existing object, so orphans left by a restart go too.
 */
import type { KubeObject, ResourceType } from '../kube-object.js';
import { resourceForKind, resourceTypes } from '../resource-registry.js';
import type { ControllerContext } from './controller-context.js';
import { isNotFound } from './controller-context.js';
import { deepClone } from './json-fields.js';
import { ObjectWatch } from './object-watch.js';
import { ReconcileLoop } from './reconcile-loop.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

function itemKey(resource: string, obj: KubeObject): string {
  return `${resource}|${obj.metadata.namespace ?? ''}|${obj.metadata.name ?? ''}`;
}

export class GarbageCollector {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[] = [];
  /** owner uid -> keys of objects that reference it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** object key -> owner uids it references (to keep `dependents` exact on updates). */
  private readonly ownersOf = new Map<string, string[]>();

  constructor(
    private readonly ctx: ControllerContext,
    resources: readonly ResourceType[] = resourceTypes,
  ) {
    this.loop = new ReconcileLoop('garbagecollector', ctx.clock, (key) => this.process(key));
    for (const r of resources) {
      if (r.plural === 'events') continue;
      this.watches.push(
        new ObjectWatch(ctx.client, ctx.clock, r.plural, (e) => this.observe(r.plural, e.type, e.object)),
      );
    }
  }

  private observe(resource: string, type: string, obj: KubeObject): void {
    const key = itemKey(resource, obj);
    for (const uid of this.ownersOf.get(key) ?? []) this.dependents.get(uid)?.delete(key);
    this.ownersOf.delete(key);
    if (type === 'DELETED') {
      // Its dependents may now be orphans; owners waiting in foreground deletion may be done.
      for (const dep of this.dependents.get(obj.metadata.uid ?? '') ?? []) this.loop.enqueue(dep);
      for (const ref of obj.metadata.ownerReferences ?? [])
        this.enqueueByUid(ref.uid, ref.kind, ref.apiVersion, ref.name, obj);
      return;
    }
    const refs = obj.metadata.ownerReferences ?? [];
    this.ownersOf.set(
      key,
      refs.map((r) => r.uid),
    );
    for (const r of refs) {
      const set = this.dependents.get(r.uid) ?? new Set<string>();
      set.add(key);
      this.dependents.set(r.uid, set);
    }
    const finalizers = obj.metadata.finalizers ?? [];
    const isFinalizing =
      obj.metadata.deletionTimestamp !== undefined &&
      (finalizers.includes(FOREGROUND) || finalizers.includes(ORPHAN));
    if (refs.length > 0 || isFinalizing) this.loop.enqueue(key);
  }

  private enqueueByUid(
    _uid: string,
    kind: string,
    apiVersion: string,
    name: string,
    dependent: KubeObject,
  ): void {
    const r = resourceForKind(apiVersion, kind);
    if (r === undefined) return;
    this.loop.enqueue(`${r.plural}|${r.namespaced ? (dependent.metadata.namespace ?? '') : ''}|${name}`);
  }

  private get(key: string): { resource: string; obj: KubeObject } | undefined {
    const [resource = '', namespace = '', name = ''] = key.split('|');
    const obj = this.ctx.client.get(resource, namespace === '' ? undefined : namespace, name);
    return obj === undefined ? undefined : { resource, obj };
  }

  private async process(key: string): Promise<undefined> {
    const found = this.get(key);
    if (found === undefined) return undefined;
    const { resource, obj } = found;
    if (obj.metadata.deletionTimestamp !== undefined) {
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes(ORPHAN)) await this.orphanDependents(resource, obj);
      else if (finalizers.includes(FOREGROUND)) await this.deleteDependents(resource, obj);
      return undefined;
    }
    await this.checkOwners(resource, obj);
    return undefined;
  }

  private dependentsOf(obj: KubeObject): Array<{ resource: string; obj: KubeObject }> {
    return [...(this.dependents.get(obj.metadata.uid ?? '') ?? [])]
      .map((k) => this.get(k))
      .filter((d): d is { resource: string; obj: KubeObject } => d !== undefined)
      .filter((d) => (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === obj.metadata.uid));
  }

  private async removeFinalizer(resource: string, obj: KubeObject, finalizer: string): Promise<void> {
    const next = deepClone(obj);
    next.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.ctx.client.update(resource, next);
  }

  private async orphanDependents(resource: string, owner: KubeObject): Promise<void> {
    for (const dep of this.dependentsOf(owner)) {
      const next = deepClone(dep.obj);
      next.metadata.ownerReferences = (dep.obj.metadata.ownerReferences ?? []).filter(
        (r) => r.uid !== owner.metadata.uid,
      );
      await this.ctx.client.update(dep.resource, next);
    }
    await this.removeFinalizer(resource, owner, ORPHAN);
  }

  private async deleteDependents(resource: string, owner: KubeObject): Promise<void> {
    let isBlocked = false;
    for (const dep of this.dependentsOf(owner)) {
      const ref = (dep.obj.metadata.ownerReferences ?? []).find((r) => r.uid === owner.metadata.uid);
      if (ref?.blockOwnerDeletion === true) isBlocked = true;
      if (dep.obj.metadata.deletionTimestamp !== undefined) continue;
      await this.deleteQuietly(
        dep.resource,
        dep.obj,
        ref?.blockOwnerDeletion === true ? 'Foreground' : 'Background',
      );
    }
    // Dependent deletions come back as DELETED events that requeue this owner.
    if (!isBlocked) await this.removeFinalizer(resource, owner, FOREGROUND);
  }

  private async deleteQuietly(
    resource: string,
    obj: KubeObject,
    policy: 'Background' | 'Foreground',
  ): Promise<void> {
    try {
      await this.ctx.client.delete(resource, obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy: policy,
        ...(obj.metadata.uid !== undefined ? { preconditions: { uid: obj.metadata.uid } } : {}),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** `attemptToDeleteItem`: owners resolved live by kind and uid. */
  private async checkOwners(resource: string, obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const dangling: string[] = [];
    let waitingOwner: KubeObject | undefined;
    for (const ref of refs) {
      const r = resourceForKind(ref.apiVersion, ref.kind);
      if (r === undefined) return; // an owner kind we do not serve: never guess, keep the object
      const owner = this.ctx.client.get(
        r.plural,
        r.namespaced ? obj.metadata.namespace : undefined,
        ref.name,
      );
      if (owner === undefined || owner.metadata.uid !== ref.uid) dangling.push(ref.uid);
      else if (
        owner.metadata.deletionTimestamp !== undefined &&
        (owner.metadata.finalizers ?? []).includes(FOREGROUND)
      ) {
        waitingOwner = owner;
      }
    }
    if (dangling.length === refs.length) {
      await this.deleteQuietly(resource, obj, 'Background');
      return;
    }
    if (dangling.length > 0) {
      const next = deepClone(obj);
      next.metadata.ownerReferences = refs.filter((r) => !dangling.includes(r.uid));
      await this.ctx.client.update(resource, next);
      return;
    }
    if (waitingOwner !== undefined && refs.length === 1)
      await this.deleteQuietly(resource, obj, 'Foreground');
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
