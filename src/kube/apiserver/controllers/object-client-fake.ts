/**
 * An in-memory ObjectClient for the controllers' unit tests: a store with a cluster-wide
 * resourceVersion, generation bumps on spec changes, optimistic concurrency, finalizers,
 * ownerReference cascading on delete and watches delivered synchronously in resourceVersion order.
 * It stands in for the storage layer; it does no validation or defaulting.
 */
import type { Clock } from '../../../core/clock.js';
import { KubeApiError } from '../kube-object.js';
import type { KubeObject } from '../kube-object.js';
import type { DeleteOptions, ListOptions, ObjectClient, WatchEvent, WatchHandle } from '../object-client.js';
import { resourceByPlural } from '../resource-registry.js';
import { asRecord, asString, deepClone, semanticEqual, stringMap } from './json-fields.js';
import { parseLabelSelector, selectorMatches } from '../label-selector.js';

interface Watcher {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly options: ListOptions | undefined;
  readonly onEvent: (event: WatchEvent) => void;
  isStopped: boolean;
}

interface HistoryEntry {
  readonly rv: number;
  readonly resource: string;
  readonly event: WatchEvent;
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) cur = asRecord(cur)[part];
  return typeof cur === 'string'
    ? cur
    : typeof cur === 'number' || typeof cur === 'boolean'
      ? String(cur)
      : '';
}

function matchesOptions(obj: KubeObject, options: ListOptions | undefined): boolean {
  if (options?.labelSelector !== undefined && options.labelSelector !== '') {
    if (!selectorMatches(parseLabelSelector(options.labelSelector), stringMap(obj.metadata.labels)))
      return false;
  }
  if (options?.fieldSelector !== undefined && options.fieldSelector !== '') {
    for (const term of options.fieldSelector.split(',')) {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
      if (!m) throw new KubeApiError(400, 'BadRequest', `invalid field selector: ${term}`);
      const actual = fieldValue(obj, m[1] ?? '');
      if ((m[2] === '!=') === (actual === (m[3] ?? ''))) return false;
    }
  }
  return true;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export class FakeObjectClient implements ObjectClient {
  private rv = 0;
  private uidSeq = 0;
  private nameSeq = 0;
  private readonly objects = new Map<string, { resource: string; object: KubeObject }>();
  private readonly watchers = new Set<Watcher>();
  private readonly history: HistoryEntry[] = [];
  private readonly conflictsToInject = new Map<string, number>();
  /** When true, deleting a Pod only sets deletionTimestamp (the kubelet would finish it). */
  isPodDeletionGraceful = false;
  /** Every mutating call, for assertions: `create pods default/x`. */
  readonly actions: string[] = [];

  constructor(private readonly clock: Clock) {}

  /** The next `count` update/updateStatus calls on `resource` fail with 409 Conflict. */
  injectConflicts(resource: string, count: number): void {
    this.conflictsToInject.set(resource, count);
  }

  /** Finishes a graceful deletion (what the kubelet does once the pod has stopped). */
  finishDeletion(resource: string, namespace: string | undefined, name: string): void {
    const entry = this.objects.get(this.key(resource, namespace, name));
    if (entry !== undefined) this.remove(resource, entry.object, 'Background');
  }

  private key(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}|${namespace ?? ''}|${name}`;
  }

  private isNamespaced(resource: string): boolean {
    return resourceByPlural(resource)?.namespaced ?? true;
  }

  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  private emit(resource: string, type: WatchEvent['type'], object: KubeObject): void {
    const event: WatchEvent = { type, object: deepClone(object) };
    this.history.push({ rv: this.rv, resource, event });
    for (const w of [...this.watchers]) {
      if (w.isStopped || w.resource !== resource) continue;
      if (w.namespace !== undefined && object.metadata.namespace !== w.namespace) continue;
      if (!matchesOptions(object, w.options)) continue;
      w.onEvent({ type, object: deepClone(object) });
    }
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const entry = this.objects.get(this.key(resource, namespace, name));
    return entry === undefined ? undefined : deepClone(entry.object);
  }

  list(
    resource: string,
    namespace: string | undefined,
    options?: ListOptions,
  ): { items: KubeObject[]; resourceVersion: string } {
    const items: KubeObject[] = [];
    for (const { resource: r, object } of this.objects.values()) {
      if (r !== resource) continue;
      if (namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (!matchesOptions(object, options)) continue;
      items.push(deepClone(object));
    }
    items.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`,
      ),
    );
    return { items, resourceVersion: String(this.rv) };
  }

  async create(resource: string, object: KubeObject): Promise<KubeObject> {
    await Promise.resolve();
    const obj = deepClone(object);
    if (obj.metadata.name === undefined || obj.metadata.name === '') {
      if (obj.metadata.generateName === undefined) {
        throw new KubeApiError(422, 'Invalid', 'name or generateName is required');
      }
      this.nameSeq += 1;
      obj.metadata.name = `${obj.metadata.generateName}${String(this.nameSeq).padStart(5, 'x')}`;
    }
    const namespace = this.isNamespaced(resource) ? (obj.metadata.namespace ?? 'default') : undefined;
    if (namespace !== undefined) obj.metadata.namespace = namespace;
    else delete obj.metadata.namespace;
    const key = this.key(resource, namespace, obj.metadata.name);
    if (this.objects.has(key)) {
      throw new KubeApiError(409, 'AlreadyExists', `${resource} "${obj.metadata.name}" already exists`, {
        name: obj.metadata.name,
        kind: resource,
      });
    }
    this.uidSeq += 1;
    obj.metadata.uid = `uid-${this.uidSeq}`;
    obj.metadata.generation = 1;
    obj.metadata.creationTimestamp = new Date(this.clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
    delete obj.metadata.deletionTimestamp;
    if (resource === 'namespaces') obj['spec'] = { finalizers: ['kubernetes'] };
    obj.metadata.resourceVersion = this.nextRv();
    this.objects.set(key, { resource, object: obj });
    this.actions.push(`create ${resource} ${namespace ?? ''}/${obj.metadata.name}`);
    this.emit(resource, 'ADDED', obj);
    return deepClone(obj);
  }

  private current(resource: string, object: KubeObject): KubeObject {
    const namespace = this.isNamespaced(resource) ? (object.metadata.namespace ?? 'default') : undefined;
    const entry = this.objects.get(this.key(resource, namespace, object.metadata.name ?? ''));
    if (entry === undefined) {
      throw new KubeApiError(404, 'NotFound', `${resource} "${object.metadata.name ?? ''}" not found`);
    }
    const injected = this.conflictsToInject.get(resource) ?? 0;
    if (injected > 0) {
      this.conflictsToInject.set(resource, injected - 1);
      throw new KubeApiError(409, 'Conflict', 'injected conflict');
    }
    const rv = object.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== entry.object.metadata.resourceVersion) {
      throw new KubeApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${object.metadata.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return entry.object;
  }

  private store(resource: string, obj: KubeObject): KubeObject {
    obj.metadata.resourceVersion = this.nextRv();
    this.objects.set(this.key(resource, obj.metadata.namespace, obj.metadata.name ?? ''), {
      resource,
      object: obj,
    });
    this.emit(resource, 'MODIFIED', obj);
    if (obj.metadata.deletionTimestamp !== undefined && this.isFinalized(obj)) {
      this.remove(resource, obj, 'Background');
    }
    return deepClone(obj);
  }

  private isFinalized(obj: KubeObject): boolean {
    const specFinalizers = asRecord(obj['spec'])['finalizers'];
    const hasSpecFinalizers =
      obj.kind === 'Namespace' && Array.isArray(specFinalizers) && specFinalizers.length > 0;
    return (obj.metadata.finalizers ?? []).length === 0 && !hasSpecFinalizers;
  }

  async update(resource: string, object: KubeObject): Promise<KubeObject> {
    await Promise.resolve();
    const existing = this.current(resource, object);
    const next = deepClone(object);
    for (const field of ['uid', 'namespace', 'creationTimestamp'] as const) {
      const value = existing.metadata[field];
      if (value !== undefined) next.metadata[field] = value;
      else delete next.metadata[field];
    }
    if (existing.metadata.deletionTimestamp !== undefined) {
      next.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
    } else delete next.metadata.deletionTimestamp;
    if ('status' in existing) next['status'] = deepClone(existing['status']);
    else delete next['status'];
    const generation = existing.metadata.generation ?? 1;
    next.metadata.generation = semanticEqual(specOf(existing), specOf(next)) ? generation : generation + 1;
    this.actions.push(
      `update ${resource} ${existing.metadata.namespace ?? ''}/${existing.metadata.name ?? ''}`,
    );
    return this.store(resource, next);
  }

  async updateStatus(resource: string, object: KubeObject): Promise<KubeObject> {
    await Promise.resolve();
    const existing = this.current(resource, object);
    const next = deepClone(existing);
    next['status'] = deepClone(object['status']);
    this.actions.push(
      `status ${resource} ${existing.metadata.namespace ?? ''}/${existing.metadata.name ?? ''}`,
    );
    return this.store(resource, next);
  }

  async delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<void> {
    await Promise.resolve();
    const entry = this.objects.get(
      this.key(resource, this.isNamespaced(resource) ? namespace : undefined, name),
    );
    if (entry === undefined) throw new KubeApiError(404, 'NotFound', `${resource} "${name}" not found`);
    const obj = entry.object;
    if (options?.preconditions?.uid !== undefined && options.preconditions.uid !== obj.metadata.uid) {
      throw new KubeApiError(409, 'Conflict', 'Precondition failed: UID mismatch');
    }
    this.actions.push(`delete ${resource} ${obj.metadata.namespace ?? ''}/${name}`);
    const isGracefulPod = resource === 'pods' && this.isPodDeletionGraceful;
    if (!this.isFinalized(obj) || isGracefulPod) {
      this.markDeleting(resource, obj);
      return;
    }
    this.remove(resource, obj, options?.propagationPolicy ?? 'Background');
  }

  /** Sets deletionTimestamp (finalizers pending or a graceful pod deletion). */
  private markDeleting(resource: string, obj: KubeObject): void {
    if (obj.metadata.deletionTimestamp !== undefined) return;
    const next = deepClone(obj);
    next.metadata.deletionTimestamp = new Date(this.clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
    if (resource === 'namespaces') next['status'] = { ...asRecord(next['status']), phase: 'Terminating' };
    next.metadata.resourceVersion = this.nextRv();
    this.objects.set(this.key(resource, next.metadata.namespace, next.metadata.name ?? ''), {
      resource,
      object: next,
    });
    this.emit(resource, 'MODIFIED', next);
  }

  private remove(resource: string, obj: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan'): void {
    const key = this.key(resource, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!this.objects.delete(key)) return;
    this.nextRv();
    this.emit(resource, 'DELETED', obj);
    const uid = obj.metadata.uid;
    for (const [depKey, dep] of [...this.objects.entries()]) {
      const refs = dep.object.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      if (policy === 'Orphan') {
        const next = deepClone(dep.object);
        next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
        next.metadata.resourceVersion = this.nextRv();
        this.objects.set(depKey, { resource: dep.resource, object: next });
        this.emit(dep.resource, 'MODIFIED', next);
      } else if (!this.isFinalized(dep.object) || (dep.resource === 'pods' && this.isPodDeletionGraceful)) {
        this.markDeleting(dep.resource, dep.object);
      } else {
        this.remove(dep.resource, dep.object, policy);
      }
    }
  }

  watch(
    resource: string,
    namespace: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options?: ListOptions,
  ): WatchHandle {
    const watcher: Watcher = { resource, namespace, options, onEvent, isStopped: false };
    if (resourceVersion !== undefined && resourceVersion !== '' && resourceVersion !== '0') {
      const from = Number(resourceVersion);
      for (const h of this.history) {
        if (h.rv <= from || h.resource !== resource) continue;
        if (namespace !== undefined && h.event.object.metadata.namespace !== namespace) continue;
        if (!matchesOptions(h.event.object, options)) continue;
        onEvent({ type: h.event.type, object: deepClone(h.event.object) });
      }
    }
    this.watchers.add(watcher);
    return {
      stop: () => {
        watcher.isStopped = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** Number of open watches (tests assert stop() closes them all). */
  watchCount(): number {
    return this.watchers.size;
  }

  /** Shorthand for tests: the object's field `status` as a record. */
  statusOf(resource: string, namespace: string | undefined, name: string): Record<string, unknown> {
    return asRecord(this.get(resource, namespace, name)?.['status']);
  }

  /** Names of objects of `resource` in `namespace`, sorted. */
  names(resource: string, namespace?: string): string[] {
    return this.list(resource, namespace).items.map((o) => asString(o.metadata.name));
  }
}
