/**
 * Which `localityLbSetting` applies to a cluster and whether failover priorities are computed
 * (istio/istio `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` GetLocalityLbSetting,
 * `pilot/pkg/xds/endpoints/endpoint_builder.go` BuildClusterLoadAssignment; spec §3.4): the
 * DestinationRule's setting replaces the mesh's entirely; otherwise a Service
 * `trafficDistribution` forces label-based failover; otherwise the mesh setting (`{enabled: true}`
 * by default). `enabled: false` turns locality LB off.
 */
import type { MeshConfig } from '../istio/istio-config.js';
import { TopologyLabel, type MeshService } from '../registry/mesh-model.js';
import type { LocalityLbSettingView, TrafficPolicyView } from './istio-api.js';

export type TrafficDistribution = 'PreferSameZone' | 'PreferSameNode' | undefined;

/** The Service's `spec.trafficDistribution` (or Istio's annotation), as Istio's GetTrafficDistribution reads it. */
export function serviceTrafficDistribution(service: MeshService): TrafficDistribution {
  for (const clusterId of [...service.clusters.keys()].sort()) {
    const value = service.clusters.get(clusterId)?.trafficDistribution?.toLowerCase();
    if (value === 'preferclose' || value === 'prefersamezone') return 'PreferSameZone';
    if (value === 'prefersamenode') return 'PreferSameNode';
  }
  return undefined;
}

/**
 * `Service.SupportsUnhealthyEndpoints`: with a traffic distribution preference Istio sends
 * unhealthy endpoints so Envoy sees health (PILOT_SEND_UNHEALTHY_ENDPOINTS is off by default).
 */
export function supportsUnhealthyEndpoints(service: MeshService): boolean {
  return serviceTrafficDistribution(service) !== undefined;
}

export interface LocalityLbDecision {
  /** The setting in force, or undefined when locality LB is off. */
  readonly setting: LocalityLbSettingView | undefined;
  readonly source: 'destination-rule' | 'traffic-distribution' | 'mesh' | 'disabled';
  /** Failover priorities are computed (outlier detection present, or forced by trafficDistribution). */
  readonly enableFailover: boolean;
  /** `common_lb_config.locality_weighted_lb_config` is set (cluster_traffic_policy.go applyLocalityLoadBalancer). */
  readonly localityWeighted: boolean;
}

export function decideLocalityLb(
  mesh: MeshConfig,
  service: MeshService,
  policy: TrafficPolicyView | undefined,
): LocalityLbDecision {
  const fromRule = policy?.loadBalancer?.localityLbSetting;
  let setting: LocalityLbSettingView | undefined;
  let source: LocalityLbDecision['source'];
  let forced = false;
  const distribution = serviceTrafficDistribution(service);
  if (fromRule !== undefined) {
    setting = fromRule.enabled === false ? undefined : fromRule;
    source = setting === undefined ? 'disabled' : 'destination-rule';
  } else if (distribution !== undefined) {
    const failoverPriority: string[] = [TopologyLabel.network, TopologyLabel.region, TopologyLabel.zone];
    if (distribution === 'PreferSameNode')
      failoverPriority.push(TopologyLabel.subZone, TopologyLabel.hostname);
    setting = { enabled: true, failoverPriority };
    source = 'traffic-distribution';
    forced = true;
  } else {
    const meshSetting = mesh.localityLbSetting as LocalityLbSettingView | undefined;
    setting = meshSetting === undefined || meshSetting.enabled === false ? undefined : meshSetting;
    source = setting === undefined ? 'disabled' : 'mesh';
  }
  const enableFailover = forced || policy?.outlierDetection !== undefined;
  const localityWeighted =
    (enableFailover &&
      ((setting?.failover?.length ?? 0) > 0 || (setting?.failoverPriority?.length ?? 0) > 0)) ||
    (setting?.distribute?.length ?? 0) > 0;
  return { setting, source, enableFailover, localityWeighted };
}
