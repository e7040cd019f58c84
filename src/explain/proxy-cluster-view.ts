/**
 * The proxy side of an explanation: the proxy admin page `/spillway/clusters` (src/proxy/admin/
 * outlier-view.ts) parsed from `unknown` into typed records. Only what `spillway explain` uses is read;
 * a missing or mistyped field is an error naming its path.
 */
import { JsonReader } from './json-reader.js';

export interface HostEjectionView {
  readonly isEjected: boolean;
  /** Envoy `OutlierEjectionType` of the last enforced ejection (kept after un-ejection). */
  readonly type: string | undefined;
  readonly numEjections: number;
  readonly backoff: number;
  readonly ejectionDurationMs: number;
  readonly timeLeftMs: number;
  /** Until the interval tick that will un-eject it (un-ejection happens on ticks only). */
  readonly expectedUnejectionInMs: number | undefined;
  readonly sinceLastEjectionMs: number | undefined;
}

export interface HostView {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  /** Envoy's coarse health. */
  readonly health: 'healthy' | 'degraded' | 'unhealthy';
  readonly healthFlags: readonly string[];
  readonly edsHealthStatus: string;
  readonly isExcluded: boolean;
  /** Istio's endpoint metadata `istio.workload`: `workload;namespace;canonical name;revision;cluster`. */
  readonly istioWorkload: string | undefined;
  /** Undefined when the cluster has no outlier detection. */
  readonly ejection: HostEjectionView | undefined;
}

export interface LocalityView {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
  readonly weight: number;
  readonly hosts: readonly HostView[];
}

export interface PriorityView {
  readonly priority: number;
  /** Envoy's per-priority health: min(100, floor(OPF * healthy / hosts)). */
  readonly health: number;
  readonly healthyLoad: number;
  readonly degradedLoad: number;
  readonly isPanic: boolean;
  readonly hosts: number;
  readonly healthyHosts: number;
  readonly degradedHosts: number;
  readonly excludedHosts: number;
  readonly localities: readonly LocalityView[];
}

/** The outlier detection settings in force, in Envoy's field names (durations in ms). */
export interface OutlierConfigView {
  readonly consecutive5xx: number;
  readonly enforcingConsecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly alwaysEjectOneHost: boolean;
  readonly enforcingSuccessRate: number;
  readonly enforcingFailurePercentage: number;
}

export interface OutlierView {
  readonly config: OutlierConfigView;
  readonly monitoredHosts: number;
  readonly ejectionsActive: number;
  /** `cluster.<name>.outlier_detection.*` counters by Envoy name. */
  readonly counters: Readonly<Record<string, number>>;
}

export interface ProxyClusterView {
  readonly name: string;
  readonly type: string;
  readonly lbPolicy: string;
  readonly healthyPanicThreshold: number;
  readonly isLocalityWeightedLb: boolean;
  readonly overprovisioningFactor: number | undefined;
  readonly totalHosts: number;
  readonly isTotalPanic: boolean;
  readonly priorities: readonly PriorityView[];
  readonly outlierDetection: OutlierView | undefined;
}

function readEjection(r: JsonReader): HostEjectionView {
  return {
    isEjected: r.at('is_ejected').boolean(),
    type: r.at('type').optional((t) => t.string()),
    numEjections: r.at('num_ejections').number(),
    backoff: r.at('backoff').number(),
    ejectionDurationMs: r.at('ejection_duration_ms').number(),
    timeLeftMs: r.at('time_left_ms').number(),
    expectedUnejectionInMs: r.at('expected_unejection_in_ms').optional((t) => t.number()),
    sinceLastEjectionMs: r.at('since_last_ejection_ms').optional((t) => t.number()),
  };
}

function readHost(r: JsonReader): HostView {
  return {
    address: r.at('address').string(),
    port: r.at('port').number(),
    hostname: r.at('hostname').optional((t) => t.string()) ?? '',
    weight: r.at('weight').number(),
    health: r.at('health').oneOf(['healthy', 'degraded', 'unhealthy'] as const),
    healthFlags: r.at('health_flags').stringList(),
    edsHealthStatus: r.at('eds_health_status').string(),
    isExcluded: r.at('excluded').optional((t) => t.boolean()) ?? false,
    istioWorkload: r.at('istio_workload').optional((t) => t.string()),
    ejection: r.at('ejection').optional(readEjection),
  };
}

function readOutlierConfig(r: JsonReader): OutlierConfigView {
  const n = (key: string): number => r.at(key).number();
  return {
    consecutive5xx: n('consecutive_5xx'),
    enforcingConsecutive5xx: n('enforcing_consecutive_5xx'),
    consecutiveGatewayFailure: n('consecutive_gateway_failure'),
    enforcingConsecutiveGatewayFailure: n('enforcing_consecutive_gateway_failure'),
    splitExternalLocalOriginErrors: r.at('split_external_local_origin_errors').boolean(),
    consecutiveLocalOriginFailure: n('consecutive_local_origin_failure'),
    enforcingConsecutiveLocalOriginFailure: n('enforcing_consecutive_local_origin_failure'),
    intervalMs: n('interval_ms'),
    baseEjectionTimeMs: n('base_ejection_time_ms'),
    maxEjectionTimeMs: n('max_ejection_time_ms'),
    maxEjectionPercent: n('max_ejection_percent'),
    alwaysEjectOneHost: r.at('always_eject_one_host').boolean(),
    enforcingSuccessRate: n('enforcing_success_rate'),
    enforcingFailurePercentage: n('enforcing_failure_percentage'),
  };
}

function readCluster(r: JsonReader): ProxyClusterView {
  const od = r.at('outlier_detection');
  return {
    name: r.at('name').string(),
    type: r.at('type').string(),
    lbPolicy: r.at('lb_policy').string(),
    healthyPanicThreshold: r.at('healthy_panic_threshold').number(),
    isLocalityWeightedLb: r.at('locality_weighted_lb').boolean(),
    overprovisioningFactor: r.at('overprovisioning_factor').optional((t) => t.number()),
    totalHosts: r.at('total_hosts').number(),
    isTotalPanic: r.at('total_panic').boolean(),
    priorities: r
      .at('priorities')
      .items()
      .map((p) => ({
        priority: p.at('priority').number(),
        health: p.at('health').number(),
        healthyLoad: p.at('healthy_load').number(),
        degradedLoad: p.at('degraded_load').number(),
        isPanic: p.at('panic').boolean(),
        hosts: p.at('hosts').number(),
        healthyHosts: p.at('healthy_hosts').number(),
        degradedHosts: p.at('degraded_hosts').number(),
        excludedHosts: p.at('excluded_hosts').number(),
        localities: p
          .at('localities')
          .items()
          .map((l) => ({
            region: l.at('region').string(),
            zone: l.at('zone').string(),
            subZone: l.at('sub_zone').string(),
            weight: l.at('weight').number(),
            hosts: l.at('hosts').items().map(readHost),
          })),
      })),
    outlierDetection: od.optional((o) => ({
      config: readOutlierConfig(o.at('config')),
      monitoredHosts: o.at('monitored_hosts').number(),
      ejectionsActive: o.at('ejections_active').number(),
      counters: o.at('counters').numberMap(),
    })),
  };
}

/** Parses a `/spillway/clusters` answer; `source` names where it came from in error messages. */
export function parseProxyClusters(
  json: unknown,
  source: string,
): { clusters: ProxyClusterView[]; missing: string[] } {
  const r = new JsonReader(source, json);
  return {
    clusters: r.at('clusters').items().map(readCluster),
    missing: r.has('missing') ? r.at('missing').stringList() : [],
  };
}
