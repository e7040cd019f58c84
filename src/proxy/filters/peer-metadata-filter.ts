/**
 * Istio's peer metadata HTTP filter (`istio.metadata_exchange`, istio/proxy
 * `source/extensions/filters/http/peer_metadata/filter.cc`) with the `istio_headers` method, the one
 * Istio 1.2x sidecars configure (istio/istio `pilot/pkg/xds/filters/filters.go`
 * SidecarInboundMetadataFilter: downstream discovery + downstream propagation;
 * SidecarOutboundMetadataFilter: upstream discovery + upstream propagation):
 *
 * - request: discover the downstream peer from `x-envoy-peer-metadata` (and note whether
 *   `x-envoy-peer-metadata-id` came too), remove both; then add this proxy's id and metadata for the
 *   upstream;
 * - response: discover the upstream peer from the same headers on the upstream response, remove them;
 *   then answer with this proxy's headers, each only if the request carried it (`MXPropagationMethod::inject`).
 *
 * Discovery keeps the first peer found; decoded peers are cached by header value (Istio caches by peer
 * id), so a request costs one map lookup.
 */
import type { PeerMetadataConfig } from '../config/filter-config.js';
import type { OutgoingHeaders } from '../http/headers.js';
import type { HeaderMap } from '../http/stream-info.js';
import { decodePeerMetadataHeader, encodePeerMetadataHeader, type WorkloadPeer } from './workload-peer.js';

export const peerMetadataHeader = 'x-envoy-peer-metadata';
export const peerMetadataIdHeader = 'x-envoy-peer-metadata-id';

const maxCachedPeers = 1024;

/** Per-request state the response side needs. */
export interface PeerExchangeState {
  downstreamPeer: WorkloadPeer | undefined;
  upstreamPeer: WorkloadPeer | undefined;
  requestHadPeerId: boolean;
  requestHadPeer: boolean;
}

export class PeerMetadataFilter {
  private readonly headerValue: string;
  private readonly cache = new Map<string, WorkloadPeer | null>();

  constructor(
    readonly config: PeerMetadataConfig,
    local: WorkloadPeer,
    private readonly nodeId: string,
  ) {
    this.headerValue = encodePeerMetadataHeader(local);
  }

  /** Decoder side; returns the downstream peer, if discovered. */
  onRequestHeaders(headers: HeaderMap, state: PeerExchangeState): void {
    if (this.config.downstreamDiscovery) {
      const value = headers.get(peerMetadataHeader);
      state.requestHadPeerId = headers.has(peerMetadataIdHeader);
      state.requestHadPeer = value !== undefined;
      if (value !== undefined) state.downstreamPeer ??= this.lookup(value);
      headers.delete(peerMetadataHeader);
      headers.delete(peerMetadataIdHeader);
    }
    if (this.config.upstreamPropagation) {
      headers.set(peerMetadataIdHeader, this.nodeId);
      headers.set(peerMetadataHeader, this.headerValue);
    }
  }

  /** Encoder side, for every response (upstream or local). */
  onResponseHeaders(headers: OutgoingHeaders, state: PeerExchangeState): void {
    if (this.config.upstreamDiscovery) {
      const value = headers[peerMetadataHeader];
      if (typeof value === 'string') state.upstreamPeer ??= this.lookup(value);
      delete headers[peerMetadataHeader];
      delete headers[peerMetadataIdHeader];
    }
    if (this.config.downstreamPropagation) {
      if (state.requestHadPeerId) headers[peerMetadataIdHeader] = this.nodeId;
      if (state.requestHadPeer) headers[peerMetadataHeader] = this.headerValue;
    }
  }

  private lookup(value: string): WorkloadPeer | undefined {
    const cached = this.cache.get(value);
    if (cached !== undefined) return cached ?? undefined;
    const peer = decodePeerMetadataHeader(value);
    // Bounded like Istio's MX cache: drop the oldest quarter when full.
    if (this.cache.size >= maxCachedPeers) {
      let drop = maxCachedPeers / 4;
      for (const key of this.cache.keys()) {
        if (drop-- <= 0) break;
        this.cache.delete(key);
      }
    }
    this.cache.set(value, peer ?? null);
    return peer;
  }
}
