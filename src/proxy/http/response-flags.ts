/**
 * Envoy response flags (`%RESPONSE_FLAGS%`, Istio's `response_flags` label). Several flags are joined
 * with `,` in the order of Envoy's `ResponseFlag` enum; no flag prints as `-`.
 * Source: envoyproxy/envoy `docs/root/configuration/observability/access_log/usage.rst`,
 * `source/common/stream_info/utility.cc` (`ResponseFlagUtils::toShortString`).
 */
export const ResponseFlag = {
  FailedLocalHealthCheck: 'LH',
  NoHealthyUpstream: 'UH',
  UpstreamRequestTimeout: 'UT',
  LocalReset: 'LR',
  UpstreamRemoteReset: 'UR',
  UpstreamConnectionFailure: 'UF',
  UpstreamConnectionTermination: 'UC',
  UpstreamOverflow: 'UO',
  NoRouteFound: 'NR',
  DelayInjected: 'DI',
  FaultInjected: 'FI',
  RateLimited: 'RL',
  UnauthorizedExternalService: 'UAEX',
  RateLimitServiceError: 'RLSE',
  DownstreamConnectionTermination: 'DC',
  UpstreamRetryLimitExceeded: 'URX',
  StreamIdleTimeout: 'SI',
  InvalidEnvoyRequestHeaders: 'IH',
  DownstreamProtocolError: 'DPE',
  UpstreamMaxStreamDurationReached: 'UMSDR',
  ResponseFromCacheFilter: 'RFCF',
  NoFilterConfigFound: 'NFCF',
  DurationTimeout: 'DT',
  UpstreamProtocolError: 'UPE',
  NoClusterFound: 'NC',
  OverloadManager: 'OM',
  DnsResolutionFailed: 'DF',
} as const;

export type ResponseFlagCode = (typeof ResponseFlag)[keyof typeof ResponseFlag];

const order: readonly ResponseFlagCode[] = Object.values(ResponseFlag);

/** A set of response flags that prints in Envoy's order. */
export class ResponseFlags {
  /** Created with the first flag: most requests never get one. */
  private flags: Set<ResponseFlagCode> | undefined;

  add(flag: ResponseFlagCode): void {
    (this.flags ??= new Set()).add(flag);
  }

  has(flag: ResponseFlagCode): boolean {
    return this.flags?.has(flag) ?? false;
  }

  isEmpty(): boolean {
    return this.flags === undefined || this.flags.size === 0;
  }

  /** `-` when empty, else e.g. `UF,URX`. */
  toString(): string {
    const flags = this.flags;
    if (flags === undefined || flags.size === 0) return '-';
    return order.filter((f) => flags.has(f)).join(',');
  }
}
