/**
 * Incremental ADS (`DeltaAggregatedResources`) for one stream, per the xDS protocol doc
 * ("Incremental xDS"): per type, the subscription (subscribe/unsubscribe, wildcard), and the
 * version of every resource the client holds. A response carries only resources whose version
 * differs from the client's, plus `removed_resources` for what it holds that is gone (or was named
 * but does not exist - delta tells the client at once, no timer needed).
 *
 * - Subscription changes are honoured whatever the nonce (protocol doc: the nonce must not be used
 *   to reject subscription changes); a nonce the server did not send is counted as stale.
 * - A name in `resource_names_subscribe` is sent even if the client seems to have it ("the client
 *   may have forgotten"), unless `initial_resource_versions` says it has that very version.
 * - Unsubscribing a name that the wildcard still covers resends it (or removes it if the wildcard
 *   does not cover it), as the protocol doc requires for wildcard plus explicit subscriptions.
 * - A NACK leaves the client on its previous resources; the rejected versions are not sent again
 *   until something else changes (then they go along, since the client never applied them).
 * - The first request of each type is always answered, possibly with an empty response, as Istio
 *   `pilot/pkg/xds/delta.go` `shouldRespondDelta` does for a new watch.
 */
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { XorDigest } from './content-digest.js';
import {
  encodeDeltaDiscoveryResponse,
  XdsProtocolError,
  type DeltaDiscoveryRequestMessage,
} from './discovery-wire.js';
import type { ProxyResources, ResourceChanges, StoredResource } from './resource-store.js';
import { TypeSubscription } from './type-subscription.js';
import {
  ConvergenceTracker,
  orderedTypes,
  type NackRecord,
  type PendingResponse,
  type RequestKind,
  type SessionOptions,
  type XdsSession,
  type XdsTypeStatus,
} from './xds-session.js';

/** The client was told this name does not exist. */
const absent = '';
/** Responses remembered for matching their ACK/NACK (older ones are stale). */
const maxOutstanding = 16;

interface Outstanding {
  readonly version: string;
  readonly included: readonly StoredResource[];
}

class DeltaTypeState {
  readonly subscription: TypeSubscription;
  /** Name -> version the client holds (`absent` once told it does not exist). */
  readonly client = new Map<string, string>();
  readonly outstanding = new Map<string, Outstanding>();

  isRequested = false;
  mustRespond = false;
  fullScan = false;
  resendAll = false;
  readonly dirty = new Set<string>();
  readonly forced = new Set<string>();
  readonly forceRemoved = new Set<string>();

  nonceSent: string | undefined;
  versionSent: string | undefined;
  sentAtWallMs: number | undefined;
  resourcesSent = 0;
  removedSent = 0;
  pushes = 0;
  versionAcked: string | undefined;
  ackedAtWallMs: number | undefined;
  nackCount = 0;
  lastNack: NackRecord | undefined;
  isNacked = false;
  readonly rejected = new Map<string, StoredResource>();

  constructor(readonly typeUrl: string) {
    this.subscription = new TypeSubscription(typeUrl);
  }

  hasWork(): boolean {
    return (
      this.isRequested &&
      (this.mustRespond ||
        this.fullScan ||
        this.resendAll ||
        this.dirty.size > 0 ||
        this.forced.size > 0 ||
        this.forceRemoved.size > 0)
    );
  }

  clearWork(): void {
    this.mustRespond = false;
    this.fullScan = false;
    this.resendAll = false;
    this.dirty.clear();
    this.forced.clear();
    this.forceRemoved.clear();
  }
}

export class DeltaSession implements XdsSession {
  readonly protocol = 'delta' as const;
  private readonly types = new Map<string, DeltaTypeState>();
  private resources: ProxyResources | undefined;
  private readonly convergence: ConvergenceTracker;

  constructor(private readonly options: SessionOptions) {
    this.convergence = new ConvergenceTracker(options.clock);
  }

  attach(resources: ProxyResources): void {
    this.resources = resources;
  }

  handleRequest(request: DeltaDiscoveryRequestMessage): RequestKind {
    const typeUrl = request.typeUrl;
    if (typeUrl === '') throw new XdsProtocolError('DeltaDiscoveryRequest without type_url');
    let state = this.types.get(typeUrl);
    const isFirst = state === undefined;
    if (state === undefined) {
      state = new DeltaTypeState(typeUrl);
      this.types.set(typeUrl, state);
    }
    const change = this.applySubscription(state, request, isFirst);
    let kind: RequestKind = isFirst
      ? 'initial'
      : change.added.length > 0 || change.removed.length > 0 || change.wildcardChanged
        ? 'subscription'
        : 'ack';
    const nonce = request.responseNonce;
    if (nonce !== '') {
      const outstanding = state.outstanding.get(nonce);
      if (outstanding === undefined) {
        this.options.events.onStaleNonce(typeUrl, nonce);
        if (kind === 'ack') kind = 'stale';
      } else {
        // This nonce and every older one are answered.
        for (const key of [...state.outstanding.keys()]) {
          state.outstanding.delete(key);
          if (key === nonce) break;
        }
        const wall = this.options.clock.wallMs();
        if (request.errorDetail !== undefined) {
          const nack: NackRecord = {
            nonce,
            rejectedVersion: outstanding.version,
            clientVersion: '',
            code: request.errorDetail.code,
            message: request.errorDetail.message,
            atWallMs: wall,
          };
          state.nackCount++;
          state.lastNack = nack;
          state.isNacked = true;
          for (const resource of outstanding.included) state.rejected.set(resource.name, resource);
          this.convergence.nacked();
          this.options.events.onNack(typeUrl, nack);
          kind = 'nack';
        } else {
          state.versionAcked = outstanding.version;
          state.ackedAtWallMs = wall;
          if (nonce === state.nonceSent) {
            state.isNacked = false;
            state.rejected.clear();
          }
          this.options.events.onAck(typeUrl, outstanding.version, nonce);
          const converged = this.convergence.acked(typeUrl, nonce, this.hasPending());
          if (converged !== undefined) this.options.events.onConverged(converged);
        }
      }
    } else if (!isFirst && kind === 'ack') {
      // A spontaneous request that changes nothing.
      kind = 'subscription';
    }
    return kind;
  }

  resourcesChanged(changes: ResourceChanges): void {
    let isDirty = false;
    for (const [typeUrl, names] of changes) {
      const state = this.types.get(typeUrl);
      if (state === undefined || !state.isRequested) continue;
      for (const name of names) {
        if (state.subscription.includes(name) || state.client.has(name)) {
          state.dirty.add(name);
          isDirty = true;
        }
      }
    }
    if (isDirty) this.convergence.changed();
  }

  nextResponse(): PendingResponse | undefined {
    const resources = this.resources;
    if (resources?.isReady !== true) return undefined;
    for (const typeUrl of orderedTypes(this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (state === undefined || !state.hasWork()) continue;
      const response = this.build(state, resources);
      if (response !== undefined) {
        this.convergence.sent(typeUrl, response.nonce);
        return response;
      }
    }
    const converged = this.convergence.idle();
    if (converged !== undefined) this.options.events.onConverged(converged);
    return undefined;
  }

  typeStatuses(): XdsTypeStatus[] {
    return [...this.types.values()].map((s) => ({
      typeUrl: s.typeUrl,
      subscription: s.subscription.describe(),
      versionSent: s.versionSent,
      nonceSent: s.nonceSent,
      sentAtWallMs: s.sentAtWallMs,
      resourcesSent: s.resourcesSent,
      removedSent: s.removedSent,
      versionAcked: s.versionAcked,
      ackedAtWallMs: s.ackedAtWallMs,
      pushes: s.pushes,
      nackCount: s.nackCount,
      lastNack: s.lastNack,
      isNacked: s.isNacked,
    }));
  }

  private hasPending(): boolean {
    for (const state of this.types.values()) if (state.hasWork()) return true;
    return false;
  }

  private applySubscription(
    state: DeltaTypeState,
    request: DeltaDiscoveryRequestMessage,
    isFirst: boolean,
  ): ReturnType<TypeSubscription['update']> {
    const subscription = state.subscription;
    const change = subscription.update(
      request.resourceNamesSubscribe,
      request.resourceNamesUnsubscribe,
      isFirst,
    );
    for (const name of change.added) {
      state.forced.add(name);
      state.client.delete(name);
    }
    for (const name of change.removed) {
      state.forced.delete(name);
      if (subscription.isWildcard) {
        // The client cannot tell whether the wildcard still covers it: resend or remove it.
        state.client.delete(name);
        if (this.resources?.get(state.typeUrl, name) !== undefined) state.dirty.add(name);
        else state.forceRemoved.add(name);
      } else {
        state.client.delete(name);
      }
    }
    if (change.wildcardChanged) {
      if (subscription.isWildcard) {
        state.fullScan = true;
      } else {
        // Leaving the wildcard: the client drops what it held only through it.
        for (const name of [...state.client.keys()])
          if (!subscription.names.has(name)) state.client.delete(name);
      }
    }
    if (isFirst) {
      state.isRequested = true;
      state.mustRespond = true;
      state.fullScan = true;
      // A reconnecting client names what it still holds; equal versions are not sent again.
      for (const [name, version] of request.initialResourceVersions) {
        if (!subscription.isWildcard) subscription.add(name);
        state.client.set(name, version);
        state.forced.delete(name);
      }
      if (state.typeUrl === XdsTypeUrl.cluster) {
        // Istio pilot/pkg/xds/delta.go forceEDSPush: a (re)initial CDS request is followed by a
        // full EDS push so that Envoy can finish warming the clusters (envoyproxy/envoy#13009).
        const eds = this.types.get(XdsTypeUrl.clusterLoadAssignment);
        if (eds?.isRequested === true) {
          eds.resendAll = true;
          eds.fullScan = true;
          eds.mustRespond = true;
        }
      }
    }
    return change;
  }

  private build(state: DeltaTypeState, resources: ProxyResources): PendingResponse | undefined {
    const type = resources.resources(state.typeUrl);
    const must = state.mustRespond;
    const candidates = new Set<string>([
      ...state.dirty,
      ...state.forced,
      ...state.forceRemoved,
      ...state.rejected.keys(),
    ]);
    if (state.fullScan || state.resendAll) {
      if (type !== undefined) for (const name of type.byName.keys()) candidates.add(name);
      for (const name of state.client.keys()) candidates.add(name);
      for (const name of state.subscription.names) candidates.add(name);
    }
    const include: StoredResource[] = [];
    const removed: string[] = [];
    for (const name of candidates) {
      const resource = type?.byName.get(name);
      const held = state.client.get(name);
      if (resource !== undefined && state.subscription.includes(name)) {
        if (
          state.resendAll ||
          state.forced.has(name) ||
          held !== resource.version ||
          state.rejected.has(name)
        )
          include.push(resource);
      } else if (
        state.forceRemoved.has(name) ||
        (held !== undefined && held !== absent) ||
        (resource === undefined && state.subscription.names.has(name) && held === undefined)
      ) {
        removed.push(name);
      }
    }
    const isForced = state.forced.size > 0 || state.forceRemoved.size > 0 || state.resendAll;
    state.clearWork();
    if (!must && !isForced && removed.length === 0) {
      const onlyRejectedAgain = include.every((r) => state.rejected.get(r.name) === r);
      if (include.length === 0 || onlyRejectedAgain) return undefined;
    }
    if (state.typeUrl === XdsTypeUrl.cluster && include.length > 0) {
      // As in SotW (sotw-session.ts followClustersWithEndpoints): changed clusters warm until their
      // assignments arrive, so the assignments follow (Istio pushes every watched type on a full push).
      const eds = this.types.get(XdsTypeUrl.clusterLoadAssignment);
      if (eds?.isRequested === true) {
        eds.resendAll = true;
        eds.fullScan = true;
        eds.mustRespond = true;
      }
    }
    for (const resource of include) state.client.set(resource.name, resource.version);
    for (const name of removed) {
      if (state.subscription.names.has(name)) state.client.set(name, absent);
      else state.client.delete(name);
    }
    state.rejected.clear();
    const nonce = this.options.nextNonce();
    const version = type === undefined ? new XorDigest().version() : type.digest.version();
    state.outstanding.set(nonce, { version, included: include });
    while (state.outstanding.size > maxOutstanding) {
      const oldest = state.outstanding.keys().next().value;
      if (oldest === undefined) break;
      state.outstanding.delete(oldest);
    }
    state.nonceSent = nonce;
    state.versionSent = version;
    state.sentAtWallMs = this.options.clock.wallMs();
    state.resourcesSent = include.length;
    state.removedSent = removed.length;
    state.pushes++;
    const bytes = encodeDeltaDiscoveryResponse({
      systemVersionInfo: version,
      typeUrl: state.typeUrl,
      nonce,
      resourceEntries: include.map((r) => r.deltaEntryBytes()),
      removedResources: removed,
    });
    return {
      typeUrl: state.typeUrl,
      bytes,
      nonce,
      version,
      resourceCount: include.length,
      removedCount: removed.length,
    };
  }
}
