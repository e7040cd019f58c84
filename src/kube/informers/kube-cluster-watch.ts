/**
 * Everything a control plane watches in one Kubernetes cluster: one resilient informer per kind
 * (`watched-kinds.ts`), their combined sync state, and one stream of object events. A cluster that is
 * down or slow only affects its own state: its informers retry on their own timers and the objects
 * they last saw stay with the consumer (as Istio keeps a remote cluster's services and endpoints while
 * its informers retry).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, type Clock } from '../../core/clock.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { SystemRandom, type Random } from '../../core/random.js';
import { loadKubeConfig } from './load-kubeconfig.js';
import { clientGoBackoff, type BackoffOptions } from './reconnect-backoff.js';
import { ResilientInformer, type InformerState, type ObjectEventType } from './resilient-informer.js';
import { watchedCollections, type WatchedKind } from './watched-kinds.js';
import type { WatchedObject } from './watched-object.js';

export interface KubeClusterWatchOptions {
  readonly clusterId: string;
  /** A kubeconfig path, a loaded KubeConfig, or undefined for client-node's default loading. */
  readonly kubeconfig?: string | KubeConfig;
  /** Context in the kubeconfig file; undefined = its current context. */
  readonly context?: string;
  /** The control plane's own cluster: also watch the Istio config kinds. */
  readonly isConfigCluster: boolean;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
  /** Retry delays after failures (default client-go's: 800 ms doubling to 30 s, jitter 1.0). */
  readonly backoff?: BackoffOptions;
  /** A list taking longer than this is aborted and retried (default 30 s). */
  readonly listTimeoutMs?: number;
}

/** One object event of one cluster. */
export interface KubeObjectEvent {
  readonly clusterId: string;
  readonly kind: WatchedKind;
  readonly type: ObjectEventType;
  readonly object: WatchedObject;
}

export interface KubeClusterWatchState {
  readonly clusterId: string;
  readonly isConfigCluster: boolean;
  /** Every kind has listed once (stays true while reconnecting). */
  readonly hasSynced: boolean;
  /** No kind is failing. */
  readonly isConnected: boolean;
  /** `<Kind>: <error>` of the first failing kind. */
  readonly lastError?: string;
  /** Wall-clock ms of the last applied list or event of any kind. */
  readonly lastUpdateWallMs?: number;
  /** While disconnected: wall-clock ms since when (the data is at least this old). */
  readonly disconnectedSinceWallMs?: number;
  readonly kinds: readonly InformerState[];
}

export type Unsubscribe = () => void;

export class KubeClusterWatch {
  readonly clusterId: string;
  readonly isConfigCluster: boolean;
  private readonly informers: ResilientInformer[];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly objectListeners = new Set<(event: KubeObjectEvent) => void>();
  private readonly stateListeners = new Set<(state: KubeClusterWatchState) => void>();
  private disconnectedSinceWallMs: number | undefined;
  private isStarted = false;
  private syncWaiters: Array<(isSynced: boolean) => void> = [];

  /** Loads the kubeconfig (throws `SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID`); nothing connects before `start()`. */
  constructor(options: KubeClusterWatchOptions) {
    this.clusterId = options.clusterId;
    this.isConfigCluster = options.isConfigCluster;
    this.clock = options.clock ?? new SystemClock();
    const random = options.random ?? new SystemRandom();
    this.log = (options.log ?? createLogger('kube-cluster-watch')).child({ clusterId: options.clusterId });
    const kc =
      typeof options.kubeconfig === 'object'
        ? options.kubeconfig
        : loadKubeConfig(options.kubeconfig, options.context);
    const deps = {
      clock: this.clock,
      random,
      log: this.log,
      backoff: options.backoff ?? clientGoBackoff,
      listTimeoutMs: options.listTimeoutMs ?? 30_000,
      onObject: (kind: WatchedKind, type: ObjectEventType, object: WatchedObject) =>
        this.emitObject({ clusterId: this.clusterId, kind, type, object }),
      onStateChange: () => this.emitState(),
    };
    this.informers = watchedCollections(kc, options.isConfigCluster).map(
      (collection) => new ResilientInformer(collection, kc, deps),
    );
  }

  /** Starts every informer; returns at once (see `whenSynced`). */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    for (const informer of this.informers) informer.start();
  }

  async stop(): Promise<void> {
    this.isStarted = false;
    await Promise.all(this.informers.map((i) => i.stop()));
    this.resolveSyncWaiters(false);
  }

  /** Resolves true once every kind has listed, false if stopped first. */
  whenSynced(): Promise<boolean> {
    if (this.state().hasSynced) return Promise.resolve(true);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  state(): KubeClusterWatchState {
    const kinds = this.informers.map((i) => i.state());
    const failing = kinds.find((k) => k.lastError !== undefined);
    const updates = kinds.flatMap((k) => (k.lastUpdateWallMs === undefined ? [] : [k.lastUpdateWallMs]));
    return {
      clusterId: this.clusterId,
      isConfigCluster: this.isConfigCluster,
      hasSynced: kinds.every((k) => k.hasSynced),
      isConnected: kinds.every((k) => k.isConnected),
      ...(failing?.lastError !== undefined ? { lastError: `${failing.kind}: ${failing.lastError}` } : {}),
      ...(updates.length > 0 ? { lastUpdateWallMs: Math.max(...updates) } : {}),
      ...(this.disconnectedSinceWallMs !== undefined
        ? { disconnectedSinceWallMs: this.disconnectedSinceWallMs }
        : {}),
      kinds,
    };
  }

  /** Every add/update (`upsert`) and delete of every watched kind, including those a relist finds. */
  onObject(listener: (event: KubeObjectEvent) => void): Unsubscribe {
    this.objectListeners.add(listener);
    return () => this.objectListeners.delete(listener);
  }

  /** Called when synced, connected or the current error changes. */
  onStateChange(listener: (state: KubeClusterWatchState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private emitObject(event: KubeObjectEvent): void {
    // Every listener hears the event; a failure is rethrown afterwards for the informer to log and count.
    let failure: { error: unknown } | undefined;
    for (const listener of this.objectListeners) {
      try {
        listener(event);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  private emitState(): void {
    let state = this.state();
    if (state.isConnected) this.disconnectedSinceWallMs = undefined;
    else if (state.lastError !== undefined && this.disconnectedSinceWallMs === undefined)
      this.disconnectedSinceWallMs = this.clock.wallMs();
    state = this.state();
    if (state.hasSynced) this.resolveSyncWaiters(true);
    for (const listener of this.stateListeners) {
      try {
        listener(state);
      } catch (err) {
        this.log.error({ err }, 'cluster state listener failed');
      }
    }
  }

  private resolveSyncWaiters(isSynced: boolean): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const resolve of waiters) resolve(isSynced);
  }
}
