/**
 * What is wrong, or surprising, about a cluster's failover set-up, each with the arithmetic that
 * shows it. A pure function of the proxy's view of the cluster (and, when available, the control
 * plane's explanation). The checks are the DR pitfalls users keep hitting (shared/spec/user-pain.md
 * items 1, 2, 6): an ejection cap that blocks failover, failover that silently depends on outlier
 * detection, panic mode, a priority with nothing healthy left, detectors that cannot fire, ejection
 * timing dominated by the sweep interval.
 */
import type { ConfigExplanation } from './config-explanation.js';
import { humanDuration } from './human-duration.js';
import type { PriorityView, ProxyClusterView } from './proxy-cluster-view.js';

export interface ExplainWarning {
  /** Stable identifier, e.g. `max-ejection-percent-blocks-ejection`. */
  readonly code: string;
  readonly severity: 'warning' | 'info';
  readonly message: string;
}

const pct = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * How many hosts can be ejected at once. Envoy (>= 1.28) ejects only while
 * `100 * (ejected + 1) / total <= min(100, max_ejection_percent)`, total counting every host of the
 * cluster across priorities, with `always_eject_one_host` allowing the first ejection regardless
 * (envoyproxy/envoy `source/common/upstream/outlier_detection_impl.cc` DetectorImpl::ejectHost;
 * spec §1.4). Integer form: the largest k with 100k <= max * total.
 */
export function maxEjectableHosts(
  total: number,
  maxEjectionPercent: number,
  alwaysEjectOneHost: boolean,
): number {
  const max = Math.min(100, maxEjectionPercent);
  const k = Math.min(total, Math.floor((max * total) / 100));
  return alwaysEjectOneHost && total > 0 ? Math.max(1, k) : k;
}

function priorityName(p: PriorityView): string {
  const localities = p.localities.map((l) => [l.region, l.zone, l.subZone].filter((x) => x !== '').join('/'));
  return `priority ${p.priority}${localities.length > 0 ? ` (${localities.join(', ')})` : ''}`;
}

function ejectionCapWarnings(view: ProxyClusterView): ExplainWarning[] {
  const od = view.outlierDetection;
  if (od === undefined) return [];
  const out: ExplainWarning[] = [];
  const total = view.totalHosts;
  const max = od.config.maxEjectionPercent;
  const k = maxEjectableHosts(total, max, od.config.alwaysEjectOneHost);
  const defaultNote =
    max === 10 ? " (10 is Envoy's default, which Istio keeps when maxEjectionPercent is unset or 0)" : '';
  if (total > 0 && k === 0) {
    const needed = Math.ceil(100 / total);
    out.push({
      code: 'max-ejection-percent-blocks-ejection',
      severity: 'warning',
      message:
        `maxEjectionPercent ${max} with ${total} endpoint${total === 1 ? '' : 's'}: no endpoint can be ejected ` +
        `(Envoy ejects only while 100 x (ejected + 1) / ${total} <= ${max}, and 100 x 1 / ${total} = ${pct(100 / total)})${defaultNote}; ` +
        `failing endpoints keep their traffic and nothing fails over. maxEjectionPercent >= ${needed} allows one ejection, 100 allows all`,
    });
  } else if (k < total) {
    // Failover out of a priority needs every host of it ejected; the cap is over the whole cluster.
    const last = view.priorities.filter((p) => p.hosts > 0).at(-1)?.priority;
    const stuck = view.priorities.find((p) => p.hosts > k && p.priority !== last);
    if (stuck !== undefined) {
      out.push({
        code: 'max-ejection-percent-limits-failover',
        severity: 'warning',
        message:
          `maxEjectionPercent ${max} with ${total} endpoints: at most ${k} can be ejected at once ` +
          `(100 x ${k + 1} / ${total} = ${pct((100 * (k + 1)) / total)} > ${max})${defaultNote}; ` +
          `${priorityName(stuck)} has ${stuck.hosts}, so if all of them fail, ${stuck.hosts - k} ` +
          `${stuck.hosts - k === 1 ? 'stays in the pool and keeps' : 'stay in the pool and keep'} getting traffic`,
      });
    }
  }
  const overflow = od.counters['ejections_overflow'] ?? 0;
  if (overflow > 0) {
    out.push({
      code: 'ejections-blocked',
      severity: 'warning',
      message:
        `ejections_overflow is ${overflow}: ${overflow} ejection${overflow === 1 ? ' was' : 's were'} detected but refused ` +
        `because of maxEjectionPercent ${max} (${od.ejectionsActive} of ${total} ejected now, at most ${k} allowed)`,
    });
  }
  return out;
}

function detectorWarnings(view: ProxyClusterView): ExplainWarning[] {
  const od = view.outlierDetection;
  if (od === undefined) return [];
  const c = od.config;
  const out: ExplainWarning[] = [];
  const is5xxOn = c.consecutive5xx > 0 && c.enforcingConsecutive5xx > 0;
  const isGatewayOn = c.consecutiveGatewayFailure > 0 && c.enforcingConsecutiveGatewayFailure > 0;
  const isLocalOn =
    c.splitExternalLocalOriginErrors &&
    c.consecutiveLocalOriginFailure > 0 &&
    c.enforcingConsecutiveLocalOriginFailure > 0;
  if (!is5xxOn) {
    const connect = c.splitExternalLocalOriginErrors
      ? isLocalOn
        ? `connection failures still eject after ${c.consecutiveLocalOriginFailure} (consecutiveLocalOriginFailures)`
        : 'connection failures do not eject either (split mode without an enforced consecutiveLocalOriginFailures)'
      : 'connection failures count as 503 here, so they do not eject either';
    out.push({
      code: 'consecutive-5xx-disabled',
      severity: 'warning',
      message:
        `consecutive_5xx is off (consecutive5xxErrors: ${c.consecutive5xx}, enforcing ${c.enforcingConsecutive5xx} %): ` +
        `5xx responses never eject an endpoint; ${connect}` +
        (isGatewayOn
          ? `; 502/503/504 still eject after ${c.consecutiveGatewayFailure} (consecutiveGatewayErrors)`
          : ''),
    });
  }
  if (
    !is5xxOn &&
    !isGatewayOn &&
    !isLocalOn &&
    c.enforcingSuccessRate === 0 &&
    c.enforcingFailurePercentage === 0
  ) {
    out.push({
      code: 'no-detector-enforced',
      severity: 'warning',
      message:
        'no outlier detector is enforced (consecutive 5xx, gateway and local-origin errors off; Istio always sets ' +
        'enforcing_success_rate 0): nothing will ever be ejected, so this cluster never fails over',
    });
  }
  if (c.intervalMs > c.baseEjectionTimeMs) {
    out.push({
      code: 'ejection-time-below-interval',
      severity: 'warning',
      message:
        `interval ${humanDuration(c.intervalMs)} > baseEjectionTime ${humanDuration(c.baseEjectionTimeMs)}: ejected endpoints come back ` +
        `only on an interval tick, so a first ejection lasts ${humanDuration(c.baseEjectionTimeMs)} to ` +
        `${humanDuration(c.baseEjectionTimeMs + c.intervalMs)}, mostly decided by the interval`,
    });
  } else if (c.baseEjectionTimeMs >= 60_000) {
    out.push({
      code: 'long-ejection',
      severity: 'info',
      message:
        `baseEjectionTime ${humanDuration(c.baseEjectionTimeMs)}: a repaired endpoint gets traffic again only ` +
        `${humanDuration(c.baseEjectionTimeMs)} to ${humanDuration(c.baseEjectionTimeMs + c.intervalMs)} after its ejection ` +
        `(un-ejection waits for an interval tick of ${humanDuration(c.intervalMs)}); each repeated ejection multiplies it, ` +
        `up to max_ejection_time ${humanDuration(c.maxEjectionTimeMs)}`,
    });
  }
  return out;
}

function loadWarnings(view: ProxyClusterView): ExplainWarning[] {
  const out: ExplainWarning[] = [];
  const used = view.priorities.filter((p) => p.hosts > 0);
  const threshold = view.healthyPanicThreshold;
  const isAllDown = used.length > 0 && used.every((p) => p.healthyHosts + p.degradedHosts === 0);
  if (isAllDown) {
    out.push({
      code: 'no-healthy-upstream',
      severity: 'warning',
      message:
        threshold === 0
          ? `no healthy endpoint in any priority and healthy_panic_threshold is 0 (Istio's value with outlierDetection, ` +
            `minHealthPercent): every request fails with 503 "no healthy upstream" (UH)`
          : `no healthy endpoint in any priority: all priorities are in panic, so requests go to every endpoint, ejected ones included`,
    });
  } else {
    for (const p of used) {
      if (p.healthyHosts + p.degradedHosts > 0) continue;
      out.push({
        code: 'priority-without-healthy-endpoint',
        severity: 'warning',
        message: `${priorityName(p)} has no healthy endpoint (0 of ${p.hosts}): its traffic goes to the next priorities`,
      });
    }
  }
  if (view.isTotalPanic && !isAllDown) {
    out.push({
      code: 'total-panic',
      severity: 'warning',
      message:
        `every priority is below healthy_panic_threshold ${threshold} %: the load is split by endpoint count and ` +
        `requests go to all endpoints, ejected ones included`,
    });
  } else if (!view.isTotalPanic) {
    for (const p of used) {
      if (!p.isPanic) continue;
      const healthyPct = (100 * (p.healthyHosts + p.degradedHosts)) / p.hosts;
      out.push({
        code: 'panic',
        severity: 'warning',
        message:
          `${priorityName(p)} is in panic: ${p.healthyHosts + p.degradedHosts} of ${p.hosts} endpoints healthy ` +
          `(${pct(healthyPct)} %) < healthy_panic_threshold ${threshold} %: its share of traffic goes to all its endpoints, ejected ones included`,
      });
    }
  }
  for (const p of used) {
    const healthy = p.healthyHosts + p.degradedHosts;
    if (healthy === 0 || p.health >= 100 || p.priority === used.at(-1)?.priority) continue;
    const opf = view.overprovisioningFactor ?? 140;
    out.push({
      code: 'partial-spill',
      severity: 'info',
      message:
        `${priorityName(p)} health ${p.health} (floor(${opf} x ${healthy} / ${p.hosts})): ${p.healthyLoad + p.degradedLoad} % ` +
        `of requests stay there, the rest spills to the next priorities`,
    });
  }
  return out;
}

function failoverWarnings(view: ProxyClusterView, config: ConfigExplanation | undefined): ExplainWarning[] {
  const localities = new Set<string>();
  for (const p of view.priorities)
    for (const l of p.localities)
      if (l.hosts.length > 0) localities.add(`${l.region}/${l.zone}/${l.subZone}`);
  const out: ExplainWarning[] = [];
  if (view.outlierDetection === undefined) {
    const isOutlierButNotApplied =
      config?.outlierDetectionField !== undefined && !config.isOutlierDetectionApplied;
    out.push({
      code: 'no-outlier-detection',
      severity: 'warning',
      message:
        (isOutlierButNotApplied
          ? 'outlier detection is configured but not applied to this client (Istio sends none to proxyless gRPC)'
          : 'no outlier detection on this cluster') +
        ': failing endpoints are never ejected' +
        (localities.size > 1
          ? `, and Istio assigns locality priorities only when outlierDetection is set, so there is no locality failover ` +
            `(${view.totalHosts} endpoints in ${localities.size} localities)`
          : ''),
    });
  } else if (config?.assignmentMode === 'flat' && localities.size > 1) {
    out.push({
      code: 'no-locality-failover',
      severity: 'warning',
      message: `all ${localities.size} localities share priority 0: ${config.assignmentReason ?? 'locality load balancing is off'}`,
    });
  }
  return out;
}

/** Every warning for one cluster, most important first. */
export function explainWarnings(
  view: ProxyClusterView,
  config: ConfigExplanation | undefined,
): ExplainWarning[] {
  return [
    ...failoverWarnings(view, config),
    ...ejectionCapWarnings(view),
    ...loadWarnings(view),
    ...detectorWarnings(view),
  ];
}
