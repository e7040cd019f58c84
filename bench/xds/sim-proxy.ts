/**
 * One simulated sidecar: a raw state-of-the-world ADS stream on grpc-js (its own HTTP/2 connection,
 * as every Envoy has), subscribing the way Envoy does (envoy `source/extensions/config_subscription/
 * grpc/grpc_mux_impl.cc`, cluster manager init): a wildcard CDS request carrying the node; on each CDS
 * response an ACK, then an EDS request naming every EDS cluster it got; after the first EDS response
 * (clusters warmed) a wildcard LDS request; on LDS, an ACK and an RDS request naming every
 * `rds.route_config_name`. Every response is ACKed at once (version and nonce of the response, the
 * current names for EDS/RDS).
 *
 * The simulation must stay cheap, or the load process, not the control plane, is what gets
 * measured: a response is read with a small envelope scanner (wire-scan.ts); CDS and LDS content is
 * decoded only once per distinct version (identical for the many proxies that share it - the
 * version is a digest of the content), and ACK requests are built from a cached encoding of the
 * type and names plus the few bytes of version and nonce (protobuf fields may be concatenated).
 */
import * as grpc from '@grpc/grpc-js';
import { decodeProtoJson, encodeProtoJson } from '../../src/envoy/proto-json-codec.js';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { discoveryRequestType, discoveryResponseType } from '../../src/xds-server/discovery-wire.js';
import { monoMs } from './mono-time.js';
import { resourceName, scanResponse, type ResponseEnvelope } from './wire-scan.js';

const identity = (b: Buffer): Buffer => b;
const adsMethod = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

type Json = Record<string, unknown>;

/** What every proxy of one load process shares: caches, counters and the active expectations. */
export class SimContext {
  readonly responses: Record<string, number> = {};
  bytesReceived = 0;
  streamsEnded = 0;
  lastStreamError: string | undefined;
  unreadable = 0;
  fullDecodes = 0;
  private readonly namesByVersion = new Map<string, readonly string[]>();
  private readonly encodedNames = new WeakMap<readonly string[], Uint8Array>();
  private readonly encodedWildcard = new Map<string, Uint8Array>();

  /** EDS names of a CDS response, RDS names of an LDS response: decoded once per version. */
  dependentNames(envelope: ResponseEnvelope, bytes: Buffer): readonly string[] {
    const key = `${envelope.typeUrl}|${envelope.versionInfo}|${bytes.length}`;
    let names = this.namesByVersion.get(key);
    if (names === undefined) {
      this.fullDecodes++;
      const json = decodeProtoJson(discoveryResponseType, bytes);
      const resources = (json['resources'] as Json[] | undefined) ?? [];
      names = envelope.typeUrl === XdsTypeUrl.cluster ? edsNames(resources) : routeNames(resources);
      names = [...new Set(names)].sort();
      this.namesByVersion.set(key, names);
    }
    return names;
  }

  /** The encoded `type_url` + `resource_names` part of a request (cached per names array). */
  requestHead(typeUrl: string, names: readonly string[] | undefined): Uint8Array {
    if (names === undefined) {
      let head = this.encodedWildcard.get(typeUrl);
      if (head === undefined) {
        head = encodeProtoJson(discoveryRequestType, { type_url: typeUrl });
        this.encodedWildcard.set(typeUrl, head);
      }
      return head;
    }
    let head = this.encodedNames.get(names);
    if (head === undefined) {
      head = encodeProtoJson(discoveryRequestType, { type_url: typeUrl, resource_names: [...names] });
      this.encodedNames.set(names, head);
    }
    return head;
  }
}

function edsNames(clusters: readonly Json[]): string[] {
  const out: string[] = [];
  for (const c of clusters) {
    if (c['type'] !== 'EDS') continue;
    const eds = (c['eds_cluster_config'] as Json | undefined) ?? {};
    const serviceName = eds['service_name'];
    out.push(typeof serviceName === 'string' && serviceName !== '' ? serviceName : String(c['name']));
  }
  return out;
}

function routeNames(listeners: readonly Json[]): string[] {
  const out: string[] = [];
  const fromHcm = (hcm: unknown): void => {
    const rds = (hcm as Json | undefined)?.['rds'] as Json | undefined;
    if (typeof rds?.['route_config_name'] === 'string') out.push(rds['route_config_name']);
  };
  for (const l of listeners) {
    const chains = [...((l['filter_chains'] as Json[] | undefined) ?? [])];
    if (l['default_filter_chain'] !== undefined) chains.push(l['default_filter_chain'] as Json);
    for (const chain of chains)
      for (const f of (chain['filters'] as Json[] | undefined) ?? []) fromHcm(f['typed_config']);
    fromHcm(((l['api_listener'] as Json | undefined) ?? {})['api_listener']);
  }
  return out;
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === b) return true;
  return a !== undefined && a.length === b.length && a.every((n, i) => n === b[i]);
}

interface TypeState {
  /** undefined = wildcard. */
  names: readonly string[] | undefined;
  isRequested: boolean;
  version: string;
  nonce: string;
  isAcked: boolean;
  /** EDS / RDS: names received at least once. */
  readonly received: Set<string>;
}

/** An expectation of the load process: the first EDS response of each proxy holding `needle`. */
export interface Expectation {
  readonly id: number;
  readonly needle: Buffer;
  readonly ackedAtMs: (number | null)[];
  remaining: number;
  readonly onComplete: () => void;
}

export class SimProxy {
  syncedAtMs: number | undefined;
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  private readonly types = new Map<string, TypeState>();
  private isNodeSent = false;
  private isClosed = false;

  constructor(
    readonly slot: number,
    private readonly node: Json,
    address: string,
    private readonly ctx: SimContext,
    private readonly expectations: () => Iterable<Expectation>,
    private readonly onSynced: (proxy: SimProxy) => void,
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      // Without this grpc-js shares one HTTP/2 connection between clients to the same address.
      'grpc.use_local_subchannel_pool': 1,
      // Envoy accepts large responses (a CDS of 1,000 clusters is about a megabyte).
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Envoy's HTTP/2 windows: initial_stream_window_size and initial_connection_window_size
      // default to 256 MiB (api/envoy/config/core/v3/protocol.proto Http2ProtocolOptions); with
      // Node's 64 KiB a megabyte response would wait for a dozen window updates.
      'grpc-node.flow_control_window': 256 * 1024 * 1024,
    });
  }

  start(): void {
    const call = this.client.makeBidiStreamRequest(adsMethod, identity, identity);
    this.call = call;
    call.on('data', (bytes: Buffer) => this.onResponse(bytes));
    call.on('status', (status: grpc.StatusObject) => {
      if (this.isClosed) return;
      this.ctx.streamsEnded++;
      this.ctx.lastStreamError = `${grpc.status[status.code]}: ${status.details}`;
    });
    call.on('error', () => undefined);
    this.request(XdsTypeUrl.cluster, undefined);
  }

  close(): void {
    this.isClosed = true;
    this.call?.cancel();
    this.client.close();
  }

  private state(typeUrl: string): TypeState {
    let state = this.types.get(typeUrl);
    if (state === undefined) {
      state = {
        names: undefined,
        isRequested: false,
        version: '',
        nonce: '',
        isAcked: false,
        received: new Set(),
      };
      this.types.set(typeUrl, state);
    }
    return state;
  }

  /** A request for `typeUrl` with the type's current names, version and nonce (an ACK or a new subscription). */
  private request(typeUrl: string, names: readonly string[] | undefined): void {
    const state = this.state(typeUrl);
    state.names = names;
    state.isRequested = true;
    const head = this.ctx.requestHead(typeUrl, names);
    const tail: Json = {};
    if (state.version !== '') tail['version_info'] = state.version;
    if (state.nonce !== '') tail['response_nonce'] = state.nonce;
    if (!this.isNodeSent) {
      // Only the first request of a stream carries the node (what Envoy and grpc-js-xds do).
      tail['node'] = this.node;
      this.isNodeSent = true;
    }
    const rest =
      Object.keys(tail).length === 0 ? new Uint8Array(0) : encodeProtoJson(discoveryRequestType, tail);
    this.call?.write(Buffer.concat([head, rest]));
  }

  private onResponse(bytes: Buffer): void {
    const ctx = this.ctx;
    ctx.bytesReceived += bytes.length;
    let envelope: ResponseEnvelope;
    try {
      envelope = scanResponse(bytes);
    } catch {
      ctx.unreadable++;
      return;
    }
    const typeUrl = envelope.typeUrl;
    ctx.responses[typeUrl] = (ctx.responses[typeUrl] ?? 0) + 1;
    const state = this.state(typeUrl);
    state.version = envelope.versionInfo;
    state.nonce = envelope.nonce;
    state.isAcked = true;
    switch (typeUrl) {
      case XdsTypeUrl.cluster: {
        this.request(typeUrl, undefined);
        const names = ctx.dependentNames(envelope, bytes);
        const eds = this.state(XdsTypeUrl.clusterLoadAssignment);
        if (!eds.isRequested || !sameNames(eds.names, names))
          this.request(XdsTypeUrl.clusterLoadAssignment, names);
        break;
      }
      case XdsTypeUrl.listener: {
        this.request(typeUrl, undefined);
        const names = ctx.dependentNames(envelope, bytes);
        const rds = this.state(XdsTypeUrl.routeConfiguration);
        if (!rds.isRequested || !sameNames(rds.names, names))
          this.request(XdsTypeUrl.routeConfiguration, names);
        break;
      }
      case XdsTypeUrl.clusterLoadAssignment:
      case XdsTypeUrl.routeConfiguration: {
        for (const resource of envelope.resources) state.received.add(resourceName(resource));
        this.request(typeUrl, state.names);
        if (typeUrl === XdsTypeUrl.clusterLoadAssignment) {
          const lds = this.state(XdsTypeUrl.listener);
          if (!lds.isRequested) this.request(XdsTypeUrl.listener, undefined);
        }
        break;
      }
      default:
        this.request(typeUrl, state.names);
    }
    // The ACK is written: this is the moment the proxy has received and accepted the response.
    const ackedAt = monoMs();
    if (typeUrl === XdsTypeUrl.clusterLoadAssignment) {
      for (const e of this.expectations()) {
        if (e.ackedAtMs[this.slot] !== null || bytes.indexOf(e.needle) < 0) continue;
        e.ackedAtMs[this.slot] = ackedAt;
        if (--e.remaining === 0) e.onComplete();
      }
    }
    if (this.syncedAtMs === undefined && this.isSynced()) {
      this.syncedAtMs = ackedAt;
      this.onSynced(this);
    }
  }

  private isSynced(): boolean {
    const complete = (typeUrl: string): boolean => {
      const s = this.types.get(typeUrl);
      if (s === undefined || !s.isAcked) return false;
      if (s.names === undefined) return true;
      for (const name of s.names) if (!s.received.has(name)) return false;
      return true;
    };
    return (
      complete(XdsTypeUrl.cluster) &&
      complete(XdsTypeUrl.clusterLoadAssignment) &&
      complete(XdsTypeUrl.listener) &&
      complete(XdsTypeUrl.routeConfiguration)
    );
  }
}
