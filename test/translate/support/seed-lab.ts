/**
 * The seed's acceptance scenario as translation input: the manifests of /work/shared/seed applied
 * to two clusters (cluster-1 in cn-hangzhou, cluster-2 in ap-northeast-1), one pod per Deployment
 * in its nodeSelector zone, plus an ingress gateway (Service port 80 -> 8080, label
 * `istio: ingressgateway`) in cluster-2, and optionally destination-rules.yaml.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ConfigEntry, IstioConfigSnapshot } from '../../../src/istio/istio-config.js';
import type { RegistrySnapshot } from '../../../src/registry/mesh-model.js';
import {
  configEntry,
  istioSnapshot,
  RegistryBuilder,
} from '../../../src/translate/testing/registry-builder.js';

const seedDir = '/work/shared/seed';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(`${seedDir}/${file}`, 'utf8'))
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

export const gatewayPodIp = '127.84.9.1';

export function seedRegistry(): RegistrySnapshot {
  const b = new RegistryBuilder();
  const clusters: [string, string][] = [
    ['cluster-1', 'cluster-1-app.yaml'],
    ['cluster-2', 'cluster-2-app.yaml'],
  ];
  const services = new Map<string, Record<string, string>>();
  clusters.forEach(([clusterId, file], c) => {
    let n = 0;
    for (const m of manifests(file)) {
      if (m.kind === 'Service') {
        const ips = services.get(m.metadata.name) ?? {};
        services.set(m.metadata.name, ips);
        ips[clusterId] = `10.${96 + c}.0.${[...services.keys()].indexOf(m.metadata.name) + 10}`;
      }
      if (m.kind === 'Deployment') {
        const template = m.spec['template'] as {
          metadata: { labels: Record<string, string> };
          spec: { nodeSelector: Record<string, string> };
        };
        const zone = template.spec.nodeSelector['topology.kubernetes.io/zone'] as string;
        n++;
        b.pod({
          name: `${m.metadata.name}-5c9b8d7f4-q${n}x2z`,
          workloadName: m.metadata.name,
          clusterId,
          ip: `127.84.${c + 1}.${n}`,
          zone,
          nodeName: `${clusterId}-node-${zone}`,
          labels: template.metadata.labels,
        });
      }
    }
  });
  for (const [name, clusterIPs] of services) b.service({ name, clusterIPs });
  b.service({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    selector: { istio: 'ingressgateway' },
    ports: [{ name: 'http2', port: 80, targetPort: 8080 }],
    clusterIPs: { 'cluster-2': '10.97.0.99' },
  });
  b.pod({
    name: 'istio-ingressgateway-7d4f8b9c6-abcde',
    namespace: 'istio-system',
    workloadName: 'istio-ingressgateway',
    clusterId: 'cluster-2',
    ip: gatewayPodIp,
    zone: 'ap-northeast-1a',
    labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
  });
  return b.build();
}

/** The seed's Gateway and VirtualService (same in both files), with or without destination-rules.yaml. */
export function seedIstio(withDestinationRules: boolean): IstioConfigSnapshot {
  const entry = (m: Manifest): ConfigEntry<unknown> =>
    configEntry(
      m.kind as ConfigEntry<unknown>['kind'],
      m.metadata.name,
      m.metadata.namespace ?? 'default',
      m.spec,
    );
  const app = manifests('cluster-2-app.yaml');
  return istioSnapshot({
    gateways: app.filter((m) => m.kind === 'Gateway').map(entry),
    virtualServices: app.filter((m) => m.kind === 'VirtualService').map(entry),
    destinationRules: withDestinationRules ? manifests('destination-rules.yaml').map(entry) : [],
  });
}

export function sidecarNode(pod: string, ip: string, clusterId: string): unknown {
  return {
    id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
    locality: {},
    metadata: {
      CLUSTER_ID: clusterId,
      NAMESPACE: 'default',
      WORKLOAD_NAME: pod.split('-').slice(0, 3).join('-'),
    },
  };
}
