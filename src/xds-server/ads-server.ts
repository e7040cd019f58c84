/**
 * The ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService` on one gRPC port, both
 * `StreamAggregatedResources` (state of the world) and `DeltaAggregatedResources` (incremental).
 *
 * It knows nothing about how resources are made. The control plane admits each stream's proxy
 * (`onProxyConnected(node)` -> a proxy key, or a refusal) and calls `setResources(proxyKey, set)`
 * whenever that proxy's set changes; the server diffs it, pushes to that proxy's streams the types
 * whose content changed (in CDS, EDS, LDS, RDS order), and tracks versions, nonces, ACKs and NACKs
 * per stream and type. Messages are (de)serialized by hand over the codec: requests and responses
 * cross grpc-js as bytes (no proto-loader object mapping), and each resource content is encoded once.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../core/clock.js';
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { MetricsRegistry } from '../core/metrics-registry.js';
import type { XdsResourceSet } from '../envoy/xds-resource.js';
import { AdsConnection, StreamRefusedError, type ConnectionHost } from './ads-connection.js';
import { ResourceNamesCache } from './discovery-request-scan.js';
import { SendBudget } from './send-budget.js';
import { ResourceStore, type ProxyResources } from './resource-store.js';
import { metricType, XdsMetrics } from './xds-metrics.js';
import type { XdsNode } from './xds-node.js';
import type { NackRecord, PendingResponse, XdsProtocol, XdsTypeStatus } from './xds-session.js';

export const defaultXdsAddress = '127.0.0.1:15010';

/** The stream asking to be admitted. */
export interface ConnectingProxy {
  /** `<node id>-<n>`, unique in this server process. */
  readonly connectionId: string;
  readonly node: XdsNode;
  /** The peer address as grpc-js reports it (`ipv4:127.0.0.1:40000`). */
  readonly peer: string;
  readonly protocol: XdsProtocol;
}

/** Which resource set a stream serves. Several streams may share one proxy key. */
export interface ProxyAdmission {
  readonly proxyKey: string;
}

/** A connected, admitted stream. */
export interface ConnectedProxy extends ConnectingProxy {
  readonly proxyKey: string;
  readonly connectedAtWallMs: number;
  readonly types: readonly XdsTypeStatus[];
}

/** Observation hooks (debug views, benchmarks); exceptions thrown by them are logged and ignored. */
export interface AdsServerHooks {
  onPush?(event: {
    readonly connectionId: string;
    readonly proxyKey: string;
    readonly typeUrl: string;
    readonly version: string;
    readonly nonce: string;
    readonly resourceCount: number;
    readonly removedCount: number;
  }): void;
  onAck?(event: {
    readonly connectionId: string;
    readonly proxyKey: string;
    readonly typeUrl: string;
    readonly version: string;
    readonly nonce: string;
  }): void;
  onNack?(event: {
    readonly connectionId: string;
    readonly proxyKey: string;
    readonly typeUrl: string;
    readonly nack: NackRecord;
  }): void;
}

export interface AdsServerOptions {
  /** `host:port` to listen on (default 127.0.0.1:15010; port 0 picks a free port). */
  readonly address?: string;
  readonly clock: Clock;
  /**
   * Admits a stream from the node of its first request. Return (or resolve) the proxy key whose
   * set the stream serves; throw (or reject) to refuse the stream - a {@link ProxyRefusedError}
   * chooses the gRPC status, any other error ends it with PERMISSION_DENIED and its message.
   */
  readonly onProxyConnected: (proxy: ConnectingProxy) => ProxyAdmission | Promise<ProxyAdmission>;
  /** An admitted stream ended. */
  readonly onProxyDisconnected?: (proxy: ConnectedProxy) => void;
  /** Where the server's metrics go (default: a registry of its own, see `metrics`). */
  readonly metrics?: MetricsRegistry;
  readonly logger?: Logger;
  readonly hooks?: AdsServerHooks;
  /** Responses in flight per stream before further pushes wait for the transport (default 4). */
  readonly maxInFlightPerStream?: number;
  /**
   * Response bytes in flight over all streams before further responses wait (default 64 MiB): a
   * fleet connecting at once is served a bounded amount at a time (see send-budget.ts).
   */
  readonly maxBytesInFlight?: number;
  /** How long an unwritten response counts against that budget (default 5000 ms). */
  readonly sendBudgetHoldMs?: number;
  /** How long `close()` waits for clients to leave before cutting connections (default 1000 ms). */
  readonly shutdownGraceMs?: number;
}

/** Thrown by `onProxyConnected` to refuse a stream with a chosen gRPC status. */
export class ProxyRefusedError extends SpillwayError {
  constructor(
    message: string,
    readonly grpcStatus: grpc.status = grpc.status.PERMISSION_DENIED,
  ) {
    super(ErrorCode.xdsProxyRefused, message);
    this.name = 'ProxyRefusedError';
  }
}

const adsServiceName = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
const identity = (bytes: Buffer): Buffer => bytes;

function bidiMethod(method: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${adsServiceName}/${method}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

/** The service definition, with bytes in and out (the server does its own protobuf work). */
export const adsServiceDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: bidiMethod('StreamAggregatedResources'),
  DeltaAggregatedResources: bidiMethod('DeltaAggregatedResources'),
};

interface ProxyEntry {
  readonly resources: ProxyResources;
  readonly connections: Set<AdsConnection>;
}

export class AdsServer {
  /** The registry holding the server's metrics (the one passed in, or its own). */
  readonly metrics: MetricsRegistry;
  private readonly xdsMetrics: XdsMetrics;
  private readonly server: grpc.Server;
  private readonly store = new ResourceStore();
  private readonly proxies = new Map<string, ProxyEntry>();
  private readonly connections = new Set<AdsConnection>();
  private readonly log: Logger;
  private readonly host: ConnectionHost;
  private sequence = 0;
  private boundPort: number | undefined;
  private isClosing = false;

  constructor(private readonly options: AdsServerOptions) {
    this.metrics = options.metrics ?? new MetricsRegistry();
    this.xdsMetrics = new XdsMetrics(this.metrics);
    this.log = options.logger ?? createLogger('xds-server');
    this.host = this.createHost();
    // The defaults of grpc-js (4 MB receive limit, unlimited send) match Istio's.
    this.server = new grpc.Server();
    this.server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.accept(call, 'sotw'),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.accept(call, 'delta'),
    });
  }

  /** Binds the address. Rejects with `SPILLWAY_ERR_XDS_SERVER_BIND` if it cannot. */
  async start(): Promise<void> {
    const address = this.options.address ?? defaultXdsAddress;
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(address))
      throw new SpillwayError(ErrorCode.xdsServerBind, `xDS address "${address}" is not host:port`);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err !== null) {
          reject(
            new SpillwayError(ErrorCode.xdsServerBind, `xDS server cannot bind ${address}: ${err.message}`),
          );
          return;
        }
        resolve(port);
      });
    });
    this.log.info({ address: this.address }, 'ADS server listening');
  }

  /** `host:port` actually bound (the port resolved when 0 was asked for). */
  get address(): string {
    const configured = this.options.address ?? defaultXdsAddress;
    if (this.boundPort === undefined) return configured;
    return `${configured.slice(0, configured.lastIndexOf(':'))}:${this.boundPort}`;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * Replaces the resource set of a proxy key and pushes what changed to its streams. Synchronous;
   * the pushes go out right after. Identical content pushes nothing. Throws
   * `SPILLWAY_ERR_XDS_RESOURCE_INVALID` (and keeps the previous set) if a resource is inconsistent.
   */
  setResources(proxyKey: string, set: XdsResourceSet): void {
    const changes = this.store.set(proxyKey, set, this.options.clock.monotonicMs());
    const entry = this.entry(proxyKey);
    if (changes.size === 0) return;
    for (const connection of entry.connections) connection.resourcesChanged(changes);
  }

  /** Forgets a proxy key's set: its streams (if any) get nothing more until a new set arrives. */
  clearResources(proxyKey: string): void {
    const entry = this.proxies.get(proxyKey);
    this.store.delete(proxyKey);
    if (entry === undefined) return;
    this.proxies.delete(proxyKey);
    if (entry.connections.size === 0) return;
    // Keep serving the streams from a fresh, not-ready set so that a later setResources reaches them.
    const fresh = this.entry(proxyKey);
    for (const connection of entry.connections) {
      fresh.connections.add(connection);
      connection.session.attach(fresh.resources);
    }
  }

  /** True if a set was given for this proxy key. */
  hasResources(proxyKey: string): boolean {
    return this.store.find(proxyKey)?.isReady === true;
  }

  /** Every admitted stream with its per-type state. */
  connectedProxies(): ConnectedProxy[] {
    const out: ConnectedProxy[] = [];
    for (const connection of this.connections) {
      if (connection.node === undefined || connection.proxyKey === undefined) continue;
      out.push({
        connectionId: connection.id,
        node: connection.node,
        peer: connection.peer,
        protocol: connection.protocol,
        proxyKey: connection.proxyKey,
        connectedAtWallMs: connection.connectedAtWallMs,
        types: connection.session.typeStatuses(),
      });
    }
    return out;
  }

  /** Ends every stream (UNAVAILABLE) and stops the server. */
  async close(): Promise<void> {
    if (this.isClosing) return;
    this.isClosing = true;
    for (const connection of [...this.connections])
      connection.end(grpc.status.UNAVAILABLE, 'xDS server shutting down');
    await new Promise<void>((resolve) => {
      let isDone = false;
      const finish = (): void => {
        if (isDone) return;
        isDone = true;
        timer.cancel();
        resolve();
      };
      const timer = this.options.clock.setTimer(this.options.shutdownGraceMs ?? 1000, () => {
        this.server.forceShutdown();
        finish();
      });
      this.server.tryShutdown(() => finish());
    });
  }

  private entry(proxyKey: string): ProxyEntry {
    let entry = this.proxies.get(proxyKey);
    if (entry === undefined) {
      entry = { resources: this.store.proxy(proxyKey), connections: new Set() };
      this.proxies.set(proxyKey, entry);
    }
    return entry;
  }

  private accept(call: grpc.ServerDuplexStream<Buffer, Buffer>, protocol: XdsProtocol): void {
    const connection = new AdsConnection(this.host, call, protocol, ++this.sequence);
    if (this.isClosing) {
      connection.end(grpc.status.UNAVAILABLE, 'xDS server shutting down');
      return;
    }
    this.connections.add(connection);
    connection.start();
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, hook: what }, 'ADS server hook threw');
    }
  }

  private createHost(): ConnectionHost {
    const metrics = this.xdsMetrics;
    const versionOf = (connection: AdsConnection): string => {
      const version = connection.node?.metadata['ISTIO_VERSION'];
      return typeof version === 'string' ? version : '';
    };
    return {
      clock: this.options.clock,
      log: this.log,
      metrics,
      maxInFlight: Math.max(1, this.options.maxInFlightPerStream ?? 4),
      namesCache: new ResourceNamesCache(),
      sendBudget: new SendBudget(
        Math.max(1, this.options.maxBytesInFlight ?? 64 * 1024 * 1024),
        this.options.clock,
        this.options.sendBudgetHoldMs ?? 5000,
      ),
      admit: async (connection) => {
        const node = connection.node;
        if (node === undefined) throw new StreamRefusedError(grpc.status.INTERNAL, 'no node');
        let admission: ProxyAdmission;
        try {
          admission = await this.options.onProxyConnected({
            connectionId: connection.id,
            node,
            peer: connection.peer,
            protocol: connection.protocol,
          });
        } catch (err) {
          const code = err instanceof ProxyRefusedError ? err.grpcStatus : grpc.status.PERMISSION_DENIED;
          const reason = err instanceof Error ? err.message : String(err);
          throw new StreamRefusedError(code, `proxy ${node.id} refused: ${reason}`);
        }
        if (typeof admission?.proxyKey !== 'string' || admission.proxyKey === '')
          throw new StreamRefusedError(grpc.status.INTERNAL, 'the control plane gave no proxy key');
        if (!connection.isOpen) throw new StreamRefusedError(grpc.status.CANCELLED, 'stream ended');
        connection.proxyKey = admission.proxyKey;
        const entry = this.entry(admission.proxyKey);
        entry.connections.add(connection);
        metrics.connected.with({ version: versionOf(connection) }).inc();
        this.log.info(
          {
            connection: connection.id,
            proxyKey: admission.proxyKey,
            peer: connection.peer,
            protocol: connection.protocol,
          },
          'ADS stream connected',
        );
        return entry.resources;
      },
      detach: (connection) => {
        this.connections.delete(connection);
        const key = connection.proxyKey;
        if (key === undefined) return;
        const entry = this.proxies.get(key);
        entry?.connections.delete(connection);
        if (entry !== undefined && entry.connections.size === 0 && !entry.resources.isReady)
          this.proxies.delete(key);
        metrics.connected.with({ version: versionOf(connection) }).dec();
        this.log.info({ connection: connection.id, proxyKey: key }, 'ADS stream disconnected');
        const node = connection.node;
        const onDisconnected = this.options.onProxyDisconnected;
        if (node !== undefined && onDisconnected !== undefined) {
          const info: ConnectedProxy = {
            connectionId: connection.id,
            node,
            peer: connection.peer,
            protocol: connection.protocol,
            proxyKey: key,
            connectedAtWallMs: connection.connectedAtWallMs,
            types: connection.session.typeStatuses(),
          };
          this.safely('onProxyDisconnected', () => onDisconnected(info));
        }
      },
      onPush: (connection, response: PendingResponse) => {
        const hook = this.options.hooks?.onPush;
        if (hook === undefined) return;
        this.safely('onPush', () =>
          hook({
            connectionId: connection.id,
            proxyKey: connection.proxyKey ?? '',
            typeUrl: response.typeUrl,
            version: response.version,
            nonce: response.nonce,
            resourceCount: response.resourceCount,
            removedCount: response.removedCount,
          }),
        );
      },
      onAck: (connection, typeUrl, version, nonce) => {
        this.log.debug({ connection: connection.id, typeUrl, version, nonce }, 'ADS ACK');
        const hook = this.options.hooks?.onAck;
        if (hook === undefined) return;
        this.safely('onAck', () =>
          hook({ connectionId: connection.id, proxyKey: connection.proxyKey ?? '', typeUrl, version, nonce }),
        );
      },
      onNack: (connection, typeUrl, nack) => {
        metrics.rejects.with({ type: metricType(typeUrl) }).inc();
        this.log.warn(
          {
            connection: connection.id,
            proxy: connection.node?.id,
            typeUrl,
            nonce: nack.nonce,
            rejectedVersion: nack.rejectedVersion,
            keptVersion: nack.clientVersion,
            code: nack.code,
            reason: nack.message,
          },
          'ADS NACK: the proxy rejected a response and keeps its previous config',
        );
        const hook = this.options.hooks?.onNack;
        if (hook === undefined) return;
        this.safely('onNack', () =>
          hook({ connectionId: connection.id, proxyKey: connection.proxyKey ?? '', typeUrl, nack }),
        );
      },
    };
  }
}
