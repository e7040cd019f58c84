/**
 * Istio's standard HTTP metrics, as the `istio.stats` filter records them when a stream ends
 * (istio/proxy `source/extensions/filters/http/istio_stats/istio_stats.cc`, `IstioStatsFilter::log`,
 * `populatePeerInfo`, `populateFlagsAndConnectionSecurity`; spec §6.1):
 * `istio_requests_total`, `istio_request_duration_milliseconds`, `istio_request_bytes`,
 * `istio_response_bytes`, with the 25 standard labels, plus the gauge `istio_build`. Stats live in
 * the custom namespace `istiocustom` (exported without the `envoy_` prefix).
 *
 * Reporter: `destination` on INBOUND listeners, else `source` (Istio `Config`: UNSPECIFIED reporter ->
 * listener direction; gateways' listeners are OUTBOUND). The local side comes from node metadata;
 * the peer from metadata exchange, and on the source side from the upstream host's `istio.workload`
 * endpoint metadata when the upstream sent no headers (no sidecar, or a local reply such as 503 UF).
 *
 * Per-request cost: the label set is resolved once per (peer, service, response code, gRPC status,
 * flags, protocol) combination and cached with its counter and histograms, so a request builds one
 * short key string and does a map lookup.
 * Known difference: request/response bytes are body bytes (Envoy's bytes meter counts wire bytes,
 * headers included).
 */
import type { IstioStatsConfig } from '../config/filter-config.js';
import type { StreamInfo } from '../http/stream-info.js';
import { httpToGrpcStatus } from '../router/grpc-status.js';
import type { Counter, Gauge, Histogram } from '../stats/stats-store.js';
import { type StatsStore, type StatTag } from '../stats/stats-store.js';
import type { Host } from '../upstream/host.js';
import { workloadPeerOfEndpoint, type WorkloadPeer } from './workload-peer.js';

export type IstioReporter = 'source' | 'destination';

/** The 25 label names, in `all_tags_` order. */
export const istioLabelNames = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_cluster',
  'request_protocol',
  'response_flags',
  'connection_security_policy',
  'response_code',
  'grpc_response_status',
] as const;
export type IstioLabelName = (typeof istioLabelNames)[number];
export type IstioLabels = Readonly<Record<IstioLabelName, string>>;

const namespace = 'istiocustom';
const passthroughClusters = new Set([
  'BlackHoleCluster',
  'PassthroughCluster',
  'InboundPassthroughCluster',
  'InboundPassthroughClusterIpv4',
  'InboundPassthroughClusterIpv6',
]);

/** What the filter reads about a finished request. */
export interface IstioRequestFacts {
  readonly peer: WorkloadPeer | undefined;
  /** The request `Host` (`:authority`), when the fallback is enabled. */
  readonly hostHeader: string | undefined;
  readonly routeName: string;
  readonly clusterName: string | undefined;
  /** The upstream cluster's `filter_metadata` (Istio's `istio.services`). */
  readonly clusterMetadata: Readonly<Record<string, unknown>> | undefined;
  readonly isGrpc: boolean;
  readonly responseCode: number | undefined;
  readonly grpcStatus: number | undefined;
  readonly responseFlags: string;
}

function orUnknown(value: string | undefined): string {
  return value === undefined || value === '' ? 'unknown' : value;
}

function firstService(
  metadata: Readonly<Record<string, unknown>> | undefined,
): { host: string; name: string | undefined } | undefined {
  const istio = metadata?.['istio'];
  if (typeof istio !== 'object' || istio === null) return undefined;
  const services = (istio as Record<string, unknown>)['services'];
  if (!Array.isArray(services) || services.length === 0) return undefined;
  const service: unknown = services[0];
  if (typeof service !== 'object' || service === null) return undefined;
  const host = (service as Record<string, unknown>)['host'];
  const name = (service as Record<string, unknown>)['name'];
  return { host: typeof host === 'string' ? host : '', name: typeof name === 'string' ? name : undefined };
}

/** `destination_service` and `destination_service_name` before the reporter's defaults. */
function serviceOf(facts: IstioRequestFacts): { host: string; hostName: string } {
  let host = facts.hostHeader ?? '';
  let hostName = host;
  if (facts.routeName === 'block_all') hostName = 'BlackHoleCluster';
  else if (facts.routeName === 'allow_any') hostName = 'PassthroughCluster';
  else if (facts.clusterName !== undefined) {
    if (passthroughClusters.has(facts.clusterName)) hostName = facts.clusterName;
    else {
      const service = firstService(facts.clusterMetadata);
      if (service !== undefined) {
        host = service.host;
        hostName =
          service.name ??
          service.host.slice(0, service.host.includes('.') ? service.host.indexOf('.') : undefined);
      }
    }
  }
  return { host, hostName };
}

/** The 25 labels of one request (pure: the value rules of `populatePeerInfo` and `log`). */
export function istioLabels(
  reporter: IstioReporter,
  local: WorkloadPeer,
  facts: IstioRequestFacts,
): IstioLabels {
  const peer = facts.peer;
  const { host, hostName } = serviceOf(facts);
  const grpcStatus = facts.isGrpc
    ? String(
        facts.grpcStatus ?? (facts.responseCode === undefined ? '' : httpToGrpcStatus(facts.responseCode)),
      )
    : '';
  const common = {
    reporter,
    request_protocol: facts.isGrpc ? 'grpc' : 'http',
    response_flags: facts.responseFlags,
    response_code: String(facts.responseCode ?? 0),
    grpc_response_status: grpcStatus,
  };
  if (reporter === 'destination') {
    return {
      ...common,
      source_workload: orUnknown(peer?.workloadName),
      source_workload_namespace: orUnknown(peer?.namespace),
      source_principal: 'unknown',
      source_app: orUnknown(peer?.appName),
      source_version: orUnknown(peer?.appVersion),
      source_canonical_service: orUnknown(peer?.canonicalName),
      source_canonical_revision:
        peer === undefined || peer.canonicalRevision === '' ? 'latest' : peer.canonicalRevision,
      source_cluster: orUnknown(peer?.clusterId),
      destination_workload: local.workloadName,
      destination_workload_namespace: local.namespace,
      destination_principal: 'unknown',
      destination_app: local.appName,
      destination_version: local.appVersion,
      destination_service: host === '' ? local.canonicalName : host,
      destination_service_name: hostName === '' ? local.canonicalName : hostName,
      destination_service_namespace: local.namespace,
      destination_canonical_service: local.canonicalName,
      destination_canonical_revision: local.canonicalRevision,
      destination_cluster: local.clusterId,
      // No TLS in Spillway: both SANs are empty, so not mutual TLS.
      connection_security_policy: 'none',
    };
  }
  return {
    ...common,
    source_workload: local.workloadName,
    source_workload_namespace: local.namespace,
    source_principal: 'unknown',
    source_app: local.appName,
    source_version: local.appVersion,
    source_canonical_service: local.canonicalName,
    source_canonical_revision: local.canonicalRevision,
    source_cluster: local.clusterId,
    destination_workload: orUnknown(peer?.workloadName),
    destination_workload_namespace: orUnknown(peer?.namespace),
    destination_principal: 'unknown',
    destination_app: orUnknown(peer?.appName),
    destination_version: orUnknown(peer?.appVersion),
    destination_service: orUnknown(host),
    destination_service_name: orUnknown(hostName),
    destination_service_namespace: orUnknown(peer?.namespace),
    destination_canonical_service: orUnknown(peer?.canonicalName),
    destination_canonical_revision:
      peer === undefined || peer.canonicalRevision === '' ? 'latest' : peer.canonicalRevision,
    destination_cluster: orUnknown(peer?.clusterId),
    // The source reporter never knows the server's policy.
    connection_security_policy: 'unknown',
  };
}

interface SeriesSet {
  readonly requests: Counter;
  readonly duration: Histogram;
  readonly requestBytes: Histogram;
  readonly responseBytes: Histogram;
}

function statName(metric: string, tags: readonly StatTag[]) {
  let flat = `${namespace}.${metric}`;
  for (const tag of tags) flat += `.${tag.name}.${tag.value}`;
  return { flat, tagExtracted: `${namespace}.${metric}`, tags };
}

const maxCachedSeries = 10_000;

/** One `istio.stats` filter instance (per connection manager). */
export class IstioStatsFilter {
  private readonly series = new Map<string, SeriesSet>();
  private readonly peerIds = new WeakMap<WorkloadPeer, number>();
  private readonly endpointPeers = new Map<string, WorkloadPeer | null>();
  private nextPeerId = 1;

  constructor(
    readonly config: IstioStatsConfig,
    readonly reporter: IstioReporter,
    private readonly local: WorkloadPeer,
    private readonly store: StatsStore,
    istioVersion: string,
  ) {
    // `Config::recordVersion`: istio_build{component="proxy", tag=<ISTIO_VERSION or unknown>} 1.
    const tags = [
      { name: 'component', value: 'proxy' },
      { name: 'tag', value: istioVersion === '' ? 'unknown' : istioVersion },
    ];
    (store.getOrCreate(statName('istio_build', tags), 'gauge') as Gauge).set(1);
  }

  /** The peer for this request: exchanged metadata, or (source side) the endpoint's metadata. */
  peerOf(exchanged: WorkloadPeer | undefined, upstreamHost: Host | undefined): WorkloadPeer | undefined {
    if (exchanged !== undefined || this.reporter !== 'source' || upstreamHost === undefined) return exchanged;
    const istio = upstreamHost.metadata['istio'];
    const workload =
      typeof istio === 'object' && istio !== null
        ? (istio as Record<string, unknown>)['workload']
        : undefined;
    if (typeof workload !== 'string') return undefined;
    let peer = this.endpointPeers.get(workload);
    if (peer === undefined) {
      peer = workloadPeerOfEndpoint(workload) ?? null;
      if (this.endpointPeers.size >= maxCachedSeries) this.endpointPeers.clear();
      this.endpointPeers.set(workload, peer);
    }
    return peer ?? undefined;
  }

  /** Records a finished request (the filter's access-log hook). */
  record(
    info: StreamInfo,
    peer: WorkloadPeer | undefined,
    clusterMetadata: Readonly<Record<string, unknown>> | undefined,
  ): void {
    const facts: IstioRequestFacts = {
      peer,
      hostHeader: this.config.disableHostHeaderFallback ? undefined : info.requestHeaders.get(':authority'),
      routeName: info.routeName,
      clusterName: info.upstreamClusterName,
      clusterMetadata,
      isGrpc: info.isGrpc,
      responseCode: info.responseCode,
      grpcStatus: info.grpcStatus,
      responseFlags: info.responseFlags.toString(),
    };
    const key =
      `${peer === undefined ? 0 : this.peerId(peer)}|${facts.hostHeader ?? ''}|${facts.routeName}|` +
      `${facts.clusterName ?? ''}|${facts.responseCode ?? 0}|${facts.grpcStatus ?? ''}|` +
      `${facts.responseFlags}|${facts.isGrpc ? 'g' : 'h'}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.createSeries(istioLabels(this.reporter, this.local, facts));
      // Stats are never deleted (as in Envoy without scope rotation); only the lookup cache is bounded.
      if (this.series.size >= maxCachedSeries) this.series.clear();
      this.series.set(key, series);
    }
    series.requests.inc();
    const duration = info.durationMs();
    // `requestComplete()` as whole milliseconds (absl duration division truncates).
    if (duration !== undefined) series.duration.record(Math.floor(duration));
    series.requestBytes.record(info.bytesReceived);
    series.responseBytes.record(info.bytesSent);
  }

  private peerId(peer: WorkloadPeer): number {
    let id = this.peerIds.get(peer);
    if (id === undefined) {
      id = this.nextPeerId++;
      this.peerIds.set(peer, id);
    }
    return id;
  }

  private createSeries(labels: IstioLabels): SeriesSet {
    const tags = istioLabelNames.map((name) => ({ name, value: labels[name] }));
    const histogram = (metric: string): Histogram =>
      this.store.getOrCreate(statName(metric, tags), 'histogram') as Histogram;
    return {
      requests: this.store.getOrCreate(statName('istio_requests_total', tags), 'counter') as Counter,
      duration: histogram('istio_request_duration_milliseconds'),
      requestBytes: histogram('istio_request_bytes'),
      responseBytes: histogram('istio_response_bytes'),
    };
  }
}
