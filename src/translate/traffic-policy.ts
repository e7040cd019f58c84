/**
 * Which traffic policy applies to one cluster (istio/istio `pilot/pkg/networking/util/util.go`
 * GetPortLevelTrafficPolicy, MergeSubsetTrafficPolicy, mergeTrafficPolicy): a matching
 * `portLevelSettings` entry replaces the destination-level policy as a whole (nothing inherited);
 * a subset's policy replaces the destination's per field group (connection pool, outlier
 * detection, load balancer, TLS), and a subset's port-level entry replaces all four.
 */
import type { TrafficPolicyView } from './istio-api.js';

export interface EffectiveTrafficPolicy {
  readonly policy: TrafficPolicyView | undefined;
  /** Where the outlier detection (the field that turns on failover) came from, for explanations. */
  readonly outlierDetectionFrom: 'destination' | 'port' | 'subset' | 'subset-port' | undefined;
}

/** The port-level policy for `port`, if the policy has one (a port-level policy replaces everything). */
export function portLevelPolicy(
  policy: TrafficPolicyView | undefined,
  port: number,
): { policy: TrafficPolicyView | undefined; isPortLevel: boolean } {
  if (policy === undefined) return { policy: undefined, isPortLevel: false };
  const match = policy.portLevelSettings?.find((p) => p.port?.number === port);
  if (match === undefined) return { policy, isPortLevel: false };
  const only: TrafficPolicyView = {
    ...(match.connectionPool === undefined ? {} : { connectionPool: match.connectionPool }),
    ...(match.loadBalancer === undefined ? {} : { loadBalancer: match.loadBalancer }),
    ...(match.outlierDetection === undefined ? {} : { outlierDetection: match.outlierDetection }),
    ...(match.tls === undefined ? {} : { tls: match.tls }),
  };
  return { policy: only, isPortLevel: true };
}

/** The policy of the destination rule (`subset` undefined) or of one subset, for one port. */
export function effectiveTrafficPolicy(
  destinationPolicy: TrafficPolicyView | undefined,
  subsetPolicy: TrafficPolicyView | undefined,
  port: number,
): EffectiveTrafficPolicy {
  const original = portLevelPolicy(destinationPolicy, port);
  const originalFrom =
    original.policy?.outlierDetection === undefined
      ? undefined
      : original.isPortLevel
        ? 'port'
        : 'destination';
  if (subsetPolicy === undefined) return { policy: original.policy, outlierDetectionFrom: originalFrom };
  const subset = portLevelPolicy(subsetPolicy, port);
  const subsetFrom =
    subset.policy?.outlierDetection === undefined ? undefined : subset.isPortLevel ? 'subset-port' : 'subset';
  if (original.policy === undefined) return { policy: subset.policy, outlierDetectionFrom: subsetFrom };
  const sub = subset.policy ?? {};
  const replaceAll = subset.isPortLevel;
  const pick = <K extends 'connectionPool' | 'outlierDetection' | 'loadBalancer' | 'tls'>(key: K) =>
    sub[key] !== undefined || replaceAll ? sub[key] : original.policy?.[key];
  const merged: TrafficPolicyView = {
    ...definedOnly('connectionPool', pick('connectionPool')),
    ...definedOnly('outlierDetection', pick('outlierDetection')),
    ...definedOnly('loadBalancer', pick('loadBalancer')),
    ...definedOnly('tls', pick('tls')),
    ...definedOnly('tunnel', sub.tunnel ?? original.policy.tunnel),
    ...definedOnly('proxyProtocol', sub.proxyProtocol ?? original.policy.proxyProtocol),
  };
  const from = sub.outlierDetection !== undefined || replaceAll ? subsetFrom : originalFrom;
  return { policy: merged, outlierDetectionFrom: from };
}

function definedOnly<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
