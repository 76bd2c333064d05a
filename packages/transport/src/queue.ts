import { abortError, SwarmError } from "@swarmlink/protocol";

/**
 * What a full buffer does with one more item:
 * - `block`: the producer's `push()` waits for room (back-pressure reaches the producer);
 * - `drop-oldest`: the oldest item goes, the new one is kept;
 * - `drop-newest`: the new item is refused;
 * - `conflate`: the newest value per key wins; a new key in a full buffer drops the oldest key;
 * - `error`: the new item is refused with `E_OVERFLOW`.
 */
export type OverflowPolicy = "block" | "drop-oldest" | "drop-newest" | "conflate" | "error";

export interface BoundedQueueOptions<T> {
  /** Most items held at once (for `conflate`: most distinct keys). */
  capacity: number;
  policy: OverflowPolicy;
  /** The conflation key; required with `conflate`. */
  key?: (item: T) => string;
}

export interface QueueStats {
  size: number;
  capacity: number;
  /** Items lost to the policy: dropped, refused, or overwritten by conflation. */
  dropped: number;
  /** The most items ever held at once. */
  highWater: number;
  /** Producers currently waiting for room (`block` only). */
  blocked: number;
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

/**
 * A bounded FIFO whose overflow behaviour is chosen where it is built. Producers `push` (which may
 * wait, under `block`) or `offer` (which never waits); consumers `take` or iterate.
 *
 * @example
 * ```ts
 * const poses = new BoundedQueue<Pose>({ capacity: 64, policy: "conflate", key: (p) => p.agentId });
 * poses.offer(pose); // a slow link keeps only the newest pose per agent
 * for await (const p of poses) send(p);
 * ```
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  #items: T[] = [];
  #head = 0;
  #byKey: Map<string, T> | undefined;
  #keyOf: ((item: T) => string) | undefined;
  #takers: Waiter<T>[] = [];
  #producers: Array<{ item: T; resolve(): void; reject(e: unknown): void }> = [];
  #dropped = 0;
  #highWater = 0;
  #closed: SwarmError | undefined;

  constructor(opts: BoundedQueueOptions<T>) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new SwarmError("E_CONFIG", "capacity must be a whole number ≥ 1", { capacity: opts.capacity });
    }
    if (opts.policy === "conflate" && !opts.key) {
      throw new SwarmError("E_CONFIG", "the conflate policy needs a key function", { field: "key" });
    }
    this.capacity = opts.capacity;
    this.policy = opts.policy;
    if (opts.policy === "conflate") {
      this.#byKey = new Map();
      this.#keyOf = opts.key;
    }
  }

  get size(): number {
    return this.#byKey ? this.#byKey.size : this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  stats(): QueueStats {
    return {
      size: this.size,
      capacity: this.capacity,
      dropped: this.#dropped,
      highWater: this.#highWater,
      blocked: this.#producers.length,
    };
  }

  /**
   * Adds without waiting. Returns false when the item was refused (`drop-newest`, or `block` when
   * full); throws E_OVERFLOW under `error`, E_CLOSED once closed.
   */
  offer(item: T): boolean {
    if (this.#closed) throw this.#closed;
    if (this.#handOver(item)) return true;
    if (this.size < this.capacity || this.#byKey?.has(this.#keyOf!(item))) {
      this.#store(item);
      return true;
    }
    switch (this.policy) {
      case "drop-oldest":
      case "conflate":
        this.#removeOldest();
        this.#dropped++;
        this.#store(item);
        return true;
      case "error":
        this.#dropped++;
        throw new SwarmError("E_OVERFLOW", "queue is full", { capacity: this.capacity });
      default:
        this.#dropped++;
        return false;
    }
  }

  /** Adds the item; under `block` waits until there is room. Rejects with E_CLOSED once closed. */
  push(item: T, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.policy !== "block" || this.size < this.capacity || this.#takers.length > 0) {
      try {
        this.offer(item);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.#closed) return Promise.reject(this.#closed);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<void>((resolve, reject) => {
      const entry = {
        item,
        resolve: () => dispose(resolve),
        reject: (e: unknown) => dispose(() => reject(e)),
      };
      const onAbort = () => {
        const i = this.#producers.indexOf(entry);
        if (i >= 0) this.#producers.splice(i, 1);
        entry.reject(abortError(signal!));
      };
      const dispose = (settle: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#producers.push(entry);
    });
  }

  /** The next item without waiting, or undefined. */
  poll(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#removeOldest();
    this.#admitProducer();
    return item;
  }

  /** The next item; waits for one. Rejects with the close reason once closed and empty. */
  take(opts: { signal?: AbortSignal } = {}): Promise<T> {
    if (this.size > 0) return Promise.resolve(this.poll() as T);
    if (this.#closed) return Promise.reject(this.#closed);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (v) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.#takers.indexOf(waiter);
        if (i >= 0) this.#takers.splice(i, 1);
        reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#takers.push(waiter);
    });
  }

  /** Refuses new items; waiting takers and producers are released with `reason` (default E_CLOSED). */
  close(reason?: SwarmError): void {
    if (this.#closed) return;
    this.#closed = reason ?? new SwarmError("E_CLOSED", "queue closed");
    for (const t of this.#takers.splice(0)) t.reject(this.#closed);
    for (const p of this.#producers.splice(0)) p.reject(this.#closed);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.size === 0 && this.#closed) return;
      try {
        yield await this.take();
      } catch (err) {
        if (this.#closed && err === this.#closed && this.#closed.code === "E_CLOSED") return;
        throw err;
      }
    }
  }

  #handOver(item: T): boolean {
    const taker = this.#takers.shift();
    if (!taker) return false;
    taker.resolve(item);
    return true;
  }

  #store(item: T): void {
    if (this.#byKey) {
      const key = this.#keyOf!(item);
      if (this.#byKey.has(key)) this.#dropped++;
      this.#byKey.set(key, item);
    } else {
      this.#items.push(item);
    }
    if (this.size > this.#highWater) this.#highWater = this.size;
  }

  #removeOldest(): T | undefined {
    if (this.#byKey) {
      const first = this.#byKey.entries().next();
      if (first.done) return undefined;
      this.#byKey.delete(first.value[0]);
      return first.value[1];
    }
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined as T;
    this.#head++;
    // Compact once the dead prefix dominates, so a long-lived queue does not hold a growing array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  #admitProducer(): void {
    while (this.#producers.length > 0 && this.size < this.capacity) {
      const p = this.#producers.shift()!;
      this.#store(p.item);
      p.resolve();
    }
  }
}
