/**
 * The built-in topology of `spillway lab up` without `-f`: the seed's two regions (the same as
 * examples/lab/two-regions.yaml, which a test keeps equal). Kept as text so that it goes through
 * the same validation as a user's file.
 */
import type { LabTopology } from './lab-topology.js';
import { parseTopology } from './parse-topology.js';

export const defaultTopologyYaml = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: two-regions
spec:
  addressBase: 100
  regions:
    - name: cn-hangzhou
      zones: [cn-hangzhou-h, cn-hangzhou-k]
    - name: ap-northeast-1
      zones: [ap-northeast-1a, ap-northeast-1b]
  clusters:
    - { name: cluster-1, region: cn-hangzhou, network: network-1, nodesPerZone: 1, ingressPort: 80 }
    - { name: cluster-2, region: ap-northeast-1, network: network-1, nodesPerZone: 1, ingressPort: 80 }
  meshes:
    - { name: mesh-1, region: cn-hangzhou, configCluster: cluster-1, clusters: [cluster-1, cluster-2], inboundRetryPolicy: false }
    - { name: mesh-2, region: ap-northeast-1, configCluster: cluster-2, clusters: [cluster-1, cluster-2], inboundRetryPolicy: false }
`;

export function defaultTopology(): LabTopology {
  return parseTopology(defaultTopologyYaml, '(built-in default topology)');
}
