/**
 * Where everything of a lab lives (lab design "Addresses"): all on 127/8, derived from the topology
 * alone so that every process computes the same plan. With `base` = spec.addressBase and cluster N
 * (1-based, topology order):
 *
 *   API server                    127.(base+N).0.1:6443
 *   control plane (config cl. N)  127.(base+N).0.2  xDS :15010, admin :15014
 *   ingress NLB                   127.(base+N).0.10:<ingressPort>
 *   node k (1-based in cluster)   address 127.(base+N).k.1, podCIDR 127.(base+N).k.0/24
 *   its pods                      127.(base+N).k.2 ... .254
 *   a pod's private "localhost"   the pod IP with the second octet + 100
 *
 * Example, base 100: cluster-2's second node is 127.102.2.1 with pods 127.102.2.2..., whose apps
 * listen privately on 127.202.2.x.
 */
import type { LabTopology } from './lab-topology.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface NodePlan {
  /** `<cluster>-<zone>-<i>`, i counting the nodes of that zone from 1. */
  readonly name: string;
  readonly cluster: string;
  readonly region: string;
  readonly zone: string;
  /** The cluster's Istio network. */
  readonly network: string;
  /** k: the node's position in its cluster (1-based), the third octet of its addresses. */
  readonly index: number;
  readonly address: string;
  readonly podCIDR: string;
}

export interface ClusterPlan {
  readonly name: string;
  /** N: position in the topology, 1-based. */
  readonly number: number;
  readonly region: string;
  readonly network: string;
  readonly zones: readonly string[];
  readonly apiServer: HostPort;
  readonly ingress: HostPort;
  readonly nodes: readonly NodePlan[];
}

export interface MeshPlan {
  readonly name: string;
  readonly region: string;
  readonly configCluster: string;
  readonly inboundRetryPolicy: boolean;
  /** Watched clusters other than the config cluster (`--remote`), topology order. */
  readonly remoteClusters: readonly string[];
  readonly xds: HostPort;
  readonly admin: HostPort;
}

export interface LabPlan {
  readonly topology: LabTopology;
  readonly clusters: readonly ClusterPlan[];
  readonly meshes: readonly MeshPlan[];
}

export const apiServerPort = 6443;
export const xdsPort = 15010;
export const controlPlaneAdminPort = 15014;

export function formatHostPort(hp: HostPort): string {
  return `${hp.host}:${hp.port}`;
}

/** The whole address plan of a validated topology. */
export function planLab(topology: LabTopology): LabPlan {
  const clusters = topology.clusters.map((c, i): ClusterPlan => {
    const number = i + 1;
    const net = `127.${topology.addressBase + number}`;
    const nodes: NodePlan[] = [];
    c.zones.forEach((zone, z) => {
      const count = c.nodesPerZone[z] ?? 0;
      for (let n = 1; n <= count; n++) {
        const index = nodes.length + 1;
        nodes.push({
          name: `${c.name}-${zone}-${n}`,
          cluster: c.name,
          region: c.region,
          zone,
          network: c.network,
          index,
          address: `${net}.${index}.1`,
          podCIDR: `${net}.${index}.0/24`,
        });
      }
    });
    return {
      name: c.name,
      number,
      region: c.region,
      network: c.network,
      zones: c.zones,
      apiServer: { host: `${net}.0.1`, port: apiServerPort },
      ingress: { host: `${net}.0.10`, port: c.ingressPort },
      nodes,
    };
  });
  const meshes = topology.meshes.map((m): MeshPlan => {
    const number = topology.clusters.findIndex((c) => c.name === m.configCluster) + 1;
    const host = `127.${topology.addressBase + number}.0.2`;
    return {
      name: m.name,
      region: m.region,
      configCluster: m.configCluster,
      remoteClusters: m.clusters.filter((c) => c !== m.configCluster),
      inboundRetryPolicy: m.inboundRetryPolicy,
      xds: { host, port: xdsPort },
      admin: { host, port: controlPlaneAdminPort },
    };
  });
  return { topology, clusters, meshes };
}

/** The mesh whose control plane serves the proxies of `cluster` (the one it is config cluster of). */
export function meshServing(plan: LabPlan, cluster: string): MeshPlan | undefined {
  return plan.meshes.find((m) => m.configCluster === cluster);
}

/** A pod's private "localhost": its IP with the second octet + 100 (127.102.1.5 -> 127.202.1.5). */
export function podLocalhost(podIp: string): string {
  const parts = podIp.split('.');
  const second = Number(parts[1]);
  if (parts.length !== 4 || parts[0] !== '127' || !Number.isInteger(second) || second + 100 > 255) {
    throw new RangeError(`${podIp} is not a lab pod address`);
  }
  return `127.${second + 100}.${parts[2]}.${parts[3]}`;
}
