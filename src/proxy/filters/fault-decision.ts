/**
 * What Envoy's HTTP fault filter decides for one request (envoyproxy/envoy
 * `source/extensions/filters/http/fault/fault_filter.cc`, `FaultFilter::decodeHeaders`,
 * `maybeSetupDelay`, `maybeDoAbort`, `postDelayInjection`, `tryIncActiveFaults`, `faultOverflow`;
 * `source/extensions/filters/common/fault/fault_config.cc`). The filter itself (timers, local replies,
 * gauges) lives elsewhere; this is the pure decision.
 *
 * Steps, in Envoy's order:
 *   1. Config: the route's fault override, else the virtual host's, else the listener filter's
 *      (`resolveMostSpecificPerFilterConfig`): see `effectiveFaultConfig`.
 *   2. Gates, each of which turns the whole filter off for the request (no random draw, no stats):
 *      `upstream_cluster` must equal the routed cluster; `downstream_nodes` must contain
 *      `x-envoy-downstream-service-node`; every `headers` matcher must match.
 *   3. Delay: one draw `random % denominator < numerator` (`ProtobufPercentHelper::evaluateFractionalPercent`,
 *      reached through `Runtime::Snapshot::featureEnabled` with no runtime override). If it hits and the
 *      delay is > 0 ms, the request takes an active-fault slot; if `active_faults >= max_active_faults`
 *      the slot is refused (`faults_overflow` +1) and there is no delay.
 *   4. Abort: one more draw (made after the delay in Envoy; same order here). If it hits, the status is
 *      `http_status`, or HTTP 200 carrying `grpc_status` for a gRPC abort. A request that already holds a
 *      slot (it was delayed) aborts without a new overflow check; otherwise it must take a slot, and may
 *      overflow (a second `faults_overflow` +1 for the same request, as in Envoy).
 * Draws happen only for configured faults, delay before abort, so a seeded `Random` gives one fixed
 * sequence per request.
 *
 * Header-controlled faults (`header_delay`, `header_abort`, i.e. `x-envoy-fault-delay-request`,
 * `x-envoy-fault-abort-request`, `x-envoy-fault-abort-grpc-request` and their `-percentage` headers) need
 * config fields that `FaultConfig` does not have yet; only the fixed variants are implemented. An abort
 * with neither `httpStatus` nor `grpcStatus` never aborts (the draw is still made), which is what Envoy's
 * header-abort provider does when the request carries no abort header.
 */
import type { FaultConfig, FractionalPercentConfig } from '../config/filter-config.js';
import type { RouteConfigEntry, VirtualHostConfig } from '../config/route-config.js';
import { ResponseFlag } from '../http/response-flags.js';
import type { HeaderMap } from '../http/stream-info.js';
import type { Random } from '../../core/random.js';
import { matchHeaders } from '../router/route-matcher.js';

/** Local reply body of an injected abort (`FaultFilter::abortWithStatus`). */
export const FAULT_ABORT_BODY = 'fault filter abort';
/** `%RESPONSE_CODE_DETAILS%` of an injected abort (`RcDetailsValues::FaultAbort`). A delay sets none. */
export const FAULT_ABORT_RESPONSE_CODE_DETAILS = 'fault_filter_abort';
/** Response flag of a delayed request (`DI`). */
export const FAULT_DELAY_RESPONSE_FLAG = ResponseFlag.DelayInjected;
/** Response flag of an aborted request (`FI`). */
export const FAULT_ABORT_RESPONSE_FLAG = ResponseFlag.FaultInjected;

/** Request headers the fault filter reads (`Http::Headers`, `Fault::HeaderNameValues`). */
export const FaultHeaders = {
  downstreamServiceNode: 'x-envoy-downstream-service-node',
  downstreamServiceCluster: 'x-envoy-downstream-service-cluster',
  delayRequest: 'x-envoy-fault-delay-request',
  delayRequestPercentage: 'x-envoy-fault-delay-request-percentage',
  abortRequest: 'x-envoy-fault-abort-request',
  abortRequestPercentage: 'x-envoy-fault-abort-request-percentage',
  abortGrpcRequest: 'x-envoy-fault-abort-grpc-request',
  throughputResponse: 'x-envoy-fault-throughput-response',
  throughputResponsePercentage: 'x-envoy-fault-throughput-response-percentage',
} as const;

/** Envoy's fault stat names under `<statPrefix>` (the HCM's `http.<stat_prefix>.`, trailing dot included). */
export interface FaultStatNames {
  readonly delaysInjected: string;
  readonly abortsInjected: string;
  readonly responseRateLimitInjected: string;
  readonly faultsOverflow: string;
  /** Gauge. */
  readonly activeFaults: string;
}

/** `FaultFilterConfig::generateStats`: e.g. `http.ingress_http.fault.aborts_injected`. */
export function faultStatNames(statPrefix: string): FaultStatNames {
  const base = `${statPrefix}fault.`;
  return {
    delaysInjected: `${base}delays_injected`,
    abortsInjected: `${base}aborts_injected`,
    responseRateLimitInjected: `${base}response_rl_injected`,
    faultsOverflow: `${base}faults_overflow`,
    activeFaults: `${base}active_faults`,
  };
}

/**
 * Per downstream cluster counters (`FaultFilterConfig::incDelays` / `incAborts`), keyed by the request's
 * `x-envoy-downstream-service-cluster` (not the upstream cluster): `<statPrefix>fault.<cluster>.delays_injected`.
 */
export function downstreamClusterFaultStatNames(
  statPrefix: string,
  downstreamCluster: string,
): { readonly delaysInjected: string; readonly abortsInjected: string } {
  const base = `${statPrefix}fault.${downstreamCluster}.`;
  return { delaysInjected: `${base}delays_injected`, abortsInjected: `${base}aborts_injected` };
}

/** `random % denominator < numerator` with one fresh draw (`evaluateFractionalPercent`). */
export function isFractionEnabled(percentage: FractionalPercentConfig, random: Random): boolean {
  return random.nextU32() % percentage.denominator < percentage.numerator;
}

/** The fault config for a request: route override, else virtual host override, else the filter's. */
export function effectiveFaultConfig(
  filterConfig: FaultConfig,
  vhost: Pick<VirtualHostConfig, 'faultOverride'> | undefined,
  route: Pick<RouteConfigEntry, 'faultOverride'> | undefined,
): FaultConfig {
  return route?.faultOverride ?? vhost?.faultOverride ?? filterConfig;
}

export interface FaultDecisionInput {
  readonly config: FaultConfig;
  readonly headers: HeaderMap;
  readonly random: Random;
  /** Current value of the `fault.active_faults` gauge. */
  readonly activeFaults: number;
  /** Cluster the route sent the request to (after weighted-cluster choice); undefined without a route. */
  readonly upstreamCluster: string | undefined;
  /**
   * The downstream node name. Envoy reads `x-envoy-downstream-service-node`; when this is undefined
   * that header is read.
   */
  readonly downstreamNode?: string | undefined;
}

export interface FaultAbort {
  /** HTTP status of the local reply; 200 for a gRPC abort. */
  readonly httpStatus: number;
  /** gRPC status for a gRPC abort (the local reply then carries `grpc-status`). */
  readonly grpcStatus?: number;
}

export interface FaultDecision {
  /** Delay to inject before continuing (flag `DI`, `delays_injected` +1). */
  readonly delayMs?: number;
  /** Abort to send after the delay, if any (flag `FI`, details `fault_filter_abort`, `aborts_injected` +1). */
  readonly abort?: FaultAbort;
  /**
   * Whether the request takes one `active_faults` slot (+1 now). Release it when the stream ends, or
   * right after the delay if no abort follows (`postDelayInjection`).
   */
  readonly holdsActiveFault: boolean;
  /** How many times to increment `faults_overflow` (0, 1 or 2). */
  readonly overflowCount: number;
  /** `x-envoy-downstream-service-cluster` when non-empty: the per-downstream-cluster stats to bump. */
  readonly downstreamCluster?: string;
}

const NO_FAULT: FaultDecision = { holdsActiveFault: false, overflowCount: 0 };

/** Whether the gates of step 2 let the filter act (Envoy `matchesTargetUpstreamCluster`, `matchesDownstreamNodes`). */
export function faultGatesPass(
  config: FaultConfig,
  headers: HeaderMap,
  upstreamCluster: string | undefined,
  downstreamNode?: string,
): boolean {
  if (config.upstreamCluster !== undefined && config.upstreamCluster !== '') {
    if (upstreamCluster !== config.upstreamCluster) return false;
  }
  if (config.downstreamNodes.length > 0) {
    const node = downstreamNode ?? headers.get(FaultHeaders.downstreamServiceNode);
    if (node === undefined || !config.downstreamNodes.includes(node)) return false;
  }
  return matchHeaders(headers, config.headers);
}

/** Envoy's fault filter decision for one request (see the file comment). */
export function decideFault(input: FaultDecisionInput): FaultDecision {
  const { config, headers, random } = input;
  if (!faultGatesPass(config, headers, input.upstreamCluster, input.downstreamNode)) return NO_FAULT;

  const maxActiveFaults = config.maxActiveFaults ?? Number.POSITIVE_INFINITY;
  let holdsActiveFault = false;
  let overflowCount = 0;
  // `tryIncActiveFaults`: the overflow check runs only when a fault is about to be applied.
  const tryTakeSlot = (): boolean => {
    if (holdsActiveFault) return true;
    if (input.activeFaults >= maxActiveFaults) {
      overflowCount++;
      return false;
    }
    holdsActiveFault = true;
    return true;
  };

  let delayMs: number | undefined;
  if (config.delay !== undefined && isFractionEnabled(config.delay.percentage, random)) {
    // Only a positive duration is a delay (`FaultFilter::delayDuration`).
    if (config.delay.fixedDelayMs > 0 && tryTakeSlot()) delayMs = config.delay.fixedDelayMs;
  }

  let abort: FaultAbort | undefined;
  if (config.abort !== undefined && isFractionEnabled(config.abort.percentage, random)) {
    // `abortStatus`: an HTTP status wins; a gRPC status is sent with HTTP 200.
    const { httpStatus, grpcStatus } = config.abort;
    const candidate: FaultAbort | undefined =
      httpStatus !== undefined
        ? { httpStatus }
        : grpcStatus !== undefined
          ? { httpStatus: 200, grpcStatus }
          : undefined;
    if (candidate !== undefined && tryTakeSlot()) abort = candidate;
  }

  const downstreamCluster = headers.get(FaultHeaders.downstreamServiceCluster);
  return {
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(abort !== undefined ? { abort } : {}),
    holdsActiveFault,
    overflowCount,
    ...(downstreamCluster !== undefined && downstreamCluster !== '' ? { downstreamCluster } : {}),
  };
}
