/**
 * The SotW ADS state machine, after Envoy's `GrpcMuxImpl` and `GrpcStream`
 * (source/extensions/config_subscription/grpc/): one stream, one sub-stream per type URL with its
 * own accepted version and last nonce; every response is ACKed (version = the response's) or
 * NACKed (version = the last accepted one, `error_detail` code INTERNAL with the reason); a stream
 * that ends is re-established after a jittered exponential backoff, and the first request of each
 * type on the new stream carries the last accepted version and no nonce.
 *
 * While a response is processed its type is paused, and so is the type that depends on it (CDS
 * pauses EDS, LDS pauses RDS, as `CdsApiHelper` and `LdsApiImpl` do): the dependent request the
 * update caused (new EDS/RDS names) goes out once, before the ACK of the response itself.
 *
 * Responses, reconnect notices and the callers' own timers run one at a time (`runExclusive`), so
 * configuration changes never interleave.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import type { Random } from '../../core/random.js';
import { XdsTypeUrl } from '../../envoy/xds-resource.js';
import type { Gauge, StatsScope } from '../stats/stats-store.js';
import type { AdsStream, AdsStreamStatus, AdsTransport } from './ads-transport.js';
import {
  decodeResource,
  grpcStatusInternal,
  type DecodedResource,
  type DiscoveryRequestMessage,
  type DiscoveryResponseMessage,
} from './discovery-messages.js';
import { JitteredExponentialBackOff } from './jittered-backoff.js';

const log = createLogger('xds');

/** What a subscriber does with the responses of its type. */
export interface WatchCallbacks {
  /** Validates and applies a response; throwing rejects it (NACK) and nothing of it may remain applied. */
  onUpdate(resources: readonly DecodedResource[], versionInfo: string): Promise<void> | void;
  /** The response was rejected (the NACK follows). */
  onRejected(error: Error): Promise<void> | void;
  /** The stream ended; the applied configuration stays. */
  onConnectionFailure(): void;
}

interface TypeState {
  readonly typeUrl: string;
  callbacks: WatchCallbacks | undefined;
  isWildcard: boolean;
  names: readonly string[];
  /** The last accepted version_info ('' before the first ACK). */
  versionInfo: string;
  /** The last nonce received on the current stream. */
  nonce: string;
  errorDetail: { code: number; message: string } | undefined;
  pauses: number;
  isPending: boolean;
}

export interface AdsMuxDeps {
  readonly transport: AdsTransport;
  readonly clock: Clock;
  readonly random: Random;
  /** The `node` message (sent on the first request of a stream, or on every request). */
  readonly node: Record<string, unknown>;
  readonly setNodeOnFirstMessageOnly: boolean;
  /** The root stats scope (`control_plane.*` is created under it). */
  readonly stats: StatsScope;
}

/** CDS updates pause EDS and LDS updates pause RDS while they are applied. */
const dependentType: Readonly<Record<string, string>> = {
  [XdsTypeUrl.cluster]: XdsTypeUrl.clusterLoadAssignment,
  [XdsTypeUrl.listener]: XdsTypeUrl.routeConfiguration,
};

/** Envoy `Config::Utility::truncateGrpcStatusMessage`: gRPC trailers are limited, so 4096 bytes. */
export function truncateErrorDetail(message: string): string {
  const limit = 4096;
  return message.length > limit ? `${message.slice(0, limit)}...(truncated)` : message;
}

export class AdsMux {
  readonly connectedState: Gauge;
  private readonly states = new Map<string, TypeState>();
  /** Type URLs in the order they were first subscribed (the order of requests on a new stream). */
  private readonly subscriptions: string[] = [];
  private readonly backoff: JitteredExponentialBackOff;
  private stream: AdsStream | undefined;
  private streamId = 0;
  private isFirstRequestOnStream = true;
  private retryTimer: Timer | undefined;
  private isStarted = false;
  private isStopped = false;
  private work: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AdsMuxDeps) {
    this.backoff = new JitteredExponentialBackOff(deps.random);
    this.connectedState = deps.stats.scope('control_plane').gauge('connected_state');
  }

  /** Opens the first stream. Subscriptions made before or after are requested on it. */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    this.establish();
  }

  /** Subscribes to a type: wildcard (LDS/CDS) when `names` is undefined, else those names. */
  subscribe(typeUrl: string, callbacks: WatchCallbacks, names?: Iterable<string>): void {
    const state = this.stateFor(typeUrl);
    if (state.callbacks !== undefined) throw new Error(`already subscribed to ${typeUrl}`);
    state.callbacks = callbacks;
    state.isWildcard = names === undefined;
    state.names = names === undefined ? [] : sortedUnique(names);
    this.subscriptions.push(typeUrl);
    this.queueRequest(state);
  }

  isSubscribed(typeUrl: string): boolean {
    return this.states.get(typeUrl)?.callbacks !== undefined;
  }

  /**
   * Changes the names of a non-wildcard subscription; a request goes out when they changed, or with
   * `force` (Envoy re-requests EDS whenever a CDS update re-creates EDS clusters).
   */
  setResourceNames(typeUrl: string, names: Iterable<string>, force = false): void {
    const state = this.states.get(typeUrl);
    if (state?.callbacks === undefined) throw new Error(`not subscribed to ${typeUrl}`);
    const next = sortedUnique(names);
    const changed = next.length !== state.names.length || next.some((n, i) => n !== state.names[i]);
    state.names = next;
    if (changed || force) this.queueRequest(state);
  }

  resourceNames(typeUrl: string): readonly string[] {
    return this.states.get(typeUrl)?.names ?? [];
  }

  /** The last accepted version of a type ('' if none). */
  versionInfo(typeUrl: string): string {
    return this.states.get(typeUrl)?.versionInfo ?? '';
  }

  /** Runs `fn` after every response, failure notice and task queued before it. */
  runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.work.then(fn);
    this.work = run.catch((err: unknown) => log.error({ err }, 'xDS task failed'));
    return run;
  }

  /** Closes the stream for good (no reconnect). */
  stop(): void {
    this.isStopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.stream?.close();
    this.stream = undefined;
    this.deps.transport.close();
    this.connectedState.set(0);
  }

  private stateFor(typeUrl: string): TypeState {
    let state = this.states.get(typeUrl);
    if (state === undefined) {
      state = {
        typeUrl,
        callbacks: undefined,
        isWildcard: false,
        names: [],
        versionInfo: '',
        nonce: '',
        errorDetail: undefined,
        pauses: 0,
        isPending: false,
      };
      this.states.set(typeUrl, state);
    }
    return state;
  }

  private establish(): void {
    this.retryTimer = undefined;
    if (this.isStopped) return;
    const id = ++this.streamId;
    this.isFirstRequestOnStream = true;
    this.stream = this.deps.transport.open({
      onConnected: () => {
        if (id === this.streamId) this.connectedState.set(1);
      },
      onResponse: (response) => {
        if (id !== this.streamId) return;
        // GrpcStream::onReceiveMessage: a message resets the backoff and proves the connection.
        this.backoff.reset();
        this.connectedState.set(1);
        void this.runExclusive(() => this.handleResponse(response, id));
      },
      onClose: (status) => {
        if (id !== this.streamId) return;
        this.onStreamClosed(status);
      },
    });
    // GrpcMuxImpl::onStreamEstablished: nonces belong to a stream; every subscription is requested.
    for (const typeUrl of this.subscriptions) {
      const state = this.states.get(typeUrl) as TypeState;
      state.nonce = '';
      this.queueRequest(state);
    }
  }

  private onStreamClosed(status: AdsStreamStatus): void {
    this.stream = undefined;
    this.connectedState.set(0);
    log.warn({ code: status.code, details: status.details }, 'ADS stream closed');
    void this.runExclusive(() => {
      for (const typeUrl of this.subscriptions) this.states.get(typeUrl)?.callbacks?.onConnectionFailure();
    });
    if (this.isStopped) return;
    const delayMs = this.backoff.nextBackOffMs();
    this.retryTimer = this.deps.clock.setTimer(delayMs, () => this.establish());
  }

  private async handleResponse(response: DiscoveryResponseMessage, streamId: number): Promise<void> {
    const state = this.states.get(response.typeUrl);
    if (state?.callbacks === undefined) {
      log.warn({ typeUrl: response.typeUrl }, 'ignoring a response for a type URL without subscribers');
      return;
    }
    const callbacks = state.callbacks;
    const dependent = dependentType[response.typeUrl];
    const dependentState = dependent === undefined ? undefined : this.stateFor(dependent);
    this.pause(state);
    if (dependentState !== undefined) this.pause(dependentState);
    try {
      const resources = decodeAll(response);
      await callbacks.onUpdate(resources, response.versionInfo);
      state.versionInfo = response.versionInfo;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      log.warn(
        { typeUrl: response.typeUrl, version: response.versionInfo, reason: error.message },
        'rejected xDS response (NACK)',
      );
      state.errorDetail = { code: grpcStatusInternal, message: truncateErrorDetail(error.message) };
      try {
        await callbacks.onRejected(error);
      } catch (err) {
        log.error({ err }, 'xDS rejection handler failed');
      }
    }
    if (dependentState !== undefined) this.resume(dependentState);
    // The nonce of an older stream means nothing to the server of the current one.
    if (streamId === this.streamId) {
      state.nonce = response.nonce;
      state.isPending = true;
    }
    this.resume(state);
  }

  private pause(state: TypeState): void {
    state.pauses++;
  }

  private resume(state: TypeState): void {
    state.pauses--;
    if (state.pauses === 0 && state.isPending) {
      state.isPending = false;
      this.queueRequest(state);
    }
  }

  private queueRequest(state: TypeState): void {
    // Without a stream the request is dropped: the next stream requests every subscription.
    if (this.stream === undefined || state.callbacks === undefined) return;
    if (state.pauses > 0) {
      state.isPending = true;
      return;
    }
    const includeNode = !this.deps.setNodeOnFirstMessageOnly || this.isFirstRequestOnStream;
    const request: DiscoveryRequestMessage = {
      versionInfo: state.versionInfo,
      node: includeNode ? this.deps.node : undefined,
      resourceNames: state.isWildcard ? [] : state.names,
      typeUrl: state.typeUrl,
      responseNonce: state.nonce,
      errorDetail: state.errorDetail,
    };
    this.isFirstRequestOnStream = false;
    state.errorDetail = undefined;
    this.stream.send(request);
  }
}

function sortedUnique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/**
 * Decodes every resource; the first that cannot be decoded, or a repeated name, rejects the whole
 * response (xDS protocol: "Clients should NACK responses that contain multiple instances of the
 * same resource name").
 */
function decodeAll(response: DiscoveryResponseMessage): DecodedResource[] {
  const seen = new Set<string>();
  return response.resources.map((any, index) => {
    let resource: DecodedResource;
    try {
      resource = decodeResource(any, response.typeUrl, index);
    } catch (err) {
      throw new Error(`resources[${index}]: ${(err as Error).message}`, { cause: err });
    }
    if (seen.has(resource.name))
      throw new Error(`duplicate ${kindOf(response.typeUrl)} ${resource.name} found`);
    seen.add(resource.name);
    return resource;
  });
}

/** The short kind Envoy's messages use: cluster, listener, route configuration, endpoint assignment. */
export function kindOf(typeUrl: string): string {
  switch (typeUrl) {
    case XdsTypeUrl.cluster:
      return 'cluster';
    case XdsTypeUrl.listener:
      return 'listener';
    case XdsTypeUrl.routeConfiguration:
      return 'route configuration';
    case XdsTypeUrl.clusterLoadAssignment:
      return 'cluster load assignment';
    default:
      return 'resource';
  }
}
