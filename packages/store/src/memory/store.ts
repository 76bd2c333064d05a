import { type Clock, SwarmError, systemClock, type TimerHandle } from "@swarmlink/protocol";
import { ChangeFeed } from "../feed.js";
import {
  checkKey,
  checkPrefix,
  checkRevision,
  checkTtl,
  checkValue,
  checkWatch,
  copyBytes,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_WATCH_QUEUE_LIMIT,
} from "../keys.js";
import { intOption } from "../options.js";
import type {
  Change,
  DeleteOptions,
  Entry,
  Store,
  StoreCapabilities,
  Watch,
  WatchOptions,
  WriteOptions,
} from "../types.js";
import { DEFAULT_HISTORY_LIMIT, History } from "./history.js";

export interface MemoryStoreOptions {
  /** Drives TTLs; pass a `SimulatedClock` to test leases without sleeping. @default systemClock */
  clock?: Clock;
  /** Changes kept for `watch({ fromRevision })` replay; 0 keeps none. @default 10_000 */
  historyLimit?: number;
  /** Largest value accepted, in bytes. @default 1 MiB */
  maxValueBytes?: number;
  /** Most changes a watch holds unread before it fails with `E_OVERFLOW`. @default 10_000 */
  watchQueueLimit?: number;
}

interface Slot {
  value: Uint8Array;
  revision: number;
  deadlineMs: number | undefined;
  timer: TimerHandle | undefined;
}

interface Watcher {
  prefix: string;
  feed: ChangeFeed;
}

/**
 * The reference Store: one process, no server. TTLs run on the injected Clock and fire `expire`
 * changes; the last `historyLimit` changes are kept for replay.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const rev = await store.create("leader", bytes("node-1"), { ttlMs: 5000 });
 * await store.update("leader", bytes("node-1"), rev, { ttlMs: 5000 }); // renew the lease
 * ```
 */
export class MemoryStore implements Store {
  readonly name = "memory";
  readonly capabilities: StoreCapabilities;
  #clock: Clock;
  #maxValueBytes: number;
  #watchQueueLimit: number;
  #history: History;
  #slots = new Map<string, Slot>();
  #watchers = new Set<Watcher>();
  #revision = 0;
  #closed: { err: Error | undefined } | undefined;
  #onClosed!: (v: void | Error) => void;
  #closedPromise = new Promise<void | Error>((resolve) => {
    this.#onClosed = resolve;
  });

  constructor(opts: MemoryStoreOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#maxValueBytes = intOption("maxValueBytes", opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 0);
    this.#watchQueueLimit = intOption("watchQueueLimit", opts.watchQueueLimit, DEFAULT_WATCH_QUEUE_LIMIT);
    this.#history = new History(intOption("historyLimit", opts.historyLimit, DEFAULT_HISTORY_LIMIT, 0));
    this.capabilities = Object.freeze({
      perKeyTtl: true,
      watchReplay: true,
      // Timers fire on the clock's own schedule; a real event loop may add a few ms.
      expiryLatencyMs: 20,
      distributed: false,
      maxValueBytes: this.#maxValueBytes,
    });
  }

  async get(key: string): Promise<Entry | undefined> {
    this.#open();
    checkKey(key);
    const slot = this.#live(key);
    return slot && { key, value: copyBytes(slot.value), revision: slot.revision };
  }

  async put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    return this.#write(key, value, ttlMs);
  }

  async create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    const slot = this.#live(key);
    if (slot) throw new SwarmError("E_EXISTS", "key exists", { key, revision: slot.revision });
    return this.#write(key, value, ttlMs);
  }

  async update(
    key: string,
    value: Uint8Array,
    expectedRevision: number,
    opts?: WriteOptions,
  ): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    checkRevision(expectedRevision);
    this.#expect(key, expectedRevision);
    return this.#write(key, value, ttlMs);
  }

  async delete(key: string, opts?: DeleteOptions): Promise<void> {
    this.#open();
    checkKey(key);
    const expected = opts?.expectedRevision;
    if (expected !== undefined) {
      checkRevision(expected);
      this.#expect(key, expected);
    }
    if (this.#live(key)) this.#remove(key, "delete");
  }

  async keys(prefix = ""): Promise<string[]> {
    this.#open();
    const p = checkPrefix(prefix);
    const out: string[] = [];
    for (const key of [...this.#slots.keys()]) {
      if (key.startsWith(p) && this.#live(key)) out.push(key);
    }
    return out.sort();
  }

  watch(prefix = "", opts: WatchOptions = {}): Watch {
    this.#open();
    const p = checkWatch(prefix, opts);
    const watcher: Watcher = {
      prefix: p,
      feed: new ChangeFeed({
        limit: this.#watchQueueLimit,
        signal: opts.signal,
        dispose: () => {
          this.#watchers.delete(watcher);
        },
      }),
    };
    const { feed } = watcher;
    if (opts.initial) {
      const entries = [...this.#slots.keys()].flatMap((key) => {
        const slot = key.startsWith(p) ? this.#live(key) : undefined;
        return slot
          ? [{ key, op: "put" as const, value: copyBytes(slot.value), revision: slot.revision }]
          : [];
      });
      for (const c of entries.sort((a, b) => a.revision - b.revision)) feed.push(c);
    } else if (opts.fromRevision !== undefined) {
      for (const c of this.#history.since(opts.fromRevision)) if (c.key.startsWith(p)) feed.push(copy(c));
    }
    if (feed.active) this.#watchers.add(watcher);
    feed.ready();
    return feed;
  }

  async close(err?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = { err };
    for (const slot of this.#slots.values())
      if (slot.timer !== undefined) this.#clock.clearTimeout(slot.timer);
    for (const w of this.#watchers)
      w.feed.fail(new SwarmError("E_CLOSED", "the store closed", {}, { cause: err }));
    this.#watchers.clear();
    this.#onClosed(err);
  }

  closed(): Promise<void | Error> {
    return this.#closedPromise;
  }

  #open(): void {
    if (this.#closed)
      throw new SwarmError("E_CLOSED", "the store is closed", {}, { cause: this.#closed.err });
  }

  #checkWrite(key: string, value: Uint8Array, opts: WriteOptions | undefined): number {
    this.#open();
    checkKey(key);
    checkValue(value, this.#maxValueBytes);
    return checkTtl(opts);
  }

  #expect(key: string, expectedRevision: number): void {
    const current = this.#live(key)?.revision ?? 0;
    if (current !== expectedRevision) {
      throw new SwarmError("E_CONFLICT", "key is at another revision", { key, expectedRevision, current });
    }
  }

  /** The key's slot unless absent or past its deadline (which expires it now, before any write). */
  #live(key: string): Slot | undefined {
    const slot = this.#slots.get(key);
    if (slot?.deadlineMs !== undefined && slot.deadlineMs <= this.#clock.now()) {
      this.#remove(key, "expire");
      return undefined;
    }
    return slot;
  }

  #write(key: string, value: Uint8Array, ttlMs: number): number {
    const old = this.#slots.get(key);
    if (old?.timer !== undefined) this.#clock.clearTimeout(old.timer);
    const revision = ++this.#revision;
    const slot: Slot = { value: copyBytes(value), revision, deadlineMs: undefined, timer: undefined };
    if (ttlMs > 0) {
      slot.deadlineMs = this.#clock.now() + ttlMs;
      this.#arm(key, slot, ttlMs);
    }
    this.#slots.set(key, slot);
    this.#emit({ key, op: "put", value: slot.value, revision });
    return revision;
  }

  /** Expires `slot` at its deadline; a timer that fires early (real clocks may) tries again. */
  #arm(key: string, slot: Slot, ms: number): void {
    slot.timer = this.#clock.setTimeout(() => {
      slot.timer = undefined;
      if (this.#slots.get(key) !== slot || this.#closed) return;
      const left = (slot.deadlineMs ?? 0) - this.#clock.now();
      if (left > 0) this.#arm(key, slot, left);
      else this.#live(key);
    }, ms);
  }

  #remove(key: string, op: "delete" | "expire"): void {
    const slot = this.#slots.get(key);
    if (slot?.timer !== undefined) this.#clock.clearTimeout(slot.timer);
    this.#slots.delete(key);
    this.#emit({ key, op, revision: ++this.#revision });
  }

  #emit(change: Change): void {
    this.#history.push(change);
    for (const w of this.#watchers) if (change.key.startsWith(w.prefix)) w.feed.push(copy(change));
  }
}

function copy(c: Change): Change {
  return c.value ? { ...c, value: copyBytes(c.value) } : { ...c };
}
