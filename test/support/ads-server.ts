/**
 * A minimal SotW ADS server for tests (grpc-js + the proto3 JSON codec): it serves the resource set
 * it is given and records every DiscoveryRequest, so tests can assert ACKs and NACKs. It follows the
 * xDS protocol as a real control plane does (the same scenarios are meant to run against Spillway's
 * control plane later):
 *
 * - per stream and type it remembers the last nonce it sent; a request carrying another non-empty
 *   nonce is stale and ignored (xds_protocol.rst "Resource updates");
 * - the first request of a type on a stream (empty nonce) is answered with the current resources,
 *   whatever version it carries (a reconnecting client must get its config again);
 * - an ACK or NACK of the last response is not answered, unless it changes the requested names;
 * - `setResources` pushes every type the stream subscribed to, in CDS, EDS, LDS, RDS order (Istio's
 *   full push): the full set for CDS and LDS, the requested names for EDS and RDS.
 */
import {
  Server,
  ServerCredentials,
  status as grpcStatus,
  type ServerDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import {
  decodeProtoJson,
  encodeAnyJson,
  encodeProtoObject,
  type EncodedAny,
} from '../../src/envoy/proto-json-codec.js';
import { isFullStateType, xdsPushOrder, XdsTypeUrl } from '../../src/envoy/xds-resource.js';

export interface AdsResources {
  readonly version: string;
  readonly clusters?: readonly Record<string, unknown>[];
  readonly endpoints?: readonly Record<string, unknown>[];
  readonly listeners?: readonly Record<string, unknown>[];
  readonly routes?: readonly Record<string, unknown>[];
}

export interface RecordedRequest {
  readonly streamId: number;
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly resourceNames: readonly string[];
  readonly responseNonce: string;
  readonly errorDetail: { readonly code: number; readonly message: string } | undefined;
  readonly node: Record<string, unknown> | undefined;
}

export interface SentResponse {
  readonly streamId: number;
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly names: readonly string[];
}

interface TypeStream {
  lastNonce: string;
  names: readonly string[];
}

interface StreamState {
  readonly id: number;
  readonly call: ServerDuplexStream<Buffer, Buffer>;
  readonly types: Map<string, TypeStream>;
}

const methodPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

const service: ServiceDefinition = {
  StreamAggregatedResources: {
    path: methodPath,
    requestStream: true,
    responseStream: true,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

function namesOf(
  typeUrl: string,
  resources: AdsResources | undefined,
): Array<[string, Record<string, unknown>]> {
  const list =
    typeUrl === XdsTypeUrl.cluster
      ? resources?.clusters
      : typeUrl === XdsTypeUrl.clusterLoadAssignment
        ? resources?.endpoints
        : typeUrl === XdsTypeUrl.listener
          ? resources?.listeners
          : resources?.routes;
  const nameField = typeUrl === XdsTypeUrl.clusterLoadAssignment ? 'cluster_name' : 'name';
  return (list ?? []).map((r) => [String(r[nameField]), r]);
}

export class AdsServer {
  readonly requests: RecordedRequest[] = [];
  readonly responses: SentResponse[] = [];
  private server: Server | undefined;
  private readonly streams = new Set<StreamState>();
  private resources: AdsResources | undefined;
  private nextStreamId = 0;
  private nextNonce = 0;
  private boundPort = 0;

  private constructor(readonly address: string) {}

  /** Starts serving on `address:port` (port 0 picks one); `resources` may come later. */
  static async start(address: string, resources?: AdsResources, port = 0): Promise<AdsServer> {
    const ads = new AdsServer(address);
    ads.resources = resources;
    await ads.listen(port);
    return ads;
  }

  get port(): number {
    return this.boundPort;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** The requests of one type, in arrival order. */
  requestsOf(typeUrl: string): RecordedRequest[] {
    return this.requests.filter((r) => r.typeUrl === typeUrl);
  }

  /** ACKs: requests that answer a response without error_detail. */
  acks(typeUrl: string): RecordedRequest[] {
    return this.requestsOf(typeUrl).filter((r) => r.responseNonce !== '' && r.errorDetail === undefined);
  }

  nacks(typeUrl: string): RecordedRequest[] {
    return this.requestsOf(typeUrl).filter((r) => r.errorDetail !== undefined);
  }

  /** Replaces the served resources and pushes them to every open stream. */
  setResources(resources: AdsResources): void {
    this.resources = resources;
    for (const stream of this.streams) {
      for (const typeUrl of xdsPushOrder) {
        const typeStream = stream.types.get(typeUrl);
        if (typeStream !== undefined) this.respond(stream, typeUrl, typeStream);
      }
    }
  }

  /** Misbehaving server: writes raw bytes as a response message on every open stream. */
  sendRawMessage(bytes: Uint8Array): void {
    for (const stream of this.streams) stream.call.write(Buffer.from(bytes));
  }

  /** Misbehaving server: a response whose resources are the given encoded `Any`s, as they are. */
  sendRawResources(typeUrl: string, version: string, resources: readonly EncodedAny[]): void {
    for (const stream of this.streams) {
      const typeStream = stream.types.get(typeUrl);
      if (typeStream === undefined) continue;
      const nonce = String(++this.nextNonce);
      typeStream.lastNonce = nonce;
      stream.call.write(
        Buffer.from(
          encodeProtoObject('envoy.service.discovery.v3.DiscoveryResponse', {
            version_info: version,
            resources: [...resources],
            type_url: typeUrl,
            nonce,
          }),
        ),
      );
    }
  }

  /** Kills every stream and stops listening (the control plane goes away). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const stream of this.streams) stream.call.destroy();
    this.streams.clear();
    server?.forceShutdown();
  }

  /** Listens again on the same port, serving the last resources. */
  async restart(): Promise<void> {
    await this.listen(this.boundPort);
  }

  private async listen(port: number): Promise<void> {
    const server = new Server();
    server.addService(service, {
      StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => this.onStream(call),
    });
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.address}:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
        err === null ? resolve(bound) : reject(err),
      );
    });
    this.server = server;
  }

  private onStream(call: ServerDuplexStream<Buffer, Buffer>): void {
    const stream: StreamState = { id: ++this.nextStreamId, call, types: new Map() };
    this.streams.add(stream);
    call.on('data', (bytes: Buffer) => this.onRequest(stream, bytes));
    call.on('error', () => this.streams.delete(stream));
    call.on('end', () => {
      this.streams.delete(stream);
      call.end();
    });
    call.on('close', () => this.streams.delete(stream));
  }

  private onRequest(stream: StreamState, bytes: Buffer): void {
    let json: Record<string, unknown>;
    try {
      json = decodeProtoJson('envoy.service.discovery.v3.DiscoveryRequest', bytes);
    } catch (err) {
      stream.call.emit('error', { code: grpcStatus.INVALID_ARGUMENT, details: String(err) });
      return;
    }
    const request: RecordedRequest = {
      streamId: stream.id,
      typeUrl: String(json['type_url'] ?? ''),
      versionInfo: String(json['version_info'] ?? ''),
      resourceNames: (json['resource_names'] as string[] | undefined) ?? [],
      responseNonce: String(json['response_nonce'] ?? ''),
      errorDetail: json['error_detail'] as RecordedRequest['errorDetail'],
      node: json['node'] as Record<string, unknown> | undefined,
    };
    this.requests.push(request);
    const previous = stream.types.get(request.typeUrl);
    if (
      previous !== undefined &&
      request.responseNonce !== '' &&
      request.responseNonce !== previous.lastNonce
    )
      return; // stale
    const typeStream: TypeStream = previous ?? { lastNonce: '', names: [] };
    const namesChanged =
      previous === undefined ||
      request.resourceNames.length !== previous.names.length ||
      request.resourceNames.some((n, i) => n !== previous.names[i]);
    typeStream.names = request.resourceNames;
    stream.types.set(request.typeUrl, typeStream);
    if (request.responseNonce === '' || namesChanged) this.respond(stream, request.typeUrl, typeStream);
  }

  private respond(stream: StreamState, typeUrl: string, typeStream: TypeStream): void {
    const resources = this.resources;
    if (resources === undefined) return;
    const wanted = new Set(typeStream.names);
    const selected = namesOf(typeUrl, resources).filter(
      ([name]) => isFullStateType(typeUrl) || wanted.has(name),
    );
    const nonce = String(++this.nextNonce);
    typeStream.lastNonce = nonce;
    const message = encodeProtoObject('envoy.service.discovery.v3.DiscoveryResponse', {
      version_info: resources.version,
      resources: selected.map(([, r]) => encodeAnyJson({ ...r, '@type': typeUrl })),
      type_url: typeUrl,
      nonce,
    });
    this.responses.push({
      streamId: stream.id,
      typeUrl,
      versionInfo: resources.version,
      nonce,
      names: selected.map(([name]) => name),
    });
    stream.call.write(Buffer.from(message));
  }
}
