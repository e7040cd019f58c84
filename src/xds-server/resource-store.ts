/**
 * Every proxy's resource set, with each distinct resource content hashed and encoded once.
 *
 * A resource is identified by its content hash; the encoded `Any` (and its framed response
 * entries) live in one shared table with a reference count of the proxy sets that hold it, so a
 * cluster every sidecar receives is encoded once, not once per proxy. The same JS object handed
 * in again (translation reuses unchanged resources) is recognised by identity without
 * re-serializing it. `set` costs O(size of that proxy's set) and touches no other proxy.
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

/** One type of one proxy's set. */
export class TypeResources {
  readonly byName = new Map<string, StoredResource>();
  /** The sealed map this type was last set from (its content is exactly `byName`), if it was sealed. */
  input: ResourceMap | undefined;
  /** XOR of every resource hash of this type: the type's version when all of it is served. */
  readonly digest = new XorDigest();
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

/** What one `set` does to one type: new resources by name (undefined: removed). */
interface TypePlan {
  readonly input: ResourceMap | undefined;
  readonly updates: ReadonlyMap<string, StoredResource | undefined>;
  /** `updates` names every resource of the type (anything else it held is removed). */
  readonly isFull: boolean;
}

export class ResourceStore {
  private readonly contents = new Map<string, StoredResource>();
  private readonly byObject = new WeakMap<object, StoredResource>();
  private readonly proxies = new Map<string, ProxyResources>();
  private readonly diffs = new WeakMap<ResourceMap, WeakMap<ResourceMap, readonly string[]>>();

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
   *
   * A sealed map (`sealResourceMap`) is final, so a proxy given the same sealed map as last time
   * has nothing to compare for that type, and a proxy moving from sealed map A to sealed map B
   * only looks at the names whose resource differs between A and B - computed once for all the
   * proxies making the same move (an endpoint change moves a thousand proxies between a few
   * shared assignment maps). Other maps are compared name by name.
   */
  set(proxyKey: string, set: XdsResourceSet, nowMs: number): ResourceChanges {
    const proxy = this.proxy(proxyKey);
    // First resolve everything (this may throw), then apply.
    const plans = new Map<string, TypePlan>();
    for (const [typeUrl, resources] of set) {
      if (typeof typeUrl !== 'string' || !typeUrl.startsWith(typeUrlPrefix))
        this.fail(proxyKey, `type URL "${String(typeUrl)}" does not start with ${typeUrlPrefix}`);
      const previous = proxy.types.get(typeUrl);
      const isSealed = isSealedResourceMap(resources);
      const served = previous?.input;
      if (isSealed && served !== undefined && served === resources) {
        plans.set(typeUrl, { input: resources, updates: new Map(), isFull: false });
        continue;
      }
      const names =
        isSealed && served !== undefined && previous !== undefined ? this.diff(served, resources) : undefined;
      const updates = new Map<string, StoredResource | undefined>();
      const resolveName = (name: string): void => {
        if (!resources.has(name)) {
          updates.set(name, undefined);
          return;
        }
        const json = resources.get(name) as XdsResourceJson;
        const prior = previous?.byName.get(name);
        updates.set(
          name,
          prior !== undefined && prior.json === json ? prior : this.resolve(proxyKey, typeUrl, name, json),
        );
      };
      if (names !== undefined) for (const name of names) resolveName(name);
      else for (const name of resources.keys()) resolveName(name);
      plans.set(typeUrl, { input: isSealed ? resources : undefined, updates, isFull: names === undefined });
    }

    const changes = new Map<string, Set<string>>();
    const changed = (typeUrl: string, name: string): void => {
      let names = changes.get(typeUrl);
      if (names === undefined) {
        names = new Set();
        changes.set(typeUrl, names);
      }
      names.add(name);
    };
    for (const [typeUrl, plan] of plans) {
      let type = proxy.types.get(typeUrl);
      if (type === undefined) {
        type = new TypeResources();
        proxy.types.set(typeUrl, type);
      }
      type.input = plan.input;
      for (const [name, resource] of plan.updates) {
        const old = type.byName.get(name);
        if (old === resource) continue;
        if (old !== undefined) {
          type.digest.toggle(old.hash);
          this.release(old);
        }
        if (resource === undefined) type.byName.delete(name);
        else {
          resource.refs++;
          this.contents.set(resource.hash.hex, resource);
          type.digest.toggle(resource.hash);
          type.byName.set(name, resource);
        }
        changed(typeUrl, name);
      }
      if (!plan.isFull) continue;
      // A full plan names every resource the type keeps: the others are gone.
      for (const [name, old] of type.byName) {
        if (plan.updates.has(name)) continue;
        type.byName.delete(name);
        type.digest.toggle(old.hash);
        this.release(old);
        changed(typeUrl, name);
      }
    }
    for (const [typeUrl, type] of proxy.types) {
      if (plans.has(typeUrl)) continue;
      for (const [name, old] of type.byName) {
        this.release(old);
        changed(typeUrl, name);
      }
      proxy.types.delete(typeUrl);
    }
    proxy.isReady = true;
    if (changes.size > 0) proxy.changedAtMs = nowMs;
    return changes;
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
    for (const type of proxy.types.values()) for (const old of type.byName.values()) this.release(old);
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
