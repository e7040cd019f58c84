/**
 * Prometheus HTTP service discovery for a lab: the `[{"targets": [...], "labels": {...}}]` JSON of
 * `http_sd_configs` (Prometheus docs, "HTTP SD": one group per target here, so that each carries its
 * own labels). Every proxy is scraped on its Istio Prometheus listener `<podIP>:15090`
 * `/stats/prometheus` and every control plane on its admin `/metrics` (istiod's monitoring port
 * 15014). Target labels are the ones Kubernetes SD relabelling usually gives (`namespace`, `pod`,
 * `node`, and `cluster`/`region`/`zone` from the node's topology labels), plus `kind`
 * (`sidecar|gateway|control-plane`); `__metrics_path__` picks the path per target, so one scrape job
 * covers both kinds.
 */
import type { MeshState } from '../supervisor/lab-state.js';
import type { LabProxy } from './lab-proxies.js';

export type TargetKind = LabProxy['kind'] | 'control-plane';

export interface SdTargetGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface ControlPlaneTarget {
  readonly mesh: MeshState;
  readonly network?: string;
}

export const targetKinds: readonly TargetKind[] = ['sidecar', 'gateway', 'control-plane'];

export function proxyTargetGroup(p: LabProxy): SdTargetGroup {
  return {
    targets: [p.prometheus],
    labels: {
      __metrics_path__: '/stats/prometheus',
      kind: p.kind,
      namespace: p.namespace,
      pod: p.pod,
      node: p.node,
      cluster: p.cluster,
      region: p.region,
      zone: p.zone,
    },
  };
}

export function controlPlaneTargetGroup(m: MeshState): SdTargetGroup {
  // istiod runs in istio-system; the mesh's control plane serves (and is labelled with) its config
  // cluster, the one whose proxies it configures.
  return {
    targets: [m.adminAddress],
    labels: {
      __metrics_path__: '/metrics',
      kind: 'control-plane',
      namespace: 'istio-system',
      mesh: m.name,
      cluster: m.configCluster,
      region: m.region,
    },
  };
}

/** The discovery document: proxies first, then running control planes, filtered by kind. */
export function labTargetGroups(
  proxies: readonly LabProxy[],
  meshes: readonly MeshState[],
  kinds: ReadonlySet<TargetKind> = new Set(targetKinds),
): SdTargetGroup[] {
  return [
    ...proxies.filter((p) => kinds.has(p.kind)).map(proxyTargetGroup),
    ...(kinds.has('control-plane')
      ? meshes.filter((m) => m.state === 'running').map(controlPlaneTargetGroup)
      : []),
  ];
}

/** `?kind=sidecar,gateway`: the kinds asked for, or an error message. */
export function parseKinds(query: string | null): ReadonlySet<TargetKind> | string {
  if (query === null || query === '') return new Set(targetKinds);
  const asked = query.split(',').map((k) => k.trim());
  const unknown = asked.filter((k) => !(targetKinds as readonly string[]).includes(k));
  if (unknown.length > 0) return `unknown kind ${unknown.join(', ')} (kinds: ${targetKinds.join(', ')})`;
  return new Set(asked as TargetKind[]);
}
