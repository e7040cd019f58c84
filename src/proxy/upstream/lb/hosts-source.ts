/**
 * Which list of hosts a pick draws from: Envoy's `HostsSource` (priority, source type, locality index).
 * Envoy source: `source/extensions/load_balancing_policies/common/load_balancer_impl.h` / `.cc`
 * (`HostsSource`, `ZoneAwareLoadBalancerBase::hostSourceToHosts`).
 */
import type { Host } from '../host.js';
import type { HostSet } from '../priority-set.js';

export type HostsSourceType = 'all' | 'healthy' | 'degraded' | 'localityHealthy' | 'localityDegraded';

export interface HostsSource {
  readonly priority: number;
  readonly type: HostsSourceType;
  /** Index into `HostSet.localities`; only meaningful for the locality source types. */
  readonly localityIndex: number;
}

/** A stable map key for a source (Envoy hashes the same three fields). */
export function hostsSourceKey(source: HostsSource): string {
  return `${source.priority}/${source.type}/${source.localityIndex}`;
}

/** The hosts a source designates. */
export function hostsOfSource(hostSet: HostSet, source: HostsSource): readonly Host[] {
  switch (source.type) {
    case 'all':
      return hostSet.hosts;
    case 'healthy':
      return hostSet.healthyHosts;
    case 'degraded':
      return hostSet.degradedHosts;
    case 'localityHealthy':
      return hostSet.localities[source.localityIndex]?.healthyHosts ?? [];
    case 'localityDegraded':
      return hostSet.localities[source.localityIndex]?.degradedHosts ?? [];
  }
}

/** Every source of a host set, in the order Envoy's `EdfLoadBalancerBase::refresh` builds them. */
export function allHostsSources(hostSet: HostSet): HostsSource[] {
  const priority = hostSet.priority;
  const sources: HostsSource[] = [
    { priority, type: 'all', localityIndex: 0 },
    { priority, type: 'healthy', localityIndex: 0 },
    { priority, type: 'degraded', localityIndex: 0 },
  ];
  hostSet.localities.forEach((_, i) => sources.push({ priority, type: 'localityHealthy', localityIndex: i }));
  hostSet.localities.forEach((_, i) =>
    sources.push({ priority, type: 'localityDegraded', localityIndex: i }),
  );
  return sources;
}
