/**
 * One upstream endpoint of a cluster: Envoy's `Host`. The load balancer reads its health and weight;
 * the outlier detector sets and clears `failedOutlierCheck`; the router reports each attempt's result
 * to `host.outlier` and counts `activeRequests` (used by LEAST_REQUEST).
 *
 * Health follows Envoy's `Host::coarseHealth()` (envoyproxy/envoy `source/common/upstream/upstream_impl.cc`):
 * any failure flag makes the host unhealthy, else a degraded flag makes it degraded, else healthy.
 */
import type { Locality } from '../../core/locality.js';

/** Envoy's `Host::HealthFlag`, in the order `/clusters` prints them (`host_utility.cc`). */
export const HealthFlag = {
  failedActiveHc: 1 << 0,
  failedOutlierCheck: 1 << 1,
  failedEdsHealth: 1 << 2,
  degradedActiveHc: 1 << 3,
  degradedEdsHealth: 1 << 4,
  pendingDynamicRemoval: 1 << 5,
  pendingActiveHc: 1 << 6,
  excludedViaImmediateHcFail: 1 << 7,
  activeHcTimeout: 1 << 8,
  edsStatusDraining: 1 << 9,
} as const;
export type HealthFlagBit = (typeof HealthFlag)[keyof typeof HealthFlag];

const healthFlagNames: ReadonlyArray<[HealthFlagBit, string]> = [
  [HealthFlag.failedActiveHc, 'failed_active_hc'],
  [HealthFlag.failedOutlierCheck, 'failed_outlier_check'],
  [HealthFlag.failedEdsHealth, 'failed_eds_health'],
  [HealthFlag.degradedActiveHc, 'degraded_active_hc'],
  [HealthFlag.degradedEdsHealth, 'degraded_eds_health'],
  [HealthFlag.pendingDynamicRemoval, 'pending_dynamic_removal'],
  [HealthFlag.pendingActiveHc, 'pending_active_hc'],
  [HealthFlag.excludedViaImmediateHcFail, 'excluded_via_immediate_hc_fail'],
  [HealthFlag.activeHcTimeout, 'active_hc_timeout'],
  [HealthFlag.edsStatusDraining, 'eds_status_draining'],
];

const unhealthyMask =
  HealthFlag.failedActiveHc |
  HealthFlag.failedOutlierCheck |
  HealthFlag.failedEdsHealth |
  HealthFlag.edsStatusDraining;
const degradedMask = HealthFlag.degradedActiveHc | HealthFlag.degradedEdsHealth;
/** Hosts excluded from load-balancing denominators (Envoy `excludedHosts()`). */
const excludedMask =
  HealthFlag.pendingDynamicRemoval | HealthFlag.pendingActiveHc | HealthFlag.excludedViaImmediateHcFail;

export type CoarseHealth = 'healthy' | 'degraded' | 'unhealthy';

/** EDS `health_status` values (envoy.config.core.v3.HealthStatus). */
export type EdsHealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

/**
 * What the router tells the outlier detector about an attempt that did not produce HTTP response
 * headers (Envoy `Outlier::Result`).
 */
export type OutlierResult =
  | 'LocalOriginConnectSuccess'
  | 'LocalOriginConnectSuccessFinal'
  | 'LocalOriginConnectFailed'
  | 'LocalOriginTimeout'
  | 'ExtOriginRequestFailed'
  | 'ExtOriginRequestSuccess';

/** The per-host side of outlier detection (Envoy `DetectorHostMonitor`), installed by the detector. */
export interface OutlierMonitor {
  /** An HTTP status received from the host (or synthesised from a gRPC status in response headers). */
  putHttpResponseCode(code: number): void;
  /** A non-HTTP result; `code` is the HTTP code a timeout maps to (504 unless overridden). */
  putResult(result: OutlierResult, code?: number): void;
  /** Number of times this host has been ejected (enforced). */
  readonly numEjections: number;
  /** Monotonic ms of the last ejection, if any. */
  readonly lastEjectionTimeMs: number | undefined;
  /** Success rate (0-100) of the last interval for external (or local) origin, -1 if not computed. */
  successRate(origin: 'external' | 'local'): number;
}

/** Per-host counters shown by `/clusters` (names as Envoy prints them). */
export interface HostStats {
  cx_active: number;
  cx_connect_fail: number;
  cx_total: number;
  rq_active: number;
  rq_error: number;
  rq_success: number;
  rq_timeout: number;
  rq_total: number;
}

export interface HostInit {
  clusterName: string;
  address: string;
  port: number;
  hostname?: string;
  locality: Locality;
  priority?: number;
  weight?: number;
  healthStatus?: EdsHealthStatus;
  metadata?: Record<string, unknown>;
  /** Weight of the locality group the host belongs to (0 or undefined when not set in EDS). */
  localityWeight?: number;
}

export class Host {
  readonly clusterName: string;
  readonly address: string;
  readonly port: number;
  /** `address:port`, Envoy's `address()->asString()`; identifies the host within its cluster. */
  readonly addressKey: string;
  hostname: string;
  locality: Locality;
  priority: number;
  weight: number;
  localityWeight: number;
  metadata: Record<string, unknown>;
  /** Requests currently in flight to this host (Envoy `rq_active`), maintained by the router. */
  activeRequests = 0;
  readonly stats: HostStats = {
    cx_active: 0,
    cx_connect_fail: 0,
    cx_total: 0,
    rq_active: 0,
    rq_error: 0,
    rq_success: 0,
    rq_timeout: 0,
    rq_total: 0,
  };
  /** Installed by the cluster's outlier detector, when the cluster has one. */
  outlier: OutlierMonitor | undefined;
  private healthFlags = 0;

  constructor(init: HostInit) {
    this.clusterName = init.clusterName;
    this.address = init.address;
    this.port = init.port;
    this.addressKey = `${init.address}:${init.port}`;
    this.hostname = init.hostname ?? '';
    this.locality = init.locality;
    this.priority = init.priority ?? 0;
    this.weight = init.weight ?? 1;
    this.localityWeight = init.localityWeight ?? 0;
    this.metadata = init.metadata ?? {};
    this.setEdsHealthStatus(init.healthStatus ?? 'UNKNOWN');
  }

  hasHealthFlag(flag: HealthFlagBit): boolean {
    return (this.healthFlags & flag) !== 0;
  }

  setHealthFlag(flag: HealthFlagBit): void {
    this.healthFlags |= flag;
  }

  clearHealthFlag(flag: HealthFlagBit): void {
    this.healthFlags &= ~flag;
  }

  /**
   * Applies an EDS `health_status`: UNHEALTHY/TIMEOUT fail EDS health, DRAINING marks draining (also
   * unhealthy), DEGRADED degrades; UNKNOWN/HEALTHY clear them (envoy `upstream_impl.cc`, `health_check.proto`).
   */
  setEdsHealthStatus(status: EdsHealthStatus): void {
    this.clearHealthFlag(HealthFlag.failedEdsHealth);
    this.clearHealthFlag(HealthFlag.degradedEdsHealth);
    this.clearHealthFlag(HealthFlag.edsStatusDraining);
    if (status === 'UNHEALTHY' || status === 'TIMEOUT') this.setHealthFlag(HealthFlag.failedEdsHealth);
    else if (status === 'DRAINING') this.setHealthFlag(HealthFlag.edsStatusDraining);
    else if (status === 'DEGRADED') this.setHealthFlag(HealthFlag.degradedEdsHealth);
  }

  coarseHealth(): CoarseHealth {
    if ((this.healthFlags & unhealthyMask) !== 0) return 'unhealthy';
    if ((this.healthFlags & degradedMask) !== 0) return 'degraded';
    return 'healthy';
  }

  isExcluded(): boolean {
    return (this.healthFlags & excludedMask) !== 0;
  }

  /** `/clusters` health text: `healthy`, or each set flag as `/failed_outlier_check` etc. */
  healthFlagsText(): string {
    let text = '';
    for (const [bit, name] of healthFlagNames) if ((this.healthFlags & bit) !== 0) text += `/${name}`;
    return text === '' ? 'healthy' : text;
  }
}
