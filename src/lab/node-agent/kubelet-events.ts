/**
 * Events about pods, written as the kubelet writes them so that `kubectl describe pod` and
 * `kubectl get events` read as on a real node: source `kubelet` on this node, `involvedObject` the pod
 * (with `fieldPath: spec.containers{<name>}` for container events), and repeats of the same
 * (object, type, reason, message) folded into one Event whose `count` grows (client-go's
 * `tools/record/events_cache.go` EventCorrelator). Writing never fails the caller: an Event that
 * cannot be written is dropped (the kubelet's broadcaster drops them too when the API is away).
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { KubeRest } from './kube-rest.js';
import { kubeTime } from './pod-status.js';

export type EventType = 'Normal' | 'Warning';

export interface EventPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

interface Folded {
  readonly name: string;
  count: number;
}

export class KubeletEvents {
  private readonly folded = new Map<string, Folded>();
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly rest: KubeRest,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Records an event about `pod` (and one of its containers). */
  record(
    pod: EventPod,
    container: string | undefined,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const p = this.write(pod, container, type, reason, message).catch((err: unknown) => {
      this.log.debug({ err, reason }, 'event not written');
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every event write started so far has finished. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Forgets the folding state of a pod that is gone. */
  forget(uid: string): void {
    for (const key of this.folded.keys()) if (key.startsWith(`${uid}|`)) this.folded.delete(key);
  }

  private async write(
    pod: EventPod,
    container: string | undefined,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const fieldPath = container === undefined ? undefined : `spec.containers{${container}}`;
    const key = `${pod.uid}|${fieldPath ?? ''}|${type}|${reason}|${message}`;
    const now = kubeTime(this.clock.wallMs());
    const base = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`;
    const existing = this.folded.get(key);
    if (existing !== undefined) {
      existing.count++;
      const r = await this.rest.patch(`${base}/${existing.name}`, {
        count: existing.count,
        lastTimestamp: now,
      });
      if (r.status < 300) return;
      this.folded.delete(key); // gone (e.g. the namespace was recreated): write a new one
    }
    // Names as the kubelet's recorder makes them: `<object>.<hex nanoseconds>`, kept unique here.
    this.seq++;
    const stamp = (BigInt(Math.floor(this.clock.wallMs())) * 1_000_000n + BigInt(this.seq)).toString(16);
    const name = `${pod.name}.${stamp}`;
    const r = await this.rest.post(base, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: pod.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        ...(fieldPath !== undefined ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    });
    if (r.status < 300) this.folded.set(key, { name, count: 1 });
  }
}
