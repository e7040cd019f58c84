/**
 * The ADS stream as the subscription state machine sees it, so that the machine runs on a fake
 * transport and a fake clock in unit tests and on gRPC in the proxy.
 */
import type { DiscoveryRequestMessage, DiscoveryResponseMessage } from './discovery-messages.js';

export interface AdsStreamStatus {
  /** gRPC status code (0 OK, 14 UNAVAILABLE, ...). */
  readonly code: number;
  readonly details: string;
}

export interface AdsStreamCallbacks {
  /** The control plane answered on this stream (headers or a first message). */
  onConnected(): void;
  onResponse(response: DiscoveryResponseMessage): void;
  /** The stream ended (remote close, connection failure, undecodable message); called at most once. */
  onClose(status: AdsStreamStatus): void;
}

export interface AdsStream {
  send(request: DiscoveryRequestMessage): void;
  /** Ends the stream from this side; no `onClose` follows. */
  close(): void;
}

export interface AdsTransport {
  /** Starts a new `StreamAggregatedResources` call. Never calls back synchronously. */
  open(callbacks: AdsStreamCallbacks): AdsStream;
  /** Releases the connection. */
  close(): void;
}
