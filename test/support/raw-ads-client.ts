/**
 * A bare ADS client on grpc-js and the codec, for protocol tests of what grpc-js-xds never does
 * (stale nonces, delta, garbage bytes): it sends exactly the requests a test writes and hands back
 * every response in order.
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeProtoJson } from '../../src/envoy/proto-json-codec.js';
import { deltaDiscoveryRequestType, discoveryRequestType } from '../../src/xds-server/discovery-wire.js';
import {
  decodeDeltaResponse,
  decodeSotwResponse,
  type DecodedDeltaResponse,
  type DecodedResponse,
} from './xds-resources.js';

const identity = (b: Buffer): Buffer => b;
const service = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

class RawStream {
  private readonly received: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private endStatus: grpc.StatusObject | undefined;
  readonly status: Promise<grpc.StatusObject>;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(
    private readonly client: grpc.Client,
    method: string,
  ) {
    this.call = client.makeBidiStreamRequest(`/${service}/${method}`, identity, identity);
    this.call.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.waiter?.();
    });
    this.status = new Promise((resolve) =>
      this.call.on('status', (status: grpc.StatusObject) => {
        this.endStatus = status;
        this.waiter?.();
        resolve(status);
      }),
    );
    // Errors also arrive as a status; keep them from becoming unhandled.
    this.call.on('error', () => undefined);
  }

  sendBytes(bytes: Uint8Array): void {
    this.call.write(Buffer.from(bytes));
  }

  /** Stops reading (HTTP/2 flow control then blocks the server's writes). */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  /** Responses received so far and not yet taken. */
  get pendingCount(): number {
    return this.received.length;
  }

  /** The next response, waiting up to `timeoutMs` (a deadline, not a sleep). */
  async nextBytes(timeoutMs = 10_000): Promise<Buffer> {
    if (this.received.length === 0 && this.endStatus === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const next = this.received.shift();
    if (next !== undefined) return next;
    if (this.endStatus !== undefined) throw new Error(`stream ended: ${this.endStatus.details}`);
    throw new Error(`no response within ${timeoutMs} ms`);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export class RawSotwStream extends RawStream {
  constructor(address: string) {
    super(new grpc.Client(address, grpc.credentials.createInsecure()), 'StreamAggregatedResources');
  }

  send(request: Record<string, unknown>): void {
    this.sendBytes(encodeProtoJson(discoveryRequestType, request));
  }

  async next(timeoutMs?: number): Promise<DecodedResponse> {
    return decodeSotwResponse(await this.nextBytes(timeoutMs));
  }

  /** ACKs a response (same names as given). */
  ack(response: DecodedResponse, resourceNames: readonly string[] = []): void {
    this.send({
      type_url: response.typeUrl,
      version_info: response.versionInfo,
      response_nonce: response.nonce,
      resource_names: [...resourceNames],
    });
  }
}

export class RawDeltaStream extends RawStream {
  constructor(address: string) {
    super(new grpc.Client(address, grpc.credentials.createInsecure()), 'DeltaAggregatedResources');
  }

  send(request: Record<string, unknown>): void {
    this.sendBytes(encodeProtoJson(deltaDiscoveryRequestType, request));
  }

  async next(timeoutMs?: number): Promise<DecodedDeltaResponse> {
    return decodeDeltaResponse(await this.nextBytes(timeoutMs));
  }

  ack(response: DecodedDeltaResponse): void {
    this.send({ type_url: response.typeUrl, response_nonce: response.nonce });
  }
}

/** A node in proto3 JSON, as a sidecar would send it. */
export function nodeJson(id: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, cluster: 'test', locality: { region: 'r1', zone: 'z1' }, metadata };
}

/**
 * A state-of-the-world stream on bare node:http2, for backpressure tests: when paused it stops
 * consuming, so Node stops returning HTTP/2 flow-control window and the server's writes block
 * (a grpc-js client keeps buffering messages while paused).
 */
export class H2SotwStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private buffer = Buffer.alloc(0);
  private readonly messages: Buffer[] = [];
  private waiter: (() => void) | undefined;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`);
    this.session.on('error', () => undefined);
    this.stream = this.session.request({
      ':method': 'POST',
      ':path': `/${service}/StreamAggregatedResources`,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('error', () => undefined);
    this.stream.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 5) {
        const length = this.buffer.readUInt32BE(1);
        if (this.buffer.length < 5 + length) break;
        this.messages.push(this.buffer.subarray(5, 5 + length));
        this.buffer = this.buffer.subarray(5 + length);
      }
      this.waiter?.();
    });
  }

  send(request: Record<string, unknown>): void {
    const message = encodeProtoJson(discoveryRequestType, request);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    this.stream.write(frame);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  async next(timeoutMs = 10_000): Promise<DecodedResponse> {
    const deadline = performance.now() + timeoutMs;
    while (this.messages.length === 0 && performance.now() < deadline) {
      // Woken by every chunk; a message may need several.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const next = this.messages.shift();
    if (next === undefined) throw new Error(`no response within ${timeoutMs} ms`);
    return decodeSotwResponse(next);
  }

  ack(response: DecodedResponse): void {
    this.send({
      type_url: response.typeUrl,
      version_info: response.versionInfo,
      response_nonce: response.nonce,
    });
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }
}
