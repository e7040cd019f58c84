/**
 * The admin page `GET /spillway/clusters[?cluster=<name>...][&format=json]`: per upstream cluster, what
 * the load balancer and the outlier detector decide right now - every priority with its load, health
 * and panic flag, its localities and hosts, each host's health and ejection state (type, time left,
 * number of ejections, backoff), the outlier detection settings in force and its counters.
 *
 * Envoy's own admin pages show only part of this (`/clusters` has health flags and priorities but no
 * loads, no panic state and no ejection timing), so the page is Spillway's own; the `/spillway/`
 * prefix keeps it clear of every Envoy admin path (envoyproxy/envoy `source/server/admin/admin.cc`
 * registers its handlers at the top level only). `spillway explain` reads it. JSON only; field names
 * follow Envoy's snake_case, durations are milliseconds with `_ms` in the name.
 */
import type { OutlierDetectionConfig } from '../config/cluster-config.js';
import type { Cluster } from '../upstream/cluster.js';
import { HealthFlag, type Host } from '../upstream/host.js';
import type { OutlierDetector } from '../upstream/outlier/outlier-detector.js';

/** The counters of `cluster.<name>.outlier_detection.*` the page repeats (Envoy's code names). */
const outlierCounters = [
  'ejections_enforced_total',
  'ejections_overflow',
  'ejections_total',
  'ejections_detected_consecutive_5xx',
  'ejections_enforced_consecutive_5xx',
  'ejections_detected_consecutive_gateway_failure',
  'ejections_enforced_consecutive_gateway_failure',
  'ejections_detected_consecutive_local_origin_failure',
  'ejections_enforced_consecutive_local_origin_failure',
  'ejections_detected_success_rate',
  'ejections_enforced_success_rate',
  'ejections_detected_local_origin_success_rate',
  'ejections_enforced_local_origin_success_rate',
  'ejections_detected_failure_percentage',
  'ejections_enforced_failure_percentage',
  'ejections_detected_local_origin_failure_percentage',
  'ejections_enforced_local_origin_failure_percentage',
] as const;

/** Health flags by name, in `/clusters` order. */
function healthFlagList(host: Host): string[] {
  const text = host.healthFlagsText();
  return text === 'healthy' ? [] : text.split('/').filter((f) => f !== '');
}

/** The EDS `health_status` the host carries, recovered from its flags (Host keeps only the flags). */
function edsHealthStatus(host: Host): string {
  if (host.hasHealthFlag(HealthFlag.failedEdsHealth)) return 'UNHEALTHY';
  if (host.hasHealthFlag(HealthFlag.edsStatusDraining)) return 'DRAINING';
  if (host.hasHealthFlag(HealthFlag.degradedEdsHealth)) return 'DEGRADED';
  return 'HEALTHY';
}

const ms = (v: number): number => Math.round(v);

function hostView(host: Host, detector: OutlierDetector | undefined, nowMs: number): Record<string, unknown> {
  const state = detector?.ejectionState(host);
  const workload = (host.metadata['filter_metadata'] as Record<string, unknown> | undefined)?.['istio'] as
    Record<string, unknown> | undefined;
  return {
    address: host.address,
    port: host.port,
    hostname: host.hostname,
    weight: host.weight,
    health: host.coarseHealth(),
    health_flags: healthFlagList(host),
    eds_health_status: edsHealthStatus(host),
    excluded: host.isExcluded(),
    ...(typeof workload?.['workload'] === 'string' ? { istio_workload: workload['workload'] } : {}),
    ejection:
      state === undefined
        ? null
        : {
            is_ejected: state.isEjected,
            type: state.ejectionType ?? null,
            num_ejections: state.numEjections,
            backoff: state.backoff,
            ejection_duration_ms: state.ejectionDurationMs,
            time_left_ms: ms(state.remainingMs),
            expected_unejection_in_ms:
              state.expectedUnejectionMs === undefined
                ? null
                : ms(Math.max(0, state.expectedUnejectionMs - nowMs)),
            since_last_ejection_ms:
              state.lastEjectionMs === undefined ? null : ms(nowMs - state.lastEjectionMs),
            since_last_unejection_ms:
              state.lastUnejectionMs === undefined ? null : ms(nowMs - state.lastUnejectionMs),
            jitter_ms: state.jitterMs,
          },
  };
}

function outlierConfigView(c: OutlierDetectionConfig): Record<string, unknown> {
  return {
    consecutive_5xx: c.consecutive5xx,
    enforcing_consecutive_5xx: c.enforcingConsecutive5xx,
    consecutive_gateway_failure: c.consecutiveGatewayFailure,
    enforcing_consecutive_gateway_failure: c.enforcingConsecutiveGatewayFailure,
    split_external_local_origin_errors: c.splitExternalLocalOriginErrors,
    consecutive_local_origin_failure: c.consecutiveLocalOriginFailure,
    enforcing_consecutive_local_origin_failure: c.enforcingConsecutiveLocalOriginFailure,
    interval_ms: c.intervalMs,
    base_ejection_time_ms: c.baseEjectionTimeMs,
    max_ejection_time_ms: c.maxEjectionTimeMs,
    max_ejection_time_jitter_ms: c.maxEjectionTimeJitterMs,
    max_ejection_percent: c.maxEjectionPercent,
    always_eject_one_host: c.alwaysEjectOneHost,
    enforcing_success_rate: c.enforcingSuccessRate,
    enforcing_local_origin_success_rate: c.enforcingLocalOriginSuccessRate,
    success_rate_minimum_hosts: c.successRateMinimumHosts,
    success_rate_request_volume: c.successRateRequestVolume,
    success_rate_stdev_factor: c.successRateStdevFactor,
    enforcing_failure_percentage: c.enforcingFailurePercentage,
    enforcing_failure_percentage_local_origin: c.enforcingFailurePercentageLocalOrigin,
    failure_percentage_threshold: c.failurePercentageThreshold,
    failure_percentage_minimum_hosts: c.failurePercentageMinimumHosts,
    failure_percentage_request_volume: c.failurePercentageRequestVolume,
  };
}

/** One cluster's page entry. `nowMs` is the proxy clock's monotonic time. */
export function clusterOutlierView(cluster: Cluster, nowMs: number): Record<string, unknown> {
  const detector = cluster.outlierDetector;
  const lb = cluster.loadBalancerState();
  const sets = cluster.prioritySet.hostSets;
  const totalHosts = sets.reduce((n, s) => n + s.hosts.length, 0);
  const scope = cluster.scope.scope('outlier_detection');
  return {
    name: cluster.name,
    type: cluster.config.type,
    lb_policy: cluster.config.lbPolicy,
    healthy_panic_threshold: cluster.config.healthyPanicThresholdPct,
    locality_weighted_lb: cluster.config.localityWeightedLb,
    overprovisioning_factor: sets[0]?.overprovisioningFactor ?? null,
    initialized: cluster.isInitialized,
    total_hosts: totalHosts,
    total_panic: lb.totalPanic,
    priorities: sets.map((set) => ({
      priority: set.priority,
      health: lb.perPriorityHealth[set.priority] ?? 0,
      healthy_load: lb.priorityLoad.healthy[set.priority] ?? 0,
      degraded_load: lb.priorityLoad.degraded[set.priority] ?? 0,
      panic: lb.perPriorityPanic[set.priority] ?? false,
      hosts: set.hosts.length,
      healthy_hosts: set.healthyHosts.length,
      degraded_hosts: set.degradedHosts.length,
      excluded_hosts: set.excludedHosts.length,
      localities: set.localities.map((group) => ({
        region: group.locality.region,
        zone: group.locality.zone,
        sub_zone: group.locality.subZone,
        weight: group.weight,
        hosts: group.hosts.map((h) => hostView(h, detector, nowMs)),
      })),
    })),
    outlier_detection:
      detector === undefined
        ? null
        : {
            config: outlierConfigView(detector.config),
            monitored_hosts: detector.hostsCount(),
            ejections_active: scope.gauge('ejections_active').value,
            counters: Object.fromEntries(outlierCounters.map((name) => [name, scope.counter(name).value])),
          },
  };
}

/**
 * The page body: the named clusters (every cluster when `names` is empty), sorted by name, and the
 * names asked for that the proxy does not have.
 */
export function renderOutlierView(
  clusters: readonly Cluster[],
  names: readonly string[],
  nowMs: number,
): { clusters: unknown[]; missing: string[] } {
  const wanted = new Set(names);
  const chosen = clusters
    .filter((c) => wanted.size === 0 || wanted.has(c.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found = new Set(chosen.map((c) => c.name));
  return {
    clusters: chosen.map((c) => clusterOutlierView(c, nowMs)),
    missing: names.filter((n) => !found.has(n)),
  };
}
