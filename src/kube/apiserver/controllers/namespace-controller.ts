/**
 * The namespace controller (`pkg/controller/namespace/deletion`): once a Namespace has a
 * deletionTimestamp it is Terminating; the controller deletes every object of every namespaced
 * resource in it, waits until they are all gone (pods may terminate gracefully), then removes the
 * `kubernetes` finalizer from `spec.finalizers` so the storage can finish deleting the Namespace.
 * Real Kubernetes removes that finalizer through the `namespaces/<name>/finalize` subresource; the
 * lab API has none, so this uses an ordinary update.
 */
import type { ResourceType } from '../kube-object.js';
import { resourceTypes } from '../resource-registry.js';
import type { ControllerContext } from './controller-context.js';
import { isNotFound } from './controller-context.js';
import { asArray, asRecord } from './json-fields.js';
import { ObjectWatch } from './object-watch.js';
import { ReconcileLoop } from './reconcile-loop.js';

const FINALIZER = 'kubernetes';
/** How soon to look again while content is still terminating (Kubernetes estimates from grace periods). */
const CONTENT_RECHECK_MS = 1_000;

export class NamespaceController {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[];
  private readonly namespaced: readonly ResourceType[];

  constructor(
    private readonly ctx: ControllerContext,
    resources: readonly ResourceType[] = resourceTypes,
  ) {
    this.namespaced = resources.filter((r) => r.namespaced);
    this.loop = new ReconcileLoop('namespace', ctx.clock, (key) => this.sync(key));
    this.watches = [
      new ObjectWatch(ctx.client, ctx.clock, 'namespaces', (e) => {
        if (e.type !== 'DELETED' && e.object.metadata.deletionTimestamp !== undefined)
          this.loop.enqueue(e.object.metadata.name ?? '');
      }),
    ];
  }

  private async sync(name: string): Promise<number | undefined> {
    const client = this.ctx.client;
    const ns = client.get('namespaces', undefined, name);
    if (ns === undefined || ns.metadata.deletionTimestamp === undefined) return undefined;
    const status = asRecord(ns['status']);
    if (status['phase'] !== 'Terminating') {
      await client.updateStatus('namespaces', { ...ns, status: { ...status, phase: 'Terminating' } });
    }
    let remaining = 0;
    for (const r of this.namespaced) {
      for (const obj of client.list(r.plural, name).items) {
        remaining += 1;
        if (obj.metadata.deletionTimestamp !== undefined) continue;
        try {
          await client.delete(r.plural, name, obj.metadata.name ?? '', { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    // Deleting may have finished some objects at once; count what is really left.
    remaining = this.namespaced.reduce((n, r) => n + client.list(r.plural, name).items.length, 0);
    if (remaining > 0) return CONTENT_RECHECK_MS;
    const current = client.get('namespaces', undefined, name);
    if (current === undefined) return undefined;
    const spec = asRecord(current['spec']);
    const finalizers = asArray(spec['finalizers']).filter((f) => f !== FINALIZER);
    if (finalizers.length !== asArray(spec['finalizers']).length) {
      await client.update('namespaces', { ...current, spec: { ...spec, finalizers } });
    }
    return undefined;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
