/**
 * Writes core/v1 Events for controller actions so `kubectl describe` shows them. Repeats of the same
 * (object, type, reason, message) are folded into one Event with a growing `count`, as client-go's
 * event correlator does. Recording never fails the caller: errors are swallowed.
 */
import type { Clock } from '../../../core/clock.js';
import type { KubeObject } from '../kube-object.js';
import type { ObjectClient } from '../object-client.js';

export type EventType = 'Normal' | 'Warning';

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class EventRecorder {
  private readonly byKey = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly client: ObjectClient,
    private readonly clock: Clock,
  ) {}

  /** Records an event about `object` from `component` (e.g. `deployment-controller`). */
  record(component: string, object: KubeObject, type: EventType, reason: string, message: string): void {
    const p = this.write(component, object, type, reason, message).catch(() => {});
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when every event write started so far has finished. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async write(
    component: string,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = object.metadata.namespace ?? 'default';
    const involvedName = object.metadata.name ?? '';
    const key = `${object.metadata.uid ?? ''}|${type}|${reason}|${message}`;
    const now = isoSeconds(this.clock.wallMs());
    const existingName = this.byKey.get(key);
    if (existingName !== undefined) {
      const existing = this.client.get('events', namespace, existingName);
      if (existing !== undefined) {
        const count = typeof existing['count'] === 'number' ? existing['count'] : 1;
        await this.client.update('events', { ...existing, count: count + 1, lastTimestamp: now });
        return;
      }
    }
    // Kubernetes names events `<object>.<hex timestamp in ns>`; a sequence keeps names unique here.
    this.seq += 1;
    const stamp = (BigInt(Math.floor(this.clock.wallMs())) * 1_000_000n + BigInt(this.seq)).toString(16);
    const name = `${involvedName}.${stamp}`;
    await this.client.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: involvedName,
        ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
        ...(object.metadata.uid !== undefined ? { uid: object.metadata.uid } : {}),
        ...(object.metadata.resourceVersion !== undefined
          ? { resourceVersion: object.metadata.resourceVersion }
          : {}),
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
    this.byKey.set(key, name);
  }
}
