/**
 * The admin `/clusters` page: Envoy's text format (`cluster::host::stat::value` lines, in the order of
 * envoyproxy/envoy `source/server/admin/clusters_handler.cc` `writeClustersAsText`) and its JSON form
 * (`envoy.admin.v3.Clusters`).
 */
import type { Cluster } from '../upstream/cluster.js';
import type { CircuitBreakerThresholds } from '../config/cluster-config.js';
import { HealthFlag, type Host } from '../upstream/host.js';

/** fmt's `{}` / `{:g}` for a double: shortest form, integral values without a fraction. */
function formatNumber(value: number): string {
  return String(value);
}

function circuitBreakerLines(name: string, priority: string, t: CircuitBreakerThresholds): string {
  return (
    `${name}::${priority}_priority::max_connections::${t.maxConnections}\n` +
    `${name}::${priority}_priority::max_pending_requests::${t.maxPendingRequests}\n` +
    `${name}::${priority}_priority::max_requests::${t.maxRequests}\n` +
    `${name}::${priority}_priority::max_retries::${t.maxRetries}\n`
  );
}

function hostsOf(cluster: Cluster): Host[] {
  const hosts: Host[] = [];
  for (const set of cluster.prioritySet.hostSets) hosts.push(...set.hosts);
  return hosts;
}

export function renderClustersText(clusters: readonly Cluster[]): string {
  let out = '';
  const sorted = [...clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const cluster of sorted) {
    const name = cluster.name;
    const detector = cluster.outlierDetector;
    if (detector !== undefined) {
      out += `${name}::outlier::success_rate_average::${formatNumber(detector.successRateAverage('external'))}\n`;
      out += `${name}::outlier::success_rate_ejection_threshold::${formatNumber(detector.successRateEjectionThreshold('external'))}\n`;
      out += `${name}::outlier::local_origin_success_rate_average::${formatNumber(detector.successRateAverage('local'))}\n`;
      out += `${name}::outlier::local_origin_success_rate_ejection_threshold::${formatNumber(detector.successRateEjectionThreshold('local'))}\n`;
    }
    const cb = cluster.config.circuitBreakers;
    out += circuitBreakerLines(name, 'default', cb.default);
    out += circuitBreakerLines(name, 'high', cb.high);
    out += `${name}::added_via_api::${cluster.addedViaApi}\n`;
    for (const host of hostsOf(cluster)) {
      const addr = host.addressKey;
      const stats = host.stats;
      for (const key of Object.keys(stats).sort()) {
        out += `${name}::${addr}::${key}::${stats[key as keyof typeof stats]}\n`;
      }
      out += `${name}::${addr}::hostname::${host.hostname}\n`;
      out += `${name}::${addr}::health_flags::${host.healthFlagsText()}\n`;
      out += `${name}::${addr}::weight::${host.weight}\n`;
      out += `${name}::${addr}::region::${host.locality.region}\n`;
      out += `${name}::${addr}::zone::${host.locality.zone}\n`;
      out += `${name}::${addr}::sub_zone::${host.locality.subZone}\n`;
      out += `${name}::${addr}::canary::false\n`;
      out += `${name}::${addr}::priority::${host.priority}\n`;
      out += `${name}::${addr}::success_rate::${formatNumber(host.outlier?.successRate('external') ?? -1)}\n`;
      out += `${name}::${addr}::local_origin_success_rate::${formatNumber(host.outlier?.successRate('local') ?? -1)}\n`;
    }
  }
  return out;
}

export function renderClustersJson(clusters: readonly Cluster[]): unknown {
  const sorted = [...clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    cluster_statuses: sorted.map((cluster) => {
      const cb = cluster.config.circuitBreakers;
      const thresholds = (priority: string, t: CircuitBreakerThresholds): Record<string, unknown> => ({
        priority,
        max_connections: t.maxConnections,
        max_pending_requests: t.maxPendingRequests,
        max_requests: t.maxRequests,
        max_retries: t.maxRetries,
      });
      return {
        name: cluster.name,
        circuit_breakers: { thresholds: [thresholds('DEFAULT', cb.default), thresholds('HIGH', cb.high)] },
        added_via_api: cluster.addedViaApi,
        host_statuses: hostsOf(cluster).map((host) => {
          const status: Record<string, unknown> = {
            address: { socket_address: { address: host.address, port_value: host.port } },
            stats: Object.entries(host.stats).map(([name, value]) => ({
              name,
              value: String(value),
              ...(name.endsWith('_active') ? { type: 'GAUGE' } : {}),
            })),
            health_status: {
              eds_health_status: host.hasHealthFlag(HealthFlag.failedEdsHealth)
                ? 'UNHEALTHY'
                : host.hasHealthFlag(HealthFlag.degradedEdsHealth)
                  ? 'DEGRADED'
                  : 'HEALTHY',
              ...(host.hasHealthFlag(HealthFlag.failedOutlierCheck) ? { failed_outlier_check: true } : {}),
            },
            weight: host.weight,
            priority: host.priority,
            hostname: host.hostname,
            locality: {
              region: host.locality.region,
              zone: host.locality.zone,
              sub_zone: host.locality.subZone,
            },
          };
          const sr = host.outlier?.successRate('external') ?? -1;
          if (sr >= 0) status['success_rate'] = { value: sr };
          return status;
        }),
      };
    }),
  };
}
