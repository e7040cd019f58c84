/**
 * Registry snapshots and Istio config snapshots from compact descriptions, for tests (the real
 * registry comes from Kubernetes informers). Endpoints follow Kubernetes: a pod backs a service of
 * its own cluster and namespace when the service's selector matches its labels; labels are
 * augmented with Istio's topology labels (AugmentLabels).
 */
import { makeLocality } from '../../core/locality.js';
import type { ConfigEntry, IstioConfigSnapshot } from '../../istio/istio-config.js';
import {
  TopologyLabel,
  workloadKey,
  type EndpointHealth,
  type MeshEndpoint,
  type MeshService,
  type RegistrySnapshot,
  type ServiceInCluster,
  type ServicePort,
  type WorkloadInstance,
} from '../../registry/mesh-model.js';

export interface ServiceDescription {
  readonly name: string;
  readonly namespace?: string;
  /** Default: one port 8000 named `http`. */
  readonly ports?: readonly {
    name: string;
    port: number;
    targetPort?: number;
    appProtocol?: string;
    protocol?: 'TCP' | 'UDP';
  }[];
  /** Clusters that have the Service, with its ClusterIP there (default: every cluster a pod uses). */
  readonly clusterIPs?: Readonly<Record<string, string>>;
  readonly selector?: Readonly<Record<string, string>>;
  readonly exportTo?: readonly string[];
  readonly trafficDistribution?: string;
}

export interface PodDescription {
  readonly name: string;
  readonly namespace?: string;
  readonly clusterId: string;
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly zone?: string;
  /** Default: derived from the zone (`ap-northeast-1a` -> `ap-northeast-1`, `cn-hangzhou-h` -> `cn-hangzhou`). */
  readonly region?: string;
  readonly subZone?: string;
  readonly network?: string;
  readonly nodeName?: string;
  readonly health?: EndpointHealth;
  readonly weight?: number;
  readonly workloadName?: string;
  readonly tlsMode?: 'istio' | 'disabled';
}

export function regionOfZone(zone: string): string {
  if (/-[a-z]$/.test(zone)) return zone.slice(0, -2);
  if (/\d[a-z]$/.test(zone)) return zone.slice(0, -1);
  return zone;
}

export class RegistryBuilder {
  private readonly services: ServiceDescription[] = [];
  private readonly pods: PodDescription[] = [];
  private readonly domainSuffix: string;

  constructor(domainSuffix = 'cluster.local') {
    this.domainSuffix = domainSuffix;
  }

  service(description: ServiceDescription): this {
    this.services.push(description);
    return this;
  }

  pod(description: PodDescription): this {
    this.pods.push(description);
    return this;
  }

  build(version = 1): RegistrySnapshot {
    const services = new Map<string, MeshService>();
    const endpoints = new Map<string, MeshEndpoint[]>();
    const workloads = new Map<string, WorkloadInstance>();
    const clusterIds = new Set<string>();
    for (const pod of this.pods) {
      clusterIds.add(pod.clusterId);
      const ns = pod.namespace ?? 'default';
      workloads.set(workloadKey(pod.clusterId, ns, pod.name), {
        clusterId: pod.clusterId,
        namespace: ns,
        name: pod.name,
        address: pod.ip,
        labels: pod.labels,
        locality: this.locality(pod),
        network: pod.network ?? '',
        ...(pod.nodeName === undefined ? {} : { nodeName: pod.nodeName }),
        serviceAccount: 'default',
      });
    }
    for (const svc of this.services) {
      const ns = svc.namespace ?? 'default';
      const hostname = `${svc.name}.${ns}.svc.${this.domainSuffix}`;
      const ports: ServicePort[] = (svc.ports ?? [{ name: 'http', port: 8000 }]).map((p) => ({
        name: p.name,
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.targetPort ?? p.port,
        ...(p.appProtocol === undefined ? {} : { appProtocol: p.appProtocol }),
      }));
      const selector = svc.selector ?? { app: svc.name };
      const inClusters =
        svc.clusterIPs ??
        Object.fromEntries([...clusterIds].sort().map((c, i) => [c, `10.96.${i}.${services.size + 10}`]));
      const clusters = new Map<string, ServiceInCluster>();
      for (const [clusterId, clusterIP] of Object.entries(inClusters)) {
        clusters.set(clusterId, {
          clusterId,
          labels: { app: svc.name },
          annotations: {},
          selector,
          clusterIP,
          publishNotReadyAddresses: false,
          ...(svc.trafficDistribution === undefined ? {} : { trafficDistribution: svc.trafficDistribution }),
        });
      }
      services.set(hostname, {
        hostname,
        namespace: ns,
        name: svc.name,
        kind: 'kubernetes',
        ports,
        clusters,
        exportTo: svc.exportTo ?? ['*'],
      });
      const list: MeshEndpoint[] = [];
      for (const pod of this.pods) {
        if ((pod.namespace ?? 'default') !== ns || !clusters.has(pod.clusterId)) continue;
        if (!Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) continue;
        const locality = this.locality(pod);
        for (const port of ports) {
          list.push({
            serviceHostname: hostname,
            servicePortName: port.name,
            servicePort: port.port,
            address: pod.ip,
            endpointPort: typeof port.targetPort === 'number' ? port.targetPort : port.port,
            labels: augment(pod, locality),
            locality,
            clusterId: pod.clusterId,
            network: pod.network ?? '',
            namespace: ns,
            podName: pod.name,
            ...(pod.workloadName === undefined ? {} : { workloadName: pod.workloadName }),
            ...(pod.nodeName === undefined ? {} : { nodeName: pod.nodeName }),
            serviceAccount: 'default',
            health: pod.health ?? 'healthy',
            tlsMode: pod.tlsMode ?? 'disabled',
            weight: pod.weight ?? 1,
          });
        }
      }
      endpoints.set(hostname, list);
    }
    return {
      version,
      services,
      endpoints,
      workloads,
      clusters: [...clusterIds]
        .sort()
        .map((clusterId) => ({ clusterId, network: '', hasSynced: true, isConnected: true })),
    };
  }

  private locality(pod: PodDescription) {
    return makeLocality(
      pod.region ?? (pod.zone === undefined ? '' : regionOfZone(pod.zone)),
      pod.zone ?? '',
      pod.subZone ?? '',
    );
  }
}

function augment(pod: PodDescription, locality: ReturnType<typeof makeLocality>): Record<string, string> {
  const out: Record<string, string> = { ...pod.labels };
  if (locality.region !== '') out[TopologyLabel.region] = locality.region;
  if (locality.zone !== '') out[TopologyLabel.zone] = locality.zone;
  if (locality.subZone !== '') out[TopologyLabel.subZone] = locality.subZone;
  out[TopologyLabel.cluster] = pod.clusterId;
  if (pod.nodeName !== undefined) out[TopologyLabel.hostname] = pod.nodeName;
  if ((pod.network ?? '') !== '') out[TopologyLabel.network] = pod.network as string;
  return out;
}

type Kind = ConfigEntry<unknown>['kind'];

/** One Istio resource as the config store holds it. */
export function configEntry<Spec>(
  kind: Kind,
  name: string,
  namespace: string,
  spec: Spec,
  creationTimestamp = '2025-01-01T00:00:00Z',
): ConfigEntry<Spec> {
  return {
    kind,
    name,
    namespace,
    clusterId: 'cluster-1',
    creationTimestamp,
    resourceVersion: '1',
    labels: {},
    annotations: {},
    spec,
  };
}

export interface IstioDescription {
  readonly destinationRules?: readonly ConfigEntry<unknown>[];
  readonly virtualServices?: readonly ConfigEntry<unknown>[];
  readonly gateways?: readonly ConfigEntry<unknown>[];
}

export function istioSnapshot(description: IstioDescription = {}, version = 1): IstioConfigSnapshot {
  return {
    version,
    destinationRules: (description.destinationRules ?? []) as IstioConfigSnapshot['destinationRules'],
    virtualServices: (description.virtualServices ?? []) as IstioConfigSnapshot['virtualServices'],
    gateways: (description.gateways ?? []) as IstioConfigSnapshot['gateways'],
    serviceEntries: [],
    sidecars: [],
  };
}

/** The seed's lab: mocka/mockb/mockc (port 8000 `http`), one pod per zone, two clusters. */
export function seedRegistry(): RegistryBuilder {
  const b = new RegistryBuilder();
  const zones: [string, string, number][] = [
    ['cluster-1', 'cn-hangzhou-h', 1],
    ['cluster-1', 'cn-hangzhou-k', 2],
    ['cluster-2', 'ap-northeast-1a', 3],
    ['cluster-2', 'ap-northeast-1b', 4],
  ];
  ['mocka', 'mockb', 'mockc'].forEach((app, a) => {
    b.service({ name: app });
    for (const [clusterId, zone, z] of zones) {
      b.pod({
        name: `${app}-${zone}-6d9f7c-x${z}`,
        workloadName: `${app}-${zone}`,
        clusterId,
        ip: `127.84.${a + 1}.${z}`,
        zone,
        nodeName: `node-${zone}`,
        labels: { app, locality: zone },
      });
    }
  });
  return b;
}
