/**
 * Every proxy's resource set, with each distinct resource content hashed and encoded once.
 *
 * A resource is identified by its content hash; the encoded `Any` (and its framed response
 * entries) live in one shared table with a reference count of the proxy sets that hold it, so a
 * cluster every sidecar receives is encoded once, not once per proxy. The same JS object handed
 * in again (translation reuses unchanged resources) is recognised by identity without
 * re-serializing it. `set` costs O(size of that proxy's set) and touches no other proxy.
 *
 * A sealed map (`sealResourceMap`: translation's maps shared by many proxies) is final, so it is
 * resolved once into one `TypeResources` that every proxy given that map shares (refcounted), and
 * a proxy moving from sealed map A to sealed map B costs the names that differ between A and B,
 * computed once for every proxy making the same move (an endpoint change moves a thousand proxies
 * between a few shared assignment maps). Other maps get a `TypeResources` of their own, compared
 * name by name.
 *
 * Resources are treated as immutable once handed to the store.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { encodeAnyJson } from '../envoy/proto-json-codec.js';
import {
  isSealedResourceMap,
  xdsResourceName,
  type XdsResourceJson,
  type XdsResourceSet,
} from '../envoy/xds-resource.js';
import { hashContent, XorDigest, type ContentHash } from './content-digest.js';
import { deltaResourceEntry, encodeAnyMessage, sotwResourceEntry } from './discovery-wire.js';

/** One resource content version, shared by every proxy set that contains it. */
export class StoredResource {
  refs = 0;
  private deltaEntry: Buffer | undefined;

  constructor(
    readonly typeUrl: string,
    readonly name: string,
    readonly hash: ContentHash,
    readonly json: XdsResourceJson,
    /** The encoded `google.protobuf.Any` message. */
    readonly anyMessage: Uint8Array,
    /** The framed `DiscoveryResponse.resources` entry. */
    readonly sotwEntry: Buffer,
  ) {}

  /** The resource's version: its content hash. */
  get version(): string {
    return this.hash.hex;
  }

  /** The framed `DeltaDiscoveryResponse.resources` entry (built on first delta use). */
  deltaEntryBytes(): Buffer {
    this.deltaEntry ??= deltaResourceEntry(this.name, this.hash.hex, this.anyMessage);
    return this.deltaEntry;
  }
}

/** One type of one proxy's set (read only outside the store; shared between proxies when sealed). */
export class TypeResources {
  readonly byName = new Map<string, StoredResource>();
  /** XOR of every resource hash of this type: the type's version when all of it is served. */
  readonly digest = new XorDigest();
  /** Proxies holding this object (shared ones only). */
  users = 0;

  constructor(
    readonly typeUrl: string,
    /** The sealed map it was resolved from, when shared; its content is exactly `byName`. */
    readonly input: ResourceMap | undefined,
  ) {}
}

/** One proxy's set. The object is stable for a proxy key; its content changes on `set`. */
export class ProxyResources {
  readonly types = new Map<string, TypeResources>();
  /** False until the control plane has given a set; streams answer nothing before that. */
  isReady = false;
  /** Monotonic time of the last change. */
  changedAtMs = 0;

  constructor(readonly proxyKey: string) {}

  resources(typeUrl: string): TypeResources | undefined {
    return this.types.get(typeUrl);
  }

  get(typeUrl: string, name: string): StoredResource | undefined {
    return this.types.get(typeUrl)?.byName.get(name);
  }
}

/** Type URL -> names added, changed or removed by one `set`. */
export type ResourceChanges = ReadonlyMap<string, ReadonlySet<string>>;

const typeUrlPrefix = 'type.googleapis.com/';

type ResourceMap = ReadonlyMap<string, XdsResourceJson>;

export class ResourceStore {
  private readonly contents = new Map<string, StoredResource>();
  private readonly byObject = new WeakMap<object, StoredResource>();
  private readonly proxies = new Map<string, ProxyResources>();
  private readonly diffs = new WeakMap<ResourceMap, WeakMap<ResourceMap, readonly string[]>>();
  /** The shared contents of sealed maps some proxy holds, per type URL. */
  private readonly shared = new Map<string, WeakMap<ResourceMap, TypeResources>>();

  /** Number of distinct resource contents held (for tests and debug views). */
  get distinctContents(): number {
    return this.contents.size;
  }

  /** The set of a proxy (created empty and not ready if unknown). */
  proxy(proxyKey: string): ProxyResources {
    let proxy = this.proxies.get(proxyKey);
    if (proxy === undefined) {
      proxy = new ProxyResources(proxyKey);
      this.proxies.set(proxyKey, proxy);
    }
    return proxy;
  }

  /** The set of a proxy if one was created. */
  find(proxyKey: string): ProxyResources | undefined {
    return this.proxies.get(proxyKey);
  }

  /**
   * Replaces a proxy's whole set and returns what changed. Atomic: if any resource is
   * inconsistent or cannot be encoded, throws `SPILLWAY_ERR_XDS_RESOURCE_INVALID` and keeps the
   * previous set.
   */
  set(proxyKey: string, set: XdsResourceSet, nowMs: number): ResourceChanges {
    const proxy = this.proxy(proxyKey);
    // First resolve everything (this may throw), then apply.
    const next = new Map<string, TypeResources>();
    for (const [typeUrl, resources] of set) {
      if (typeof typeUrl !== 'string' || !typeUrl.startsWith(typeUrlPrefix))
        this.fail(proxyKey, `type URL "${String(typeUrl)}" does not start with ${typeUrlPrefix}`);
      const previous = proxy.types.get(typeUrl);
      if (isSealedResourceMap(resources)) {
        const known = this.shared.get(typeUrl)?.get(resources);
        next.set(typeUrl, known ?? this.build(proxyKey, typeUrl, resources, previous));
      } else {
        next.set(typeUrl, this.build(proxyKey, typeUrl, resources, previous, false));
      }
    }

    const changes = new Map<string, Set<string>>();
    const changed = (typeUrl: string, names: Iterable<string>): void => {
      let set = changes.get(typeUrl);
      for (const name of names) {
        if (set === undefined) changes.set(typeUrl, (set = new Set()));
        set.add(name);
      }
    };
    for (const [typeUrl, type] of next) {
      const old = proxy.types.get(typeUrl);
      if (old === type) continue;
      changed(typeUrl, this.changedNames(old, type));
      this.acquire(type);
      proxy.types.set(typeUrl, type);
      if (old !== undefined) this.drop(old);
    }
    for (const [typeUrl, old] of proxy.types) {
      if (next.has(typeUrl)) continue;
      changed(typeUrl, old.byName.keys());
      proxy.types.delete(typeUrl);
      this.drop(old);
    }
    proxy.isReady = true;
    if (changes.size > 0) proxy.changedAtMs = nowMs;
    return changes;
  }

  /**
   * Resolves a map into a new TypeResources (not yet holding references). A sealed map is
   * remembered as shared; `previous` lends its entries for objects it already resolved.
   */
  private build(
    proxyKey: string,
    typeUrl: string,
    resources: ResourceMap,
    previous: TypeResources | undefined,
    isShared = true,
  ): TypeResources {
    const type = new TypeResources(typeUrl, isShared ? resources : undefined);
    for (const [name, json] of resources) {
      const prior = previous?.byName.get(name);
      const resource =
        prior !== undefined && prior.json === json ? prior : this.resolve(proxyKey, typeUrl, name, json);
      type.byName.set(name, resource);
      type.digest.toggle(resource.hash);
    }
    if (isShared) {
      let byMap = this.shared.get(typeUrl);
      if (byMap === undefined) this.shared.set(typeUrl, (byMap = new WeakMap()));
      byMap.set(resources, type);
    }
    return type;
  }

  /** Names whose resource differs between what a proxy held and what it now holds. */
  private changedNames(old: TypeResources | undefined, next: TypeResources): Iterable<string> {
    if (old === undefined) return next.byName.keys();
    const out: string[] = [];
    if (old.input !== undefined && next.input !== undefined) {
      // Only the names whose object differs; equal content in a new object is the same entry.
      for (const name of this.diff(old.input, next.input))
        if (old.byName.get(name) !== next.byName.get(name)) out.push(name);
      return out;
    }
    for (const [name, resource] of next.byName) if (old.byName.get(name) !== resource) out.push(name);
    for (const name of old.byName.keys()) if (!next.byName.has(name)) out.push(name);
    return out;
  }

  /** A proxy starts holding `type`: its resources are referenced once per TypeResources. */
  private acquire(type: TypeResources): void {
    if (type.input !== undefined && type.users++ > 0) return;
    for (const resource of type.byName.values()) {
      resource.refs++;
      this.contents.set(resource.hash.hex, resource);
    }
  }

  private drop(type: TypeResources): void {
    if (type.input !== undefined) {
      if (--type.users > 0) return;
      // Nobody holds it: forget it (a later set with the same map resolves it again, from cache).
      const byMap = this.shared.get(type.typeUrl);
      if (byMap?.get(type.input) === type) byMap.delete(type.input);
    }
    for (const resource of type.byName.values()) this.release(resource);
  }

  /** Names whose resource differs between two sealed maps (added, changed or removed), remembered. */
  private diff(from: ResourceMap, to: ResourceMap): readonly string[] {
    let byTarget = this.diffs.get(from);
    if (byTarget === undefined) {
      byTarget = new WeakMap();
      this.diffs.set(from, byTarget);
    }
    let names = byTarget.get(to);
    if (names === undefined) {
      const out: string[] = [];
      for (const [name, json] of to) if (from.get(name) !== json) out.push(name);
      for (const name of from.keys()) if (!to.has(name)) out.push(name);
      names = out;
      byTarget.set(to, names);
    }
    return names;
  }

  /** Forgets a proxy's set (the object stays valid but empty and not ready). */
  delete(proxyKey: string): void {
    const proxy = this.proxies.get(proxyKey);
    if (proxy === undefined) return;
    for (const type of proxy.types.values()) this.drop(type);
    proxy.types.clear();
    proxy.isReady = false;
    this.proxies.delete(proxyKey);
  }

  private release(resource: StoredResource): void {
    resource.refs--;
    if (resource.refs <= 0 && this.contents.get(resource.hash.hex) === resource)
      this.contents.delete(resource.hash.hex);
  }

  private resolve(proxyKey: string, typeUrl: string, name: string, json: XdsResourceJson): StoredResource {
    const known = this.byObject.get(json);
    if (known !== undefined && known.typeUrl === typeUrl && known.name === name) return known;
    if (typeof json !== 'object' || json === null)
      this.fail(proxyKey, `${typeUrl} "${name}" is not an object`);
    if (json['@type'] !== typeUrl)
      this.fail(proxyKey, `${typeUrl} "${name}" has "@type" ${JSON.stringify(json['@type'])}`);
    if (name === '' || xdsResourceName(json) !== name)
      this.fail(proxyKey, `${typeUrl} filed as "${name}" is named ${JSON.stringify(xdsResourceName(json))}`);
    const text = JSON.stringify(json);
    const hash = hashContent(text);
    let resource = this.contents.get(hash.hex);
    if (resource === undefined || resource.typeUrl !== typeUrl || resource.name !== name) {
      let anyMessage: Uint8Array;
      try {
        anyMessage = encodeAnyMessage(encodeAnyJson(json as Record<string, unknown>));
      } catch (err) {
        this.fail(
          proxyKey,
          `${typeUrl} "${name}" cannot be encoded: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      resource = new StoredResource(typeUrl, name, hash, json, anyMessage, sotwResourceEntry(anyMessage));
    }
    this.byObject.set(json, resource);
    return resource;
  }

  private fail(proxyKey: string, problem: string): never {
    throw new SpillwayError(ErrorCode.xdsResourceInvalid, `resource set for proxy ${proxyKey}: ${problem}`);
  }
}
