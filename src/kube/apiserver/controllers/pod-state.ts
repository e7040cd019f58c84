/**
 * A Pod's state as the controllers read it (`k8s.io/kubernetes/pkg/api/v1/pod/util.go`,
 * `pkg/controller/controller_utils.go`): readiness from the Ready condition written by whoever runs
 * the pod, availability after minReadySeconds, and which pods still count as active.
 */
import type { KubeObject } from '../kube-object.js';
import { asArray, asRecord, asString } from './json-fields.js';

/** The pod's condition of this type, if present. */
export function podCondition(pod: KubeObject, type: string): Record<string, unknown> | undefined {
  return asArray(asRecord(pod['status'])['conditions'])
    .map(asRecord)
    .find((c) => c['type'] === type);
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.['status'] === 'True';
}

/**
 * Ready for at least `minReadySeconds` at `nowMs` (`podutil.IsPodAvailable`): with 0 every ready pod
 * is available; otherwise the Ready condition's lastTransitionTime must be that far in the past.
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(asString(podCondition(pod, 'Ready')?.['lastTransitionTime']));
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod becomes available, or undefined when it is not ready. */
export function msUntilAvailable(
  pod: KubeObject,
  minReadySeconds: number,
  nowMs: number,
): number | undefined {
  if (!isPodReady(pod) || minReadySeconds <= 0) return undefined;
  const since = Date.parse(asString(podCondition(pod, 'Ready')?.['lastTransitionTime']));
  if (Number.isNaN(since)) return undefined;
  return Math.max(0, since + minReadySeconds * 1000 - nowMs);
}

export function podPhase(pod: KubeObject): string {
  return asString(asRecord(pod['status'])['phase']);
}

export function isTerminating(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** `controller.IsPodActive`: not Succeeded/Failed and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !isTerminating(pod);
}

export function podNodeName(pod: KubeObject): string {
  return asString(asRecord(pod['spec'])['nodeName']);
}

/** The first IPv4 address of the pod (`status.podIPs`, else `status.podIP`). */
export function podIPv4(pod: KubeObject): string | undefined {
  const status = asRecord(pod['status']);
  const ips = asArray(status['podIPs']).map((p) => asString(asRecord(p)['ip']));
  ips.push(asString(status['podIP']));
  return ips.find((ip) => ip !== '' && !ip.includes(':'));
}
