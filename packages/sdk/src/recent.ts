/**
 * A bounded map of recently seen keys (command ids, task attempts) to what was answered; past
 * `capacity` the oldest key is forgotten (overflow policy: drop-oldest), so memory stays bounded
 * however long the agent runs.
 */
export class RecentMap<V> {
  readonly capacity: number;
  #map = new Map<string, V>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }
}
