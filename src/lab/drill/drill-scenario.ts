/**
 * Who the drill breaks and what it expects, derived from the lab topology. The seed breaks mockb in
 * the first zone of cluster-2 (ap-northeast-1a) and expects mocka there to fail over to mockb in
 * the other zone of the same region, and - with every mockb of the region broken - to the peer
 * deployment in the other region (seed README "The mechanism" 3 and walkthrough step 4). In general:
 * the drill cluster is the last cluster with at least two zones, the broken zone its first zone;
 * the region phase runs when another cluster lies in another region.
 */
import { ConfigError, ErrorCode } from '../../core/errors.js';
import type { ClusterPlan, LabPlan } from '../topology/address-plan.js';

export interface DrillScenario {
  readonly clusters: readonly ClusterPlan[];
  /** The cluster whose mockb is broken. */
  readonly drillCluster: ClusterPlan;
  /** The zone of the drill cluster whose mockb breaks first. */
  readonly brokenZone: string;
  /** Zones of other regions (clusters of the lab), where mocka goes when its whole region is broken. */
  readonly remoteZones: readonly string[];
}

export function drillScenario(plan: LabPlan, file?: string): DrillScenario {
  const unsupported = (path: string, problem: string): ConfigError =>
    new ConfigError(
      ErrorCode.demoTopologyUnsupported,
      { ...(file !== undefined ? { file } : {}), path },
      problem,
    );
  const drillCluster = [...plan.clusters].reverse().find((c) => c.zones.length >= 2);
  if (drillCluster === undefined) {
    throw unsupported(
      'spec.clusters',
      'the demo needs a cluster with at least two zones (it breaks mockb in one zone and expects another zone to take over)',
    );
  }
  const served = new Set(plan.meshes.map((m) => m.configCluster));
  const unserved = plan.clusters.filter((c) => !served.has(c.name)).map((c) => c.name);
  if (unserved.length > 0) {
    throw unsupported(
      'spec.meshes',
      `the demo needs a control plane for every cluster (its sidecars and gateways get their configuration from one); none serves ${unserved.join(', ')}`,
    );
  }
  const remoteZones = plan.clusters
    .filter((c) => c.region !== drillCluster.region)
    .flatMap((c) => c.zones)
    .filter((z, i, all) => all.indexOf(z) === i);
  return { clusters: plan.clusters, drillCluster, brokenZone: drillCluster.zones[0] ?? '', remoteZones };
}

/** The zones a caller in `zone` of the drill cluster may fail over to when `broken` zones are down. */
export function failoverZones(scenario: DrillScenario, broken: readonly string[]): readonly string[] {
  const sameRegion = scenario.drillCluster.zones.filter((z) => !broken.includes(z));
  return sameRegion.length > 0 ? sameRegion : scenario.remoteZones;
}
