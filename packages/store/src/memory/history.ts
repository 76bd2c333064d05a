import type { Change } from "../types.js";

/** Default changes kept for `watch({ fromRevision })` replay. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

/**
 * The last `limit` changes, oldest overwritten first (overflow policy: drop-oldest), for replay.
 * Revisions go in increasing, so a lookup is a binary search.
 */
export class History {
  #ring: Array<Change | undefined>;
  #start = 0;
  #size = 0;

  constructor(limit: number) {
    this.#ring = new Array<Change | undefined>(limit);
  }

  push(change: Change): void {
    const cap = this.#ring.length;
    if (cap === 0) return;
    if (this.#size < cap) {
      this.#ring[(this.#start + this.#size) % cap] = change;
      this.#size++;
    } else {
      this.#ring[this.#start] = change;
      this.#start = (this.#start + 1) % cap;
    }
  }

  /** Held changes with `revision >= from`, oldest first. */
  *since(from: number): Generator<Change> {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).revision < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#size; i++) yield this.#at(i);
  }

  #at(i: number): Change {
    return this.#ring[(this.#start + i) % this.#ring.length]!;
  }
}
