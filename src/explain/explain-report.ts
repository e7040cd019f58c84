/**
 * The priority ladder of one service as one proxy sees it, joined from the proxy side (loads, panic,
 * host health, ejections: `/spillway/clusters`) and the config side (which Istio fields produced it:
 * `/debug/explainz`). This record is what `spillway explain --json` prints and what the text
 * rendering reads; it is a pure function of the two answers.
 */
import { virtualServiceName, type ConfigExplanation, type ConfigRefView } from './config-explanation.js';
import { explainWarnings, type ExplainWarning } from './explain-warnings.js';
import type { HostView, ProxyClusterView } from './proxy-cluster-view.js';
import { parseOutboundClusterName } from './service-host.js';

/** How one endpoint looks to the load balancer, in the words of the ladder. */
export type EndpointHealth =
  'healthy' | 'ejected' | 'eds-unhealthy' | 'draining' | 'hc-unhealthy' | 'degraded';

export interface EndpointReport {
  readonly address: string;
  readonly pod: string | undefined;
  /** The Kubernetes cluster the endpoint's pod runs in, when the control plane said. */
  readonly cluster: string | undefined;
  readonly health: EndpointHealth;
  readonly healthFlags: readonly string[];
  /** Present while the endpoint is ejected. */
  readonly ejection:
    | {
        readonly type: string | undefined;
        /** The type in words, with the threshold that fired (e.g. `CONSECUTIVE_5XX: 1 consecutive 5xx (consecutive5xxErrors 1)`). */
        readonly reason: string;
        readonly timeLeftMs: number;
        readonly expectedBackInMs: number | undefined;
        readonly durationMs: number;
        readonly numEjections: number;
        readonly backoff: number;
      }
    | undefined;
  /** Ejections so far (also when not ejected now). */
  readonly numEjections: number;
}

export interface LocalityReport {
  /** `region/zone/sub_zone` (trailing empty parts dropped). */
  readonly locality: string;
  readonly weight: number;
  readonly endpoints: readonly EndpointReport[];
}

export interface PriorityReport {
  readonly priority: number;
  /** The share of requests this priority gets now: healthy + degraded load (spec §2.2). */
  readonly loadPct: number;
  readonly healthyLoadPct: number;
  readonly degradedLoadPct: number;
  /** Envoy's priority health, min(100, floor(overprovisioning factor x healthy / hosts)). */
  readonly health: number;
  readonly isPanic: boolean;
  readonly hosts: number;
  readonly healthyHosts: number;
  readonly degradedHosts: number;
  readonly localities: readonly LocalityReport[];
}

/** Which Istio fields produced the cluster (from the control plane). */
export interface Provenance {
  readonly destinationRule: string | undefined;
  readonly outlierDetection: string;
  readonly priorities: string;
  readonly routes: readonly string[];
}

export interface ClusterReport {
  readonly name: string;
  readonly port: number | undefined;
  readonly subset: string;
  readonly lbPolicy: string;
  readonly healthyPanicThreshold: number;
  readonly isLocalityWeightedLb: boolean;
  readonly isTotalPanic: boolean;
  readonly totalHosts: number;
  readonly ejectedHosts: number;
  readonly priorities: readonly PriorityReport[];
  readonly outlierDetection:
    | {
        readonly consecutive5xx: number;
        readonly consecutiveGatewayFailure: number;
        readonly isGatewayFailureEnforced: boolean;
        readonly splitExternalLocalOriginErrors: boolean;
        readonly consecutiveLocalOriginFailure: number;
        readonly intervalMs: number;
        readonly baseEjectionTimeMs: number;
        readonly maxEjectionTimeMs: number;
        readonly maxEjectionPercent: number;
        readonly ejectionsActive: number;
        readonly ejectionsOverflow: number;
        readonly ejectionsEnforcedTotal: number;
      }
    | undefined;
  /** Undefined when the control plane could not be asked (see ExplainReport.controlPlane). */
  readonly provenance: Provenance | undefined;
  readonly warnings: readonly ExplainWarning[];
}

export interface ExplainReport {
  readonly pod:
    | {
        readonly name: string;
        readonly namespace: string;
        readonly context: string | undefined;
        readonly node: string | undefined;
        readonly ip: string | undefined;
      }
    | undefined;
  readonly namespace: string;
  readonly proxy: { readonly admin: string; readonly nodeId: string };
  readonly service: { readonly query: string; readonly host: string };
  readonly controlPlane: {
    readonly admin: string | undefined;
    /** `ok`, or why the config side is missing. */
    readonly status: 'ok' | 'unreachable' | 'not-connected' | 'unknown-address' | 'error';
    readonly message: string | undefined;
  };
  readonly clusters: readonly ClusterReport[];
}

export function localityText(region: string, zone: string, subZone: string): string {
  const parts = [region, zone, subZone];
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/') === '' ? '(no locality)' : parts.join('/');
}

/** The ladder's word for a host's health (Envoy host flags, `host.h` HealthFlag). */
export function endpointHealth(host: HostView): EndpointHealth {
  const flags = new Set(host.healthFlags);
  if (flags.has('failed_outlier_check')) return 'ejected';
  if (flags.has('failed_eds_health')) return 'eds-unhealthy';
  if (flags.has('eds_status_draining')) return 'draining';
  if (flags.has('failed_active_hc')) return 'hc-unhealthy';
  if (host.health === 'degraded') return 'degraded';
  return host.health === 'unhealthy' ? 'hc-unhealthy' : 'healthy';
}

/**
 * An ejection type in words, with the Istio field whose threshold fired (Envoy `OutlierEjectionType`,
 * translated as spec §3.1 describes: consecutive5xxErrors -> consecutive_5xx, consecutiveGatewayErrors
 * -> consecutive_gateway_failure, consecutiveLocalOriginFailures -> consecutive_local_origin_failure).
 */
export function ejectionReason(type: string | undefined, view: ProxyClusterView): string {
  const c = view.outlierDetection?.config;
  switch (type) {
    case 'CONSECUTIVE_5XX':
      return `CONSECUTIVE_5XX: ${c?.consecutive5xx ?? '?'} consecutive 5xx (consecutive5xxErrors)`;
    case 'CONSECUTIVE_GATEWAY_FAILURE':
      return `CONSECUTIVE_GATEWAY_FAILURE: ${c?.consecutiveGatewayFailure ?? '?'} consecutive 502/503/504 (consecutiveGatewayErrors)`;
    case 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE':
      return `CONSECUTIVE_LOCAL_ORIGIN_FAILURE: ${c?.consecutiveLocalOriginFailure ?? '?'} consecutive connect failures/resets/timeouts (consecutiveLocalOriginFailures)`;
    case 'SUCCESS_RATE':
    case 'SUCCESS_RATE_LOCAL_ORIGIN':
      return `${type}: success rate below the cluster's mean minus stdev factor`;
    case 'FAILURE_PERCENTAGE':
    case 'FAILURE_PERCENTAGE_LOCAL_ORIGIN':
      return `${type}: failure percentage above the threshold`;
    default:
      return type ?? 'unknown reason';
  }
}

const refText = (ref: ConfigRefView): string => `${ref.kind} ${ref.namespace}/${ref.name}`;

/** Where the priorities came from, in Istio's terms (spec §3.4). */
function prioritiesText(config: ConfigExplanation, odText: string): string {
  const dr = config.destinationRule === undefined ? undefined : refText(config.destinationRule);
  const field = 'spec.trafficPolicy.loadBalancer.localityLbSetting';
  switch (config.assignmentMode) {
    case 'failover':
      return config.localityLbSource === 'destination-rule'
        ? `${dr ?? 'DestinationRule'} ${field}: failover by locality (turned on by ${odText})`
        : config.localityLbSource === 'traffic-distribution'
          ? 'Service spec.trafficDistribution: same-zone preference, failover forced without outlier detection'
          : `mesh default localityLbSetting {enabled: true}: failover by locality because outlier detection is set (${odText})`;
    case 'failover-priority':
      return config.localityLbSource === 'traffic-distribution'
        ? 'Service spec.trafficDistribution: failoverPriority by network, region, zone'
        : `${dr ?? 'DestinationRule'} ${field}.failoverPriority: priorities by matching labels (turned on by ${odText})`;
    case 'distribute':
      return `${dr ?? 'mesh'} ${config.localityLbSource === 'mesh' ? 'localityLbSetting' : field}.distribute: locality weights, one priority`;
    case 'flat':
      return `every endpoint at priority 0: ${config.assignmentReason ?? 'no locality failover'}`;
    default:
      return config.assignmentReason ?? 'no endpoint assignment was computed';
  }
}

function provenanceOf(config: ConfigExplanation, host: string): Provenance {
  const dr = config.destinationRule === undefined ? undefined : refText(config.destinationRule);
  const merged =
    config.mergedFrom.length > 1 ? ` (merged from ${config.mergedFrom.map(refText).join(', ')})` : '';
  const odText =
    config.outlierDetectionField === undefined
      ? dr === undefined
        ? `no DestinationRule for ${host}: no outlier detection`
        : `${dr} has no outlierDetection for this cluster`
      : `${dr ?? 'DestinationRule'} ${config.outlierDetectionField}` +
        (config.isOutlierDetectionApplied ? '' : ' (not applied: Istio sends none to proxyless gRPC)');
  const vs = new Set<string>();
  const defaults = new Set<string>();
  for (const r of config.routes) {
    if (r.virtualService !== undefined) {
      vs.add(
        `VirtualService ${virtualServiceName(r.virtualService)} (route config ${r.routeConfig}, virtual host ${r.virtualHost}` +
          (r.weight !== undefined ? `, weight ${r.weight}` : '') +
          ')',
      );
    } else {
      defaults.add(
        `default route, no VirtualService (route config ${r.routeConfig}, virtual host ${r.virtualHost})`,
      );
    }
  }
  return {
    destinationRule: dr === undefined ? undefined : `${dr}${merged}`,
    outlierDetection: odText,
    priorities: prioritiesText(config, odText),
    routes: [...vs, ...defaults],
  };
}

export interface ClusterInputs {
  readonly view: ProxyClusterView;
  /** Undefined when the control plane could not be asked or does not know the cluster. */
  readonly config: ConfigExplanation | undefined;
}

export function buildClusterReport({ view, config }: ClusterInputs): ClusterReport {
  const parsed = parseOutboundClusterName(view.name);
  const origins = new Map((config?.endpoints ?? []).map((e) => [`${e.address}:${e.port}`, e]));
  let ejectedHosts = 0;
  const priorities = view.priorities
    .filter((p) => p.hosts > 0 || p.healthyLoad > 0 || p.degradedLoad > 0)
    .map((p) => ({
      priority: p.priority,
      loadPct: p.healthyLoad + p.degradedLoad,
      healthyLoadPct: p.healthyLoad,
      degradedLoadPct: p.degradedLoad,
      health: p.health,
      isPanic: p.isPanic,
      hosts: p.hosts,
      healthyHosts: p.healthyHosts,
      degradedHosts: p.degradedHosts,
      localities: p.localities.map((l) => ({
        locality: localityText(l.region, l.zone, l.subZone),
        weight: l.weight,
        endpoints: l.hosts.map((h): EndpointReport => {
          const address = `${h.address}:${h.port}`;
          const origin = origins.get(address);
          const health = endpointHealth(h);
          const e = h.ejection;
          if (e?.isEjected === true) ejectedHosts++;
          return {
            address,
            pod:
              origin?.pod ??
              (h.istioWorkload !== undefined ? `workload ${h.istioWorkload.split(';')[0] ?? ''}` : undefined),
            cluster: origin?.cluster,
            health,
            healthFlags: h.healthFlags,
            ejection:
              e?.isEjected === true
                ? {
                    type: e.type,
                    reason: ejectionReason(e.type, view),
                    timeLeftMs: e.timeLeftMs,
                    expectedBackInMs: e.expectedUnejectionInMs,
                    durationMs: e.ejectionDurationMs,
                    numEjections: e.numEjections,
                    backoff: e.backoff,
                  }
                : undefined,
            numEjections: e?.numEjections ?? 0,
          };
        }),
      })),
    }));
  const od = view.outlierDetection;
  return {
    name: view.name,
    port: parsed?.port,
    subset: parsed?.subset ?? '',
    lbPolicy: view.lbPolicy,
    healthyPanicThreshold: view.healthyPanicThreshold,
    isLocalityWeightedLb: view.isLocalityWeightedLb,
    isTotalPanic: view.isTotalPanic,
    totalHosts: view.totalHosts,
    ejectedHosts,
    priorities,
    outlierDetection:
      od === undefined
        ? undefined
        : {
            consecutive5xx: od.config.enforcingConsecutive5xx > 0 ? od.config.consecutive5xx : 0,
            consecutiveGatewayFailure: od.config.consecutiveGatewayFailure,
            isGatewayFailureEnforced: od.config.enforcingConsecutiveGatewayFailure > 0,
            splitExternalLocalOriginErrors: od.config.splitExternalLocalOriginErrors,
            consecutiveLocalOriginFailure: od.config.consecutiveLocalOriginFailure,
            intervalMs: od.config.intervalMs,
            baseEjectionTimeMs: od.config.baseEjectionTimeMs,
            maxEjectionTimeMs: od.config.maxEjectionTimeMs,
            maxEjectionPercent: od.config.maxEjectionPercent,
            ejectionsActive: od.ejectionsActive,
            ejectionsOverflow: od.counters['ejections_overflow'] ?? 0,
            ejectionsEnforcedTotal: od.counters['ejections_enforced_total'] ?? 0,
          },
    provenance:
      config === undefined || !config.isFound ? undefined : provenanceOf(config, parsed?.host ?? view.name),
    warnings: explainWarnings(view, config?.isFound === true ? config : undefined),
  };
}
