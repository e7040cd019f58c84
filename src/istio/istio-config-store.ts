/**
 * The Istio configuration a control plane serves: the DestinationRules, VirtualServices, Gateways,
 * ServiceEntries and Sidecars of its config cluster, each validated with the same checks the lab
 * API server applies at admission (`validation/`). istiod trusts its validating webhook and does not
 * re-validate what it reads (`pilot/pkg/config/kube/crdclient`); we do, because a cluster without the
 * webhook (or an object stored before it existed) can hold resources Istio would refuse.
 *
 * An invalid resource is skipped as a whole - never half-applied - with a logged, counted reason
 * (kind, namespace/name, field path, message); everything else keeps flowing. An invalid update of a
 * resource that was valid removes it too, so the served config is a function of what the cluster
 * holds (two control planes reading the same cluster serve the same config, whatever their
 * history). Snapshots are versioned and immutable; each kind's list is rebuilt only when that kind
 * changed, ordered as Istio orders conflicting config (`pilot/pkg/model/config.go`
 * configCompareByCreationTime: creation time, then name, then namespace).
 */
import { SystemClock, type Clock } from '../core/clock.js';
import { ErrorCode } from '../core/errors.js';
import { isRecord, recordAt, stringAt, stringMapAt } from '../core/json-shape.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { ConfigEntry, IstioConfigSnapshot } from './istio-config.js';
import { errorBody, validateIstioObject } from './validation/index.js';

export type IstioConfigKind = ConfigEntry<unknown>['kind'];

export const istioConfigStoreKinds: readonly IstioConfigKind[] = Object.freeze([
  'DestinationRule',
  'VirtualService',
  'Gateway',
  'ServiceEntry',
  'Sidecar',
]);

/** One problem of a rejected resource: the field and Kubernetes' rendering of the error. */
export interface ConfigIssue {
  readonly field: string;
  readonly message: string;
}

export interface RejectedConfig {
  readonly kind: IstioConfigKind;
  readonly namespace: string;
  readonly name: string;
  readonly clusterId: string;
  readonly resourceVersion: string;
  /** Every problem found; the first is the reason logged. */
  readonly issues: readonly ConfigIssue[];
  readonly rejectedAtWallMs: number;
}

export interface ConfigChange {
  readonly version: number;
  readonly kinds: ReadonlySet<IstioConfigKind>;
  /** `<Kind>/<namespace>/<name>` of every resource added, changed, removed or newly rejected. */
  readonly keys: ReadonlySet<string>;
}

export type ConfigListener = (change: ConfigChange) => void;

export interface IstioConfigStoreOptions {
  readonly clock?: Clock;
  readonly log?: Logger;
}

const groupVersions = new Set(['v1', 'v1beta1', 'v1alpha3']);

function kindOf(value: unknown): IstioConfigKind | undefined {
  const kind = stringAt(value, 'kind');
  return istioConfigStoreKinds.find((k) => k === kind);
}

/** A private, deeply frozen copy: consumers share one spec object and nobody can change it. */
function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}

function compareEntries(a: ConfigEntry<unknown>, b: ConfigEntry<unknown>): number {
  const ta = Date.parse(a.creationTimestamp);
  const tb = Date.parse(b.creationTimestamp);
  const byTime = (Number.isNaN(ta) ? 0 : ta) - (Number.isNaN(tb) ? 0 : tb);
  if (byTime !== 0) return byTime;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

export class IstioConfigStore {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly entries = new Map<IstioConfigKind, Map<string, ConfigEntry<unknown>>>();
  private readonly rejections = new Map<string, RejectedConfig>();
  private readonly counts = new Map<IstioConfigKind, number>();
  private readonly dirtyKinds = new Set<IstioConfigKind>();
  private readonly listeners = new Set<ConfigListener>();
  private version = 0;
  private last: IstioConfigSnapshot;
  private pending: { kinds: Set<IstioConfigKind>; keys: Set<string> } | undefined;

  constructor(options: IstioConfigStoreOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.log = options.log ?? createLogger('istio-config-store');
    for (const kind of istioConfigStoreKinds) this.entries.set(kind, new Map());
    this.last = Object.freeze({
      version: 0,
      destinationRules: [],
      virtualServices: [],
      gateways: [],
      serviceEntries: [],
      sidecars: [],
    });
  }

  /**
   * An added or updated resource read from `clusterId`. Returns what became of it; objects of other
   * kinds are ignored.
   */
  upsert(clusterId: string, object: unknown): 'accepted' | 'rejected' | 'unchanged' | 'ignored' {
    const kind = kindOf(object);
    if (kind === undefined) return 'ignored';
    const meta = recordAt(object, 'metadata');
    const name = stringAt(meta, 'name') ?? '';
    const namespace = stringAt(meta, 'namespace') ?? '';
    const resourceVersion = stringAt(meta, 'resourceVersion') ?? '';
    const key = `${kind}/${namespace}/${name}`;
    const issues = this.check(kind, object, name, namespace);
    const entries = this.entries.get(kind) as Map<string, ConfigEntry<unknown>>;
    if (issues.length > 0) {
      const previous = this.rejections.get(key);
      if (previous?.resourceVersion === resourceVersion && resourceVersion !== '') return 'unchanged';
      const rejected: RejectedConfig = Object.freeze({
        kind,
        namespace,
        name,
        clusterId,
        resourceVersion,
        issues: Object.freeze(issues),
        rejectedAtWallMs: this.clock.wallMs(),
      });
      this.rejections.set(key, rejected);
      this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
      const first = issues[0] as ConfigIssue;
      this.log.warn(
        {
          code: ErrorCode.istioConfigRejected,
          kind,
          namespace,
          name,
          clusterId,
          resourceVersion,
          field: first.field,
          reason: first.message,
          issues: issues.length,
        },
        'invalid Istio resource skipped',
      );
      const wasServed = entries.delete(key);
      this.record(kind, key, wasServed);
      return 'rejected';
    }
    const entry = this.toEntry(kind, clusterId, object, name, namespace, resourceVersion);
    const wasRejected = this.rejections.delete(key);
    const current = entries.get(key);
    if (!wasRejected && current !== undefined && JSON.stringify(current) === JSON.stringify(entry))
      return 'unchanged';
    entries.set(key, entry);
    this.record(kind, key, true);
    return 'accepted';
  }

  /** A deleted resource (the object as last seen, or just its kind and metadata). */
  delete(object: unknown): void {
    const kind = kindOf(object);
    if (kind === undefined) return;
    const meta = recordAt(object, 'metadata');
    const key = `${kind}/${stringAt(meta, 'namespace') ?? ''}/${stringAt(meta, 'name') ?? ''}`;
    const wasServed = (this.entries.get(kind) as Map<string, ConfigEntry<unknown>>).delete(key);
    const wasRejected = this.rejections.delete(key);
    if (wasServed || wasRejected) this.record(kind, key, wasServed);
  }

  /** The current immutable snapshot (the same object until something changes). */
  snapshot(): IstioConfigSnapshot {
    if (this.last.version === this.version) return this.last;
    const list = <Spec>(kind: IstioConfigKind, previous: readonly ConfigEntry<Spec>[]) =>
      this.dirtyKinds.has(kind)
        ? (Object.freeze(
            [...(this.entries.get(kind) as Map<string, ConfigEntry<unknown>>).values()].sort(compareEntries),
          ) as readonly ConfigEntry<Spec>[])
        : previous;
    const prev = this.last;
    this.last = Object.freeze({
      version: this.version,
      destinationRules: list('DestinationRule', prev.destinationRules),
      virtualServices: list('VirtualService', prev.virtualServices),
      gateways: list('Gateway', prev.gateways),
      serviceEntries: list('ServiceEntry', prev.serviceEntries),
      sidecars: list('Sidecar', prev.sidecars),
    });
    this.dirtyKinds.clear();
    return this.last;
  }

  /** Resources currently skipped as invalid, by kind, namespace and name. */
  rejected(): RejectedConfig[] {
    return [...this.rejections.values()].sort((a, b) =>
      `${a.kind}/${a.namespace}/${a.name}` < `${b.kind}/${b.namespace}/${b.name}` ? -1 : 1,
    );
  }

  /** Rejections counted since start, by kind (each rejected resourceVersion once). */
  rejectionCounts(): Readonly<Record<IstioConfigKind, number>> {
    const out = {} as Record<IstioConfigKind, number>;
    for (const kind of istioConfigStoreKinds) out[kind] = this.counts.get(kind) ?? 0;
    return out;
  }

  /** Called after each burst of changes (coalesced within one turn of microtasks). */
  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private check(kind: IstioConfigKind, object: unknown, name: string, namespace: string): ConfigIssue[] {
    if (!isRecord(object)) return [{ field: '', message: 'not an object' }];
    const issues: ConfigIssue[] = [];
    if (name === '') issues.push({ field: 'metadata.name', message: 'Required value' });
    if (namespace === '') issues.push({ field: 'metadata.namespace', message: 'Required value' });
    if (issues.length > 0) return issues;
    const apiVersion = stringAt(object, 'apiVersion') ?? '';
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    const result = validateIstioObject('networking.istio.io', groupVersions.has(version) ? version : 'v1', {
      ...object,
      kind,
      metadata: { ...recordAt(object, 'metadata'), name },
    });
    return result.errors.map((e) => ({ field: e.field, message: errorBody(e) }));
  }

  private toEntry(
    kind: IstioConfigKind,
    clusterId: string,
    object: unknown,
    name: string,
    namespace: string,
    resourceVersion: string,
  ): ConfigEntry<unknown> {
    const meta = recordAt(object, 'metadata');
    const spec = isRecord(object) ? object['spec'] : undefined;
    return Object.freeze({
      kind,
      name,
      namespace,
      clusterId,
      creationTimestamp: stringAt(meta, 'creationTimestamp') ?? '',
      resourceVersion,
      labels: Object.freeze(stringMapAt(meta, 'labels')),
      annotations: Object.freeze(stringMapAt(meta, 'annotations')),
      spec: frozenCopy(isRecord(spec) ? spec : {}),
    });
  }

  private record(kind: IstioConfigKind, key: string, isServedChange: boolean): void {
    if (isServedChange) {
      this.version++;
      this.dirtyKinds.add(kind);
    }
    if (this.pending === undefined) {
      this.pending = { kinds: new Set(), keys: new Set() };
      queueMicrotask(() => this.flush());
    }
    this.pending.kinds.add(kind);
    this.pending.keys.add(key);
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    const change: ConfigChange = { version: this.version, ...pending };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err }, 'config listener failed');
      }
    }
  }
}
