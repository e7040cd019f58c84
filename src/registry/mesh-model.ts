/**
 * The service registry's model: what the control plane knows about services, their endpoints and
 * workloads across every Kubernetes cluster of the mesh (Istio's `model.Service`,
 * `model.IstioEndpoint`, `model.WorkloadInstance`, aggregated over clusters). Built from informers
 * (`src/kube/informers/`), consumed by the pure translators (`src/translate/`). Plain immutable data.
 */
import type { Locality } from '../core/locality.js';

/** Label keys Istio adds to every endpoint and proxy (`pkg/serviceregistry/util/label/label.go` AugmentLabels). */
export const TopologyLabel = {
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',
  subZone: 'topology.istio.io/subzone',
  cluster: 'topology.istio.io/cluster',
  network: 'topology.istio.io/network',
  hostname: 'kubernetes.io/hostname',
} as const;

/** One port of a service (Kubernetes `ServicePort`, or a ServiceEntry port). */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** `appProtocol`, when set; Istio derives the protocol from it or from the name prefix (`http-`, `grpc-`). */
  readonly appProtocol?: string;
  /** The target port as written in the Service (a number, or a container port name). */
  readonly targetPort: number | string;
}

/** A Service as it exists in one Kubernetes cluster. */
export interface ServiceInCluster {
  readonly clusterId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** `spec.selector`; absent for selector-less services. */
  readonly selector?: Readonly<Record<string, string>>;
  /**
   * Istio's traffic distribution (`pilot/pkg/model/service.go` GetTrafficDistribution): from
   * `spec.trafficDistribution`, else the `networking.istio.io/traffic-distribution` annotation of the
   * Service, else of its namespace; `PreferClose` is normalized to `PreferSameZone`; unset = no preference.
   */
  readonly trafficDistribution?: string;
  readonly clusterIP?: string;
  readonly publishNotReadyAddresses: boolean;
}

/**
 * One mesh service: every Service with the same namespace/name in any cluster is the same service
 * (Istio multi-cluster "namespace sameness"), keyed by its FQDN.
 */
export interface MeshService {
  /** `mockb.default.svc.cluster.local` (or the ServiceEntry host). */
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'kubernetes' | 'service-entry';
  /** The union of ports over clusters (by port number; the first cluster's definition wins). */
  readonly ports: readonly ServicePort[];
  /** The clusters that have this Service, by cluster id. */
  readonly clusters: ReadonlyMap<string, ServiceInCluster>;
  /** Namespaces it is visible to (`networking.istio.io/exportTo`, or `["*"]`). */
  readonly exportTo: readonly string[];
}

/** Istio's endpoint health (`model.HealthStatus`). Only `healthy` endpoints are sent unless the service supports unhealthy ones. */
export type EndpointHealth = 'healthy' | 'unhealthy' | 'draining' | 'terminating';

/** One endpoint of one service port: a pod (or WorkloadEntry) address and target port (Istio's `IstioEndpoint`). */
export interface MeshEndpoint {
  readonly serviceHostname: string;
  /** The name of the service port this endpoint serves (`http`). */
  readonly servicePortName: string;
  /** The service port number this endpoint serves. */
  readonly servicePort: number;
  /** IPv4 address of the pod. */
  readonly address: string;
  /** The resolved target (container) port. */
  readonly endpointPort: number;
  /** Pod labels augmented with the topology labels above. */
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  readonly clusterId: string;
  readonly network: string;
  readonly namespace: string;
  readonly podName?: string;
  /**
   * The workload the pod belongs to (its Deployment, from owner references), Istio's
   * `IstioEndpoint.WorkloadName`; used in the endpoint's telemetry metadata. Defaults to the pod name.
   */
  readonly workloadName?: string;
  readonly nodeName?: string;
  /** SPIFFE identity `spiffe://<trust domain>/ns/<ns>/sa/<sa>` (Istio SecureNamingSAN); unset while the pod is unknown. */
  readonly serviceAccount?: string;
  readonly health: EndpointHealth;
  /** `istio` when the workload has a sidecar (label `security.istio.io/tlsMode`), else `disabled`. */
  readonly tlsMode: 'istio' | 'disabled';
  /** Load-balancing weight (default 1). */
  readonly weight: number;
}

/** A pod (or WorkloadEntry) known to the registry: what the control plane needs to identify a proxy. */
export interface WorkloadInstance {
  readonly clusterId: string;
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  readonly network: string;
  readonly nodeName?: string;
  /** SPIFFE identity `spiffe://<trust domain>/ns/<ns>/sa/<sa>`. */
  readonly serviceAccount: string;
}

/** How current the registry's view of one Kubernetes cluster is (`/debug/syncz`, `pilot_remote_cluster_sync_status`). */
export interface ClusterSyncState {
  readonly clusterId: string;
  readonly network: string;
  /** True once every informer of the cluster has listed; stays true while it reconnects. */
  readonly hasSynced: boolean;
  /** True while the watch connections are up. */
  readonly isConnected: boolean;
  /** Wall-clock ms of the last event or successful (re)list; undefined before the first. */
  readonly lastUpdateWallMs?: number;
  /** The last connection or list error, if the cluster is currently failing. */
  readonly lastError?: string;
  /**
   * Istio's remote-cluster sync status (`pkg/kube/multicluster/cluster.go` SyncStatus): `syncing`
   * until every informer has listed, `timeout` when a remote did not sync within the bounded initial
   * wait (the control plane serves without it), `synced` once it has.
   */
  readonly syncStatus?: 'syncing' | 'synced' | 'timeout';
  /** While disconnected: wall-clock ms since the connection failed (the data is at least this old). */
  readonly disconnectedSinceWallMs?: number;
}

/** An immutable view of the whole registry at one moment. */
export interface RegistrySnapshot {
  /** Increases with every change; equal versions mean equal content. */
  readonly version: number;
  readonly services: ReadonlyMap<string, MeshService>;
  /** Endpoints by service hostname, all ports, every cluster, every health state. */
  readonly endpoints: ReadonlyMap<string, readonly MeshEndpoint[]>;
  /** Workloads by `<clusterId>/<namespace>/<name>`. */
  readonly workloads: ReadonlyMap<string, WorkloadInstance>;
  readonly clusters: readonly ClusterSyncState[];
}

export function workloadKey(clusterId: string, namespace: string, name: string): string {
  return `${clusterId}/${namespace}/${name}`;
}
