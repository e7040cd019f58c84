/**
 * An in-memory ADS transport for tests: records what the client sends on each stream and lets the
 * test answer, fail or inspect it; no sockets, no timers.
 */
import { encodeAnyJson } from '../../envoy/proto-json-codec.js';
import type { AdsStream, AdsStreamCallbacks, AdsTransport } from './ads-transport.js';
import type { DiscoveryRequestMessage } from './discovery-messages.js';

export class FakeAdsStream implements AdsStream {
  readonly sent: DiscoveryRequestMessage[] = [];
  isClosed = false;

  constructor(readonly callbacks: AdsStreamCallbacks) {}

  send(request: DiscoveryRequestMessage): void {
    this.sent.push(request);
  }

  close(): void {
    this.isClosed = true;
  }

  /** Delivers a response whose resources are given as proto3 JSON (their `@type` is added). */
  respond(
    typeUrl: string,
    versionInfo: string,
    nonce: string,
    resources: readonly Record<string, unknown>[],
  ): void {
    this.callbacks.onResponse({
      versionInfo,
      typeUrl,
      nonce,
      resources: resources.map((r) => encodeAnyJson({ ...r, '@type': typeUrl })),
    });
  }

  fail(code = 14, details = 'connection refused'): void {
    this.callbacks.onClose({ code, details });
  }

  /** The requests sent for one type. */
  requestsOf(typeUrl: string): DiscoveryRequestMessage[] {
    return this.sent.filter((r) => r.typeUrl === typeUrl);
  }
}

export class FakeAdsTransport implements AdsTransport {
  readonly streams: FakeAdsStream[] = [];

  open(callbacks: AdsStreamCallbacks): AdsStream {
    const stream = new FakeAdsStream(callbacks);
    this.streams.push(stream);
    return stream;
  }

  close(): void {}

  get current(): FakeAdsStream {
    const stream = this.streams.at(-1);
    if (stream === undefined) throw new Error('no ADS stream was opened');
    return stream;
  }
}
