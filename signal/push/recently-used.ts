/**
 * A map of at most `capacity` entries that forgets the least recently used one first. For state kept per
 * thing a client names (an endpoint, a push service's origin, an address): clients can name new ones
 * without end, and the memory must not follow them.
 */
export class RecentlyUsed<K, V> {
  /** In order of use: a Map iterates in insertion order, and each use moves its entry to the end. */
  readonly #entries = new Map<K, V>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, now the most recently used; undefined when there is none. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }

  /** The value for `key`, made by `make` when there is none. */
  use(key: K, make: () => V): V {
    if (this.#entries.has(key)) return this.get(key)!;
    const value = make();
    this.set(key, value);
    return value;
  }
}
