/**
 * State of the world ADS (`StreamAggregatedResources`) for one stream: per type, the subscription,
 * what was sent, and the ACK/NACK/stale/new-request rules of the xDS protocol doc ("ACK/NACK and
 * resource type instance version", "When to send an update", "Resource updates"), as Istio applies
 * them (`pkg/xds/server.go` `ShouldRespond`):
 *
 * - a request with an empty nonce (first request, or a reconnect carrying the version it has) is
 *   always answered with the current set, even if that version equals the client's;
 * - a nonce other than the last one sent for that type is stale and ignored;
 * - the last nonce with `error_detail` is a NACK: recorded, counted, not answered; the rejected
 *   version is not sent again - only a change of content (or subscription) produces a response;
 * - the last nonce without `error_detail` is an ACK; if it also changes the subscription, Listener
 *   and Cluster are answered with the new full set, other types only for newly named resources.
 *
 * Listener and Cluster responses carry every subscribed resource (a missing one means "deleted"
 * to the client); RouteConfiguration and ClusterLoadAssignment responses carry only what changed
 * or was newly requested, since omission means nothing for them. Resources that do not exist are
 * left out; the client's does-not-exist timer handles them.
 */
import { isFullStateType, XdsTypeUrl } from '../envoy/xds-resource.js';
import { XorDigest } from './content-digest.js';
import { encodeDiscoveryResponse, XdsProtocolError, type DiscoveryRequestMessage } from './discovery-wire.js';
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

class SotwTypeState {
  readonly subscription: TypeSubscription;
  readonly isFullState: boolean;
  /** RDS/EDS: what this stream has sent, by name (what the client holds). */
  readonly sent = new Map<string, StoredResource>();
  readonly sentDigest = new XorDigest();
  /** RDS/EDS: the resources of the last response, kept to know what a NACK rejected. */
  lastIncluded: readonly StoredResource[] = [];

  isRequested = false;
  mustRespond = false;
  resendAll = false;
  /** Istio's `AlwaysRespond`: answer the next request even if it looks like an ACK. */
  alwaysRespondNext = false;
  readonly dirty = new Set<string>();
  readonly forced = new Set<string>();

  nonceSent: string | undefined;
  versionSent: string | undefined;
  sentAtWallMs: number | undefined;
  resourcesSent = 0;
  pushes = 0;
  versionAcked: string | undefined;
  ackedAtWallMs: number | undefined;
  nackCount = 0;
  lastNack: NackRecord | undefined;
  isNacked = false;
  /** LDS/CDS: the version the client rejected (not sent again). */
  rejectedVersion: string | undefined;
  /** RDS/EDS: the resources the client rejected (resent only along with a real change). */
  readonly rejected = new Map<string, StoredResource>();

  constructor(readonly typeUrl: string) {
    this.subscription = new TypeSubscription(typeUrl);
    this.isFullState = isFullStateType(typeUrl);
  }

  hasWork(): boolean {
    return (
      this.isRequested && (this.mustRespond || this.resendAll || this.dirty.size > 0 || this.forced.size > 0)
    );
  }

  clearWork(): void {
    this.mustRespond = false;
    this.resendAll = false;
    this.dirty.clear();
    this.forced.clear();
  }

  forget(name: string): void {
    const old = this.sent.get(name);
    if (old === undefined) return;
    this.sent.delete(name);
    this.sentDigest.toggle(old.hash);
  }

  remember(resource: StoredResource): void {
    const old = this.sent.get(resource.name);
    if (old === resource) return;
    if (old !== undefined) this.sentDigest.toggle(old.hash);
    this.sent.set(resource.name, resource);
    this.sentDigest.toggle(resource.hash);
  }
}

export class SotwSession implements XdsSession {
  readonly protocol = 'sotw' as const;
  private readonly types = new Map<string, SotwTypeState>();
  private resources: ProxyResources | undefined;
  private readonly convergence: ConvergenceTracker;

  constructor(private readonly options: SessionOptions) {
    this.convergence = new ConvergenceTracker(options.clock);
  }

  attach(resources: ProxyResources): void {
    this.resources = resources;
  }

  handleRequest(request: DiscoveryRequestMessage): RequestKind {
    const typeUrl = request.typeUrl;
    if (typeUrl === '') throw new XdsProtocolError('DiscoveryRequest without type_url');
    let state = this.types.get(typeUrl);
    const nonce = request.responseNonce;
    if (state === undefined || state.nonceSent === undefined || nonce === '') {
      state ??= this.createState(typeUrl);
      return this.initialRequest(state, request);
    }
    if (nonce !== state.nonceSent) {
      this.options.events.onStaleNonce(typeUrl, nonce);
      return 'stale';
    }
    const change = state.subscription.replace(request.resourceNames);
    const isChanged = change.added.length > 0 || change.removed.length > 0 || change.wildcardChanged;
    const wall = this.options.clock.wallMs();
    let kind: RequestKind;
    if (request.errorDetail !== undefined) {
      const nack: NackRecord = {
        nonce,
        rejectedVersion: state.versionSent ?? '',
        clientVersion: request.versionInfo,
        code: request.errorDetail.code,
        message: request.errorDetail.message,
        atWallMs: wall,
      };
      state.nackCount++;
      state.lastNack = nack;
      state.isNacked = true;
      state.rejectedVersion = state.versionSent;
      state.rejected.clear();
      for (const resource of state.lastIncluded) state.rejected.set(resource.name, resource);
      this.convergence.nacked();
      this.options.events.onNack(typeUrl, nack);
      kind = 'nack';
    } else if (state.isNacked && request.versionInfo !== state.versionSent) {
      // Same nonce, no error, but the client still runs the version before the rejected one:
      // a subscription change after a NACK, not an ACK of the rejected version.
      kind = 'subscription';
    } else {
      state.versionAcked = request.versionInfo;
      state.ackedAtWallMs = wall;
      state.isNacked = false;
      state.rejectedVersion = undefined;
      state.rejected.clear();
      this.options.events.onAck(typeUrl, request.versionInfo, nonce);
      kind = isChanged ? 'subscription' : 'ack';
      if (state.alwaysRespondNext) {
        state.alwaysRespondNext = false;
        state.mustRespond = true;
        state.resendAll = true;
      }
    }
    if (isChanged) {
      if (state.isFullState) {
        // Istio ShouldRespond: wildcard types answer any change of names with the full set.
        state.mustRespond = true;
      } else {
        for (const name of change.removed) state.forget(name);
        for (const name of change.added) state.forced.add(name);
      }
    }
    if (kind !== 'nack') this.reportConvergence(this.convergence.acked(typeUrl, nonce, this.hasPending()));
    return kind;
  }

  resourcesChanged(changes: ResourceChanges): void {
    let isDirty = false;
    for (const [typeUrl, names] of changes) {
      const state = this.types.get(typeUrl);
      if (state === undefined || !state.isRequested) continue;
      for (const name of names) {
        if (state.subscription.includes(name) || state.sent.has(name)) {
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
      const response = state.isFullState
        ? this.fullStateResponse(state, resources)
        : this.partialResponse(state, resources);
      if (response !== undefined) {
        this.convergence.sent(typeUrl, response.nonce);
        return response;
      }
    }
    this.reportConvergence(this.convergence.idle());
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
      removedSent: 0,
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

  private reportConvergence(durationMs: number | undefined): void {
    if (durationMs !== undefined) this.options.events.onConverged(durationMs);
  }

  private createState(typeUrl: string): SotwTypeState {
    const state = new SotwTypeState(typeUrl);
    this.types.set(typeUrl, state);
    return state;
  }

  private initialRequest(state: SotwTypeState, request: DiscoveryRequestMessage): RequestKind {
    state.subscription.replace(request.resourceNames);
    state.isRequested = true;
    state.clearWork();
    state.mustRespond = true;
    state.resendAll = true;
    state.sent.clear();
    state.sentDigest.reset();
    state.rejected.clear();
    state.rejectedVersion = undefined;
    // A reconnecting client names the version it still runs.
    if (request.versionInfo !== '') state.versionAcked = request.versionInfo;
    if (state.typeUrl === XdsTypeUrl.cluster) {
      // Istio pilot/pkg/model/context.go WarmingDependencies: after a (re)initial CDS request,
      // answer the next EDS request even if it looks like an ACK, or Envoy never finishes
      // warming the clusters (envoyproxy/envoy#13009).
      const eds = this.types.get(XdsTypeUrl.clusterLoadAssignment);
      if (eds !== undefined) eds.alwaysRespondNext = true;
    }
    return 'initial';
  }

  private commit(state: SotwTypeState, version: string, entries: readonly StoredResource[]): PendingResponse {
    const nonce = this.options.nextNonce();
    state.nonceSent = nonce;
    state.versionSent = version;
    state.sentAtWallMs = this.options.clock.wallMs();
    state.resourcesSent = entries.length;
    state.pushes++;
    const bytes = encodeDiscoveryResponse({
      versionInfo: version,
      typeUrl: state.typeUrl,
      nonce,
      resourceEntries: entries.map((e) => e.sotwEntry),
    });
    return { typeUrl: state.typeUrl, bytes, nonce, version, resourceCount: entries.length, removedCount: 0 };
  }

  /** Listener / Cluster: every subscribed resource that exists. */
  private fullStateResponse(state: SotwTypeState, resources: ProxyResources): PendingResponse | undefined {
    const must = state.mustRespond;
    state.clearWork();
    const type = resources.resources(state.typeUrl);
    let entries: StoredResource[];
    let version: string;
    if (state.subscription.isWildcard) {
      // Explicit names next to "*" are a subset of the set: the wildcard already covers them.
      entries = type === undefined ? [] : [...type.byName.values()];
      version = type === undefined ? new XorDigest().version() : type.digest.version();
    } else {
      const digest = new XorDigest();
      entries = [];
      for (const name of state.subscription.names) {
        const resource = type?.byName.get(name);
        if (resource === undefined) continue;
        entries.push(resource);
        digest.toggle(resource.hash);
      }
      version = digest.version();
    }
    if (!must && (version === state.versionSent || version === state.rejectedVersion)) return undefined;
    if (state.typeUrl === XdsTypeUrl.cluster) this.followClustersWithEndpoints();
    return this.commit(state, version, entries);
  }

  /**
   * A pushed cluster change makes Envoy warm the changed EDS clusters until a ClusterLoadAssignment
   * for them arrives - even an unchanged one - and its EDS request after the CDS update carries the
   * same names, version and nonce, so it reads as an ACK (envoyproxy/envoy#13009). Istio's full push
   * sends every watched type, EDS included, after a config change (pilot/pkg/xds/xdsgen.go pushXds
   * per watched resource in pushConnection), so the clusters finish warming; do the same: the
   * assignments follow the clusters (pushes go out in CDS, EDS order).
   */
  private followClustersWithEndpoints(): void {
    const eds = this.types.get(XdsTypeUrl.clusterLoadAssignment);
    if (eds?.isRequested === true) eds.resendAll = true;
  }

  /** RouteConfiguration / ClusterLoadAssignment (and unknown types): what changed or is newly named. */
  private partialResponse(state: SotwTypeState, resources: ProxyResources): PendingResponse | undefined {
    const must = state.mustRespond;
    const all = state.resendAll;
    const type = resources.resources(state.typeUrl);
    const candidates = all
      ? state.subscription.names
      : new Set([...state.dirty, ...state.forced, ...state.rejected.keys()]);
    const include: StoredResource[] = [];
    const gone: string[] = [];
    for (const name of candidates) {
      if (!state.subscription.includes(name)) {
        gone.push(name);
        continue;
      }
      const resource = type?.byName.get(name);
      if (resource === undefined) {
        gone.push(name);
        continue;
      }
      if (all || state.forced.has(name) || state.sent.get(name) !== resource || state.rejected.has(name))
        include.push(resource);
    }
    const isForced = state.forced.size > 0;
    state.clearWork();
    // Content nobody asked to see again is dropped from the client view; for these types the
    // client drops it itself once no parent refers to it (protocol doc, "Deleting Resources").
    for (const name of gone) state.forget(name);
    if (!must) {
      if (include.length === 0) return undefined;
      if (!isForced && include.every((r) => state.rejected.get(r.name) === r)) return undefined;
    }
    for (const resource of include) state.remember(resource);
    state.lastIncluded = include;
    state.rejected.clear();
    return this.commit(state, state.sentDigest.version(), include);
  }
}
