/**
 * Test data for src/explain: a proxy's view of one cluster, described per priority as a list of
 * host states, with the priority loads computed the way Envoy does (OPF 140, integer math, spec
 * §2.2; panic per priority only when the total is short, §2.3), so the fake data stay coherent.
 */
import type { ConfigExplanation } from '../config-explanation.js';
import type { HostView, OutlierConfigView, PriorityView, ProxyClusterView } from '../proxy-cluster-view.js';

export type FakeHostState = 'healthy' | 'ejected' | 'eds-unhealthy' | 'degraded';

export interface FakeClusterSpec {
  readonly name?: string;
  /** Per priority: its locality `region/zone` and host states. */
  readonly priorities: ReadonlyArray<{ readonly locality: string; readonly hosts: readonly FakeHostState[] }>;
  /** Undefined: the cluster has no outlier detection. */
  readonly outlier?: Partial<OutlierConfigView> | null;
  readonly counters?: Record<string, number>;
  readonly panicThreshold?: number;
}

export const seedOutlier: OutlierConfigView = {
  consecutive5xx: 1,
  enforcingConsecutive5xx: 100,
  consecutiveGatewayFailure: 5,
  enforcingConsecutiveGatewayFailure: 0,
  splitExternalLocalOriginErrors: true,
  consecutiveLocalOriginFailure: 1,
  enforcingConsecutiveLocalOriginFailure: 100,
  intervalMs: 30_000,
  baseEjectionTimeMs: 300_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 100,
  alwaysEjectOneHost: false,
  enforcingSuccessRate: 0,
  enforcingFailurePercentage: 0,
};

function host(state: FakeHostState, address: string, isOutlier: boolean): HostView {
  const flags =
    state === 'ejected'
      ? ['failed_outlier_check']
      : state === 'eds-unhealthy'
        ? ['failed_eds_health']
        : state === 'degraded'
          ? ['degraded_eds_health']
          : [];
  return {
    address,
    port: 8000,
    hostname: '',
    weight: 1,
    health: state === 'healthy' ? 'healthy' : state === 'degraded' ? 'degraded' : 'unhealthy',
    healthFlags: flags,
    edsHealthStatus: state === 'eds-unhealthy' ? 'UNHEALTHY' : state === 'degraded' ? 'DEGRADED' : 'HEALTHY',
    isExcluded: false,
    istioWorkload: undefined,
    ejection: isOutlier
      ? {
          isEjected: state === 'ejected',
          type: state === 'ejected' ? 'CONSECUTIVE_5XX' : undefined,
          numEjections: state === 'ejected' ? 1 : 0,
          backoff: state === 'ejected' ? 1 : 0,
          ejectionDurationMs: state === 'ejected' ? 300_000 : 0,
          timeLeftMs: state === 'ejected' ? 292_400 : 0,
          expectedUnejectionInMs: state === 'ejected' ? 302_000 : undefined,
          sinceLastEjectionMs: state === 'ejected' ? 7_600 : undefined,
        }
      : undefined,
  };
}

export function fakeClusterView(spec: FakeClusterSpec): ProxyClusterView {
  const isOutlier = spec.outlier !== undefined && spec.outlier !== null;
  const threshold = spec.panicThreshold ?? (isOutlier ? 0 : 50);
  const counts = spec.priorities.map((p) => ({
    hosts: p.hosts.length,
    healthy: p.hosts.filter((h) => h === 'healthy').length,
    degraded: p.hosts.filter((h) => h === 'degraded').length,
  }));
  const health = counts.map((c) =>
    c.hosts === 0 ? 0 : Math.min(100, Math.floor((140 * c.healthy) / c.hosts)),
  );
  const degr = counts.map((c) =>
    c.hosts === 0 ? 0 : Math.min(100, Math.floor((140 * c.degraded) / c.hosts)),
  );
  const nta = Math.min(100, health.reduce((a, b) => a + b, 0) + degr.reduce((a, b) => a + b, 0));
  let remaining = 100;
  const hload = health.map((h) => {
    const v = nta === 0 ? 0 : Math.min(remaining, Math.floor((h * 100) / nta));
    remaining -= v;
    return v;
  });
  const dload = degr.map((d) => {
    const v = nta === 0 ? 0 : Math.min(remaining, Math.floor((d * 100) / nta));
    remaining -= v;
    return v;
  });
  if (remaining > 0) {
    const i = health.findIndex((h) => h > 0);
    if (i >= 0) hload[i] = (hload[i] ?? 0) + remaining;
    else if (nta === 0 && threshold === 0) hload[0] = 100;
  }
  const panic = counts.map((c) =>
    nta === 100 || c.hosts === 0 ? false : (100 * (c.healthy + c.degraded)) / c.hosts < threshold,
  );
  const isTotalPanic = threshold > 0 && nta < 100 && panic.every((p) => p);
  let n = 0;
  const priorities: PriorityView[] = spec.priorities.map((p, i) => {
    const [region = '', zone = ''] = p.locality.split('/');
    return {
      priority: i,
      health: health[i] ?? 0,
      healthyLoad: hload[i] ?? 0,
      degradedLoad: dload[i] ?? 0,
      isPanic: panic[i] ?? false,
      hosts: counts[i]?.hosts ?? 0,
      healthyHosts: counts[i]?.healthy ?? 0,
      degradedHosts: counts[i]?.degraded ?? 0,
      excludedHosts: 0,
      localities: [
        {
          region,
          zone,
          subZone: '',
          weight: 1,
          hosts: p.hosts.map((s) => host(s, `10.0.${i}.${++n}`, isOutlier)),
        },
      ],
    };
  });
  return {
    name: spec.name ?? 'outbound|8000||mockb.default.svc.cluster.local',
    type: 'EDS',
    lbPolicy: 'LEAST_REQUEST',
    healthyPanicThreshold: threshold,
    isLocalityWeightedLb: false,
    overprovisioningFactor: 140,
    totalHosts: counts.reduce((a, c) => a + c.hosts, 0),
    isTotalPanic,
    priorities,
    outlierDetection: isOutlier
      ? {
          config: { ...seedOutlier, ...spec.outlier },
          monitoredHosts: counts.reduce((a, c) => a + c.hosts, 0),
          ejectionsActive: spec.priorities.flatMap((p) => p.hosts).filter((h) => h === 'ejected').length,
          counters: { ejections_overflow: 0, ejections_enforced_total: 0, ...spec.counters },
        }
      : undefined,
  };
}

/** The control plane's answer for the seed's mockb DestinationRule under the mesh default. */
export function fakeConfig(overrides: Partial<ConfigExplanation> = {}): ConfigExplanation {
  return {
    proxyId: 'sidecar~10.0.9.9~mocka-1a-xyz.default~default.svc.cluster.local',
    proxyLocality: 'ap-northeast-1/ap-northeast-1a',
    cluster: 'outbound|8000||mockb.default.svc.cluster.local',
    isFound: true,
    knownClusters: [],
    destinationRule: { kind: 'DestinationRule', namespace: 'asm-demo', name: 'mockb' },
    mergedFrom: [{ kind: 'DestinationRule', namespace: 'asm-demo', name: 'mockb' }],
    subset: undefined,
    outlierDetectionField: 'spec.trafficPolicy.outlierDetection',
    isOutlierDetectionApplied: true,
    localityLbSource: 'mesh',
    isFailoverEnabled: true,
    assignmentMode: 'failover',
    assignmentReason:
      '/apis/networking.istio.io/v1/namespaces/asm-demo/destination-rule/mockb (outlierDetection from destination)',
    routes: [
      {
        routeConfig: 'http_proxy',
        virtualHost: 'mockb.asm-demo.svc.cluster.local:8000',
        route: 'default',
        virtualService: '/apis/networking.istio.io/v1/namespaces/asm-demo/virtual-service/mockb',
        weight: undefined,
      },
    ],
    endpoints: [
      {
        address: '10.0.0.1',
        port: 8000,
        pod: 'mockb-1a-abc',
        namespace: 'asm-demo',
        cluster: 'cluster-2',
        locality: 'ap-northeast-1/ap-northeast-1a',
      },
    ],
    ...overrides,
  };
}
