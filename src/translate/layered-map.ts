/**
 * A read-only map made of a shared base and a small per-proxy overlay, so that a thousand proxies of
 * one namespace can share the same outbound clusters without copying them (`Translator`). Keys of
 * the overlay shadow the base.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private readonly base: ReadonlyMap<K, V>;
  private readonly overlay: ReadonlyMap<K, V>;

  constructor(base: ReadonlyMap<K, V>, overlay: ReadonlyMap<K, V>) {
    this.base = base;
    this.overlay = overlay;
  }

  /** The base itself when there is nothing to add. */
  static of<K, V>(base: ReadonlyMap<K, V>, overlay: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
    return overlay.size === 0 ? base : new LayeredMap(base, overlay);
  }

  get size(): number {
    let n = this.overlay.size;
    for (const k of this.base.keys()) if (!this.overlay.has(k)) n++;
    return n;
  }

  get(key: K): V | undefined {
    return this.overlay.has(key) ? this.overlay.get(key) : this.base.get(key);
  }

  has(key: K): boolean {
    return this.overlay.has(key) || this.base.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    for (const entry of this.base) if (!this.overlay.has(entry[0])) yield entry;
    yield* this.overlay;
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) callback(v, k, this);
  }
}
