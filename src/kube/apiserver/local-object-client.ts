/**
 * The in-process ObjectClient: the same ObjectService and deletion rules the HTTP verbs use, without
 * HTTP. Objects go in and out in their storage version, as copies (callers may modify them).
 */
import { KubeApiError } from './kube-object.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import type { ObjectDeletion } from './object-deletion.js';
import { listObjects, watchObjects } from './object-listing.js';
import type { DeleteOptions, ListOptions, ObjectClient, WatchEvent, WatchHandle } from './object-client.js';
import type { ObjectService } from './object-service.js';
import { storageApiVersion } from './object-meta-rules.js';
import { resourceByPlural } from './resource-registry.js';

function resolve(plural: string): ResourceType {
  const resource = resourceByPlural(plural);
  if (resource === undefined)
    throw new KubeApiError(404, 'NotFound', `the server could not find the requested resource (${plural})`);
  return resource;
}

function storageVersion(resource: ResourceType): string {
  return resource.versions[0] ?? 'v1';
}

export class LocalObjectClient implements ObjectClient {
  constructor(
    private readonly service: ObjectService,
    private readonly deletion: ObjectDeletion,
    /** Field manager for writes that name none (as a controller's user agent would). */
    private readonly defaultFieldManager = 'spillway-controller-manager',
  ) {}

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = resolve(resource);
    const object = this.service.deps.store.get(type.plural, type.namespaced ? namespace : undefined, name);
    return object === undefined ? undefined : structuredClone(object);
  }

  list(
    resource: string,
    namespace: string | undefined,
    options: ListOptions = {},
  ): { items: KubeObject[]; resourceVersion: string } {
    const page = listObjects(this.service.deps.store, resolve(resource), namespace, options);
    return { items: page.items.map((o) => structuredClone(o)), resourceVersion: page.resourceVersion };
  }

  create(resource: string, object: KubeObject, options: { fieldManager?: string } = {}): Promise<KubeObject> {
    return this.run(() => {
      const type = resolve(resource);
      const body = { ...object, apiVersion: object.apiVersion ?? storageApiVersion(type) };
      return this.service.create(
        type,
        storageVersion(type),
        object.metadata.namespace,
        structuredClone(body),
        {
          fieldManager: options.fieldManager ?? this.defaultFieldManager,
        },
      ).object;
    });
  }

  update(resource: string, object: KubeObject, options: { fieldManager?: string } = {}): Promise<KubeObject> {
    return this.run(() => {
      const type = resolve(resource);
      return this.service.update(
        type,
        storageVersion(type),
        object.metadata.namespace,
        object.metadata.name ?? '',
        structuredClone(object),
        { fieldManager: options.fieldManager ?? this.defaultFieldManager },
      ).object;
    });
  }

  updateStatus(resource: string, object: KubeObject): Promise<KubeObject> {
    return this.run(() => {
      const type = resolve(resource);
      return this.service.update(
        type,
        storageVersion(type),
        object.metadata.namespace,
        object.metadata.name ?? '',
        structuredClone(object),
        { fieldManager: this.defaultFieldManager },
        'status',
      ).object;
    });
  }

  async delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    await this.run(() => this.deletion.delete(resolve(resource), namespace, name, options).object);
  }

  watch(
    resource: string,
    namespace: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options: ListOptions = {},
  ): WatchHandle {
    const type = resolve(resource);
    const fromRv =
      resourceVersion === undefined || resourceVersion === ''
        ? this.service.deps.store.currentRv()
        : Number(resourceVersion);
    if (!Number.isSafeInteger(fromRv)) {
      throw new KubeApiError(400, 'BadRequest', `invalid resource version: ${resourceVersion ?? ''}`);
    }
    // Events are delivered after the write's commit returns, never inside it, so a controller that
    // writes from its handler does not re-enter the store mid-commit.
    let isStopped = false;
    const queue: WatchEvent[] = [];
    let isScheduled = false;
    const flush = (): void => {
      isScheduled = false;
      for (let e = queue.shift(); e !== undefined && !isStopped; e = queue.shift()) onEvent(e);
    };
    const handle = watchObjects(this.service.deps.store, type, namespace, fromRv, options, (type, object) => {
      queue.push({ type, object: structuredClone(object) });
      if (!isScheduled) {
        isScheduled = true;
        queueMicrotask(flush);
      }
    });
    return {
      stop: () => {
        isStopped = true;
        handle.stop();
      },
    };
  }

  /** Runs a synchronous service call as a promise (errors become rejections). */
  private async run(fn: () => KubeObject): Promise<KubeObject> {
    return structuredClone(fn());
  }
}
