/**
 * A `core.v3.ConfigSource`. Spillway supports only `ads: {}` (resources come over the one ADS stream
 * of `dynamic_resources.ads_config`), so what remains to know is how long to wait for the first answer.
 */
export interface ConfigSourceConfig {
  /**
   * `initial_fetch_timeout`, default 15 s; 0 waits indefinitely (Istio sets 0 for EDS and RDS). When it
   * passes, the resource stops blocking initialization or warming (Envoy `GrpcSubscriptionImpl`).
   */
  readonly initialFetchTimeoutMs: number;
}
