/**
 * What a client subscribed to for one type on one stream, with the xDS protocol's wildcard rules
 * ("How the client specifies what resources to return"):
 * - only Listener and Cluster have a wildcard ("*"): the server decides the set (here: every
 *   resource of that type in the proxy's set);
 * - a request that never named any resource is a legacy wildcard; once the client has named one
 *   (even "*"), an empty list means "nothing";
 * - "*" and explicit names can coexist (wildcard plus a few more names).
 * Istio `pkg/xds/server.go` `IsWildcardTypeURL` restricts the wildcard the same way for these types.
 */
import { isFullStateType } from '../envoy/xds-resource.js';

export const wildcardName = '*';

export interface SubscriptionChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly wildcardChanged: boolean;
}

const unchanged: SubscriptionChange = Object.freeze({ added: [], removed: [], wildcardChanged: false });

/**
 * The name set of a SotW request's list, shared by every subscription that sent that very array
 * (the ADS request scan hands the same array to every stream sending the same bytes): a thousand
 * sidecars subscribing to the same thousand clusters hold one set, not a thousand.
 */
const sharedNameSets = new WeakMap<readonly string[], ReadonlySet<string>>();

export class TypeSubscription {
  readonly allowsWildcard: boolean;
  isWildcard = false;
  /** Never changed in place while shared (`isShared`): copied first. */
  private current: Set<string> = new Set();
  private isShared = false;
  private hasNamedAny = false;
  private lastList: readonly string[] | undefined;

  constructor(readonly typeUrl: string) {
    this.allowsWildcard = isFullStateType(typeUrl);
  }

  /** The names subscribed to (besides a wildcard). */
  get names(): ReadonlySet<string> {
    return this.current;
  }

  /** Adds one name (incremental subscriptions). */
  add(name: string): void {
    this.own().add(name);
  }

  private own(): Set<string> {
    if (this.isShared) {
      this.current = new Set(this.current);
      this.isShared = false;
    }
    return this.current;
  }

  /** True if the client wants this resource. */
  includes(name: string): boolean {
    return this.isWildcard || this.current.has(name);
  }

  /** State of the world: the request's `resource_names` replace the subscription. */
  replace(resourceNames: readonly string[]): SubscriptionChange {
    if (this.isSameList(resourceNames)) return unchanged;
    this.lastList = resourceNames;
    const wasWildcard = this.isWildcard;
    // A list without "*" for a type without wildcard: its set can be shared with other streams.
    const shared = this.allowsWildcard ? undefined : sharedNameSets.get(resourceNames);
    let next = new Set<string>();
    let wildcard = false;
    if (shared !== undefined) {
      next = shared as Set<string>;
    } else if (this.allowsWildcard) {
      if (resourceNames.length === 0) {
        wildcard = !this.hasNamedAny;
      } else {
        this.hasNamedAny = true;
        for (const name of resourceNames) {
          if (name === wildcardName) wildcard = true;
          else next.add(name);
        }
      }
    } else {
      for (const name of resourceNames) next.add(name);
      sharedNameSets.set(resourceNames, next);
    }
    const added = [...next].filter((n) => !this.current.has(n));
    const removed = [...this.current].filter((n) => !next.has(n));
    this.current = next;
    this.isShared = !this.allowsWildcard;
    this.isWildcard = wildcard;
    return { added, removed, wildcardChanged: wasWildcard !== wildcard };
  }

  /**
   * Incremental: apply `resource_names_subscribe` / `_unsubscribe`. `isFirst` marks the first
   * request of the type on the stream, where an empty subscribe list means a legacy wildcard.
   */
  update(subscribe: readonly string[], unsubscribe: readonly string[], isFirst: boolean): SubscriptionChange {
    const wasWildcard = this.isWildcard;
    const added: string[] = [];
    const removed: string[] = [];
    if (isFirst && subscribe.length === 0 && unsubscribe.length === 0 && this.allowsWildcard)
      this.isWildcard = true;
    for (const name of subscribe) {
      if (name === wildcardName && this.allowsWildcard) {
        this.isWildcard = true;
        continue;
      }
      if (!this.current.has(name)) {
        this.own().add(name);
        added.push(name);
      } else {
        // The client may have forgotten it: re-subscribing must be answered (protocol doc,
        // "Subscribing to Resources").
        added.push(name);
      }
    }
    for (const name of unsubscribe) {
      if (name === wildcardName) {
        this.isWildcard = false;
        continue;
      }
      if (this.current.has(name)) {
        this.own().delete(name);
        removed.push(name);
      }
    }
    return { added, removed, wildcardChanged: wasWildcard !== this.isWildcard };
  }

  /** Every ACK repeats the list as it was: recognise that without allocating. */
  private isSameList(resourceNames: readonly string[]): boolean {
    const last = this.lastList;
    if (last === resourceNames) return true;
    if (last === undefined || last.length !== resourceNames.length) return false;
    for (let i = 0; i < last.length; i++) if (last[i] !== resourceNames[i]) return false;
    return true;
  }

  describe(): { readonly wildcard: boolean; readonly names: readonly string[] } {
    return { wildcard: this.isWildcard, names: [...this.names] };
  }
}
