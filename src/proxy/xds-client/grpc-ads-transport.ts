/**
 * ADS over `@grpc/grpc-js`: one `StreamAggregatedResources` call per stream, to a host of the static
 * cluster named by `ads_config` (Envoy's `envoy_grpc` uses that cluster's load balancer). Each stream
 * gets a fresh channel with its own subchannel pool, so grpc-js's internal reconnect backoff never
 * stacks on Envoy's (the state machine owns the backoff).
 */
import {
  Client,
  connectivityState,
  credentials,
  Metadata,
  status as grpcStatus,
  type ClientDuplexStream,
} from '@grpc/grpc-js';
import { createLogger } from '../../core/logger.js';
import type { SocketAddress } from '../config/cluster-config.js';
import type { AdsStream, AdsStreamCallbacks, AdsTransport } from './ads-transport.js';
import {
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  type DiscoveryRequestMessage,
} from './discovery-messages.js';

const log = createLogger('xds');

const method = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export interface GrpcAdsTransportOptions {
  /** A host of the ADS cluster, picked by its load balancer; undefined when it has none. */
  readonly pickHost: () => SocketAddress | undefined;
  /** `:authority` (Envoy: `envoy_grpc.authority`, default the cluster name). */
  readonly authority: string;
  readonly initialMetadata: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

function formatTarget(address: SocketAddress): string {
  return address.address.includes(':')
    ? `ipv6:[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}

export class GrpcAdsTransport implements AdsTransport {
  private client: Client | undefined;

  constructor(private readonly options: GrpcAdsTransportOptions) {}

  open(callbacks: AdsStreamCallbacks): AdsStream {
    this.client?.close();
    this.client = undefined;
    const host = this.options.pickHost();
    if (host === undefined) {
      let isClosed = false;
      void Promise.resolve().then(() => {
        if (!isClosed)
          callbacks.onClose({ code: grpcStatus.UNAVAILABLE, details: 'no healthy host in the ADS cluster' });
      });
      return { send: () => {}, close: () => (isClosed = true) };
    }
    const client = new Client(formatTarget(host), credentials.createInsecure(), {
      'grpc.default_authority': this.options.authority,
      'grpc.use_local_subchannel_pool': 1,
      // Envoy's gRPC client has no receive limit; grpc-js defaults to 4 MiB, less than a big EDS push.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
    this.client = client;
    const metadata = new Metadata();
    for (const { key, value } of this.options.initialMetadata) metadata.add(key, value);
    const call: ClientDuplexStream<DiscoveryRequestMessage, Buffer> = client.makeBidiStreamRequest(
      method,
      (request: DiscoveryRequestMessage) => Buffer.from(encodeDiscoveryRequest(request)),
      (bytes: Buffer) => bytes,
      metadata,
    );
    let isDone = false;
    let isConnected = false;
    const connected = (): void => {
      if (isDone || isConnected) return;
      isConnected = true;
      callbacks.onConnected();
    };
    const finish = (code: number, details: string): void => {
      if (isDone) return;
      isDone = true;
      call.removeAllListeners('data');
      client.close();
      if (this.client === client) this.client = undefined;
      callbacks.onClose({ code, details });
    };
    // Envoy sets connected_state when the stream starts; here, once the HTTP/2 connection is up
    // (the server may have nothing to send yet), or at the latest with the first headers.
    const channel = client.getChannel();
    const watch = (state: connectivityState): void => {
      try {
        channel.watchConnectivityState(state, Infinity, () => {
          if (isDone) return;
          const next = channel.getConnectivityState(false);
          if (next === connectivityState.READY) connected();
          else if (next !== connectivityState.SHUTDOWN) watch(next);
        });
      } catch {
        // The channel is already shut down.
      }
    };
    watch(channel.getConnectivityState(false));
    call.on('metadata', connected);
    call.on('data', (bytes: Buffer) => {
      if (isDone) return;
      connected();
      let response;
      try {
        response = decodeDiscoveryResponse(bytes);
      } catch (err) {
        // Envoy's gRPC codec resets the stream on a message it cannot parse.
        log.warn({ err }, 'undecodable DiscoveryResponse, closing the ADS stream');
        call.cancel();
        finish(grpcStatus.INTERNAL, `cannot decode DiscoveryResponse: ${(err as Error).message}`);
        return;
      }
      callbacks.onResponse(response);
    });
    // 'error' accompanies every non-OK status; the status event carries it.
    call.on('error', () => {});
    call.on('status', (status: { code: number; details: string }) => finish(status.code, status.details));
    return {
      send: (request) => {
        if (!isDone) call.write(request);
      },
      close: () => {
        if (isDone) return;
        isDone = true;
        call.cancel();
        client.close();
        if (this.client === client) this.client = undefined;
      },
    };
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
