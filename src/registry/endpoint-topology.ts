/**
 * Where an endpoint or workload runs and how it is labelled, as Istio's Kubernetes registry derives
 * it: locality, network, the topology labels Istio adds, the sidecar's TLS mode and the SPIFFE
 * identity. Pure functions over parsed objects.
 */
import type { Locality } from '../core/locality.js';
import { TopologyLabel } from './mesh-model.js';
import type { NodeRecord, PodRecord } from './kube-records.js';

/** Pod labels that set the locality directly: Istio master reads `topology.istio.io/locality` first, then `istio-locality`. */
export const LocalityLabel = { topology: 'topology.istio.io/locality', legacy: 'istio-locality' } as const;

/** Deprecated node labels Istio falls back to (`controller.go` NodeRegionLabel / NodeZoneLabel). */
export const BetaTopologyLabel = {
  region: 'failure-domain.beta.kubernetes.io/region',
  zone: 'failure-domain.beta.kubernetes.io/zone',
} as const;

export const TlsModeLabel = 'security.istio.io/tlsMode';
export const SidecarStatusAnnotation = 'sidecar.istio.io/status';

/**
 * Istio `pkg/serviceregistry/util/label/label.go` SplitLocalityLabel: `region/zone/subzone`, missing
 * parts empty, parts after the third ignored.
 */
export function splitLocality(text: string): Locality {
  const [region = '', zone = '', subZone = ''] = text.split('/');
  return { region, zone, subZone };
}

/**
 * The locality a pod's labels set, if any (Istio `pkg/model/proxy.go` GetLocalityLabel and
 * SanitizeLocalityLabel): Kubernetes label values cannot hold `/`, so `.` separates the parts
 * (`us-east1.us-east1-b` is `us-east1/us-east1-b`) unless the value already has a `/`.
 */
export function podLocalityLabel(labels: Readonly<Record<string, string>>): string | undefined {
  const value = labels[LocalityLabel.topology] ?? labels[LocalityLabel.legacy];
  if (value === undefined || value === '') return undefined;
  return value.includes('/') ? value : value.replaceAll('.', '/');
}

/**
 * A node's locality (Istio `pilot/pkg/serviceregistry/kube/controller/controller.go` getPodLocality):
 * `topology.kubernetes.io/region` (else the deprecated `failure-domain.beta...` label), the same for
 * the zone, and `topology.istio.io/subzone`; undefined when the node has none of them.
 */
export function nodeLocality(node: NodeRecord): Locality | undefined {
  const l = node.labels;
  const region = l[TopologyLabel.region] || l[BetaTopologyLabel.region] || '';
  const zone = l[TopologyLabel.zone] || l[BetaTopologyLabel.zone] || '';
  const subZone = l[TopologyLabel.subZone] || '';
  if (region === '' && zone === '' && subZone === '') return undefined;
  return { region, zone, subZone };
}

/** What is known about where an endpoint runs. */
export interface LocalityInputs {
  readonly pod?: PodRecord;
  /** The node of the pod (or, when the pod is unknown, of the EndpointSlice endpoint's `nodeName`). */
  readonly node?: NodeRecord;
  /** The EndpointSlice endpoint's `zone` (the controller copies the node's zone label). */
  readonly sliceZone?: string;
}

/**
 * Endpoint locality: the pod's locality label wins, then its node's topology labels (Istio
 * getPodLocality). Istio skips an endpoint whose pod it has not seen yet (`endpointslice.go` getPod
 * and registerEndpointResync); we keep it and use what is known - the node named by the slice, else
 * the slice's zone alone - so an endpoint is never lost to an event ordering, and it is corrected
 * when the pod or node arrives.
 */
export function endpointLocality(inputs: LocalityInputs): Locality {
  const label = inputs.pod === undefined ? undefined : podLocalityLabel(inputs.pod.labels);
  if (label !== undefined) return splitLocality(label);
  const fromNode = inputs.node === undefined ? undefined : nodeLocality(inputs.node);
  if (fromNode !== undefined) return fromNode;
  return { region: '', zone: inputs.sliceZone ?? '', subZone: '' };
}

/**
 * An endpoint's network (Istio `controller.go` Controller.Network): the pod's
 * `topology.istio.io/network` label, else the label on the cluster's system namespace
 * (`istio-system`, `network.go` setNetworkFromNamespace), else the network configured for the cluster
 * (Istio's meshNetworks / `--network`).
 */
export function endpointNetwork(
  podLabels: Readonly<Record<string, string>> | undefined,
  systemNamespaceNetwork: string | undefined,
  clusterNetwork: string,
): string {
  const fromPod = podLabels?.[TopologyLabel.network];
  if (fromPod !== undefined && fromPod !== '') return fromPod;
  if (systemNamespaceNetwork !== undefined && systemNamespaceNetwork !== '') return systemNamespaceNetwork;
  return clusterNetwork;
}

/**
 * Istio `label.go` AugmentLabels: the pod's labels plus region, zone and subzone (each only when
 * known), the cluster id, the node as `kubernetes.io/hostname`, and the network unless the pod
 * already labels one. `failoverPriority` matches on these.
 */
export function augmentLabels(
  labels: Readonly<Record<string, string>>,
  clusterId: string,
  locality: Locality,
  nodeName: string | undefined,
  network: string,
): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  if (locality.region !== '') out[TopologyLabel.region] = locality.region;
  if (locality.zone !== '') out[TopologyLabel.zone] = locality.zone;
  if (locality.subZone !== '') out[TopologyLabel.subZone] = locality.subZone;
  if (clusterId !== '') out[TopologyLabel.cluster] = clusterId;
  if (nodeName !== undefined && nodeName !== '') out[TopologyLabel.hostname] = nodeName;
  if (network !== '' && (out[TopologyLabel.network] ?? '') === '') out[TopologyLabel.network] = network;
  return out;
}

/**
 * Whether the workload has an Istio sidecar (Istio `pilot/pkg/model/service.go`
 * GetTLSModeFromEndpointLabels): the `security.istio.io/tlsMode` label the injector sets. The lab
 * has no injector, so a pod carrying the injector's `sidecar.istio.io/status` annotation without the
 * label counts as injected too (the injector always writes both, `pkg/kube/inject/inject.go`).
 */
export function podTlsMode(pod: PodRecord | undefined): 'istio' | 'disabled' {
  if (pod === undefined) return 'disabled';
  const label = pod.labels[TlsModeLabel];
  if (label !== undefined) return label === 'istio' ? 'istio' : 'disabled';
  return pod.annotations[SidecarStatusAnnotation] !== undefined ? 'istio' : 'disabled';
}

/** Istio `pkg/spiffe` / `kube/conversion.go` SecureNamingSAN: `spiffe://<trust domain>/ns/<ns>/sa/<sa>`. */
export function spiffeIdentity(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
