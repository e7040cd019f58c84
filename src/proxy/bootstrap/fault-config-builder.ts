/**
 * `extensions.filters.http.fault.v3.HTTPFault` (listener filter config and per-route override),
 * read as Envoy's `FaultSettings` does (source/extensions/filters/http/fault/fault_filter.cc).
 */
import { ErrorCode } from '../../core/errors.js';
import type { FaultConfig, FractionalPercentConfig } from '../config/filter-config.js';
import type { ConfigNode } from './config-node.js';
import { buildHeaderMatcher } from './matcher-builder.js';

export const faultFilterType = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

const denominators: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/**
 * `type.v3.FractionalPercent`. An unset percentage is the proto default {0, HUNDRED}: the fault
 * never fires (`FaultDelayConfig`/`FaultAbortConfig` copy `config.percentage()` as is).
 */
export function buildFractionalPercent(node: ConfigNode | undefined): FractionalPercentConfig {
  if (node === undefined) return { numerator: 0, denominator: 100 };
  node.allowOnly(['numerator', 'denominator']);
  return {
    numerator: node.number('numerator', 0),
    denominator: denominators[node.enumName('denominator', 'HUNDRED')] ?? 100,
  };
}

/**
 * Builds the fault config. The `*_runtime` fields only name runtime keys that override the config;
 * Spillway has no runtime (layered_runtime with keys is rejected), so the keys can never resolve and
 * are accepted and ignored.
 */
export function buildFaultConfig(node: ConfigNode): FaultConfig {
  node.allowOnly(
    ['delay', 'abort', 'upstream_cluster', 'headers', 'downstream_nodes', 'max_active_faults'],
    [
      'delay_percent_runtime',
      'abort_percent_runtime',
      'delay_duration_runtime',
      'abort_http_status_runtime',
      'max_active_faults_runtime',
      'response_rate_limit_percent_runtime',
      'abort_grpc_status_runtime',
    ],
  );
  const delay = node.child('delay');
  delay?.allowOnly(['fixed_delay', 'percentage']);
  const abort = node.child('abort');
  abort?.allowOnly(['http_status', 'grpc_status', 'percentage']);
  if (delay !== undefined && !delay.has('fixed_delay')) {
    throw delay.error(ErrorCode.configInvalid, 'fixed_delay must be set');
  }
  return {
    delay:
      delay === undefined
        ? undefined
        : {
            fixedDelayMs: delay.durationMs('fixed_delay', 0),
            percentage: buildFractionalPercent(delay.child('percentage')),
          },
    abort:
      abort === undefined
        ? undefined
        : {
            httpStatus: abort.optionalNumber('http_status'),
            grpcStatus: abort.optionalNumber('grpc_status'),
            percentage: buildFractionalPercent(abort.child('percentage')),
          },
    headers: node.children('headers').map(buildHeaderMatcher),
    upstreamCluster: node.optionalString('upstream_cluster'),
    downstreamNodes: node.strings('downstream_nodes'),
    maxActiveFaults: node.optionalNumber('max_active_faults'),
  };
}
