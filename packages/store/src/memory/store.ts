import { type Clock, systemClock } from "@swarmlink/protocol";
import { conflictError, existsError } from "../errors.js";
import { ChangeFeed } from "../feed.js";
import {
  checkDelete,
  checkKey,
  checkPrefix,
  checkRevision,
  checkWatch,
  checkWrite,
  copyBytes,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_WATCH_QUEUE_LIMIT,
} from "../keys.js";
import { Lifecycle } from "../lifecycle.js";
import { intOption } from "../options.js";
import type {
  Change,
  DeleteOptions,
  Entry,
  ReadOptions,
  Store,
  StoreCapabilities,
  Watch,
  WatchOptions,
  WriteOptions,
} from "../types.js";
import { DEFAULT_HISTORY_LIMIT, History } from "./history.js";
import { Table } from "./table.js";

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

interface Watcher {
  prefix: string;
  /** The first revision it wants (a `fromRevision` not reached yet waits for it). */
  from: number;
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
  #maxValueBytes: number;
  #watchQueueLimit: number;
  #history: History;
  #table: Table;
  #watchers = new Set<Watcher>();
  #life = new Lifecycle();

  constructor(opts: MemoryStoreOptions = {}) {
    this.#maxValueBytes = intOption("maxValueBytes", opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 0);
    this.#watchQueueLimit = intOption("watchQueueLimit", opts.watchQueueLimit, DEFAULT_WATCH_QUEUE_LIMIT);
    this.#history = new History(intOption("historyLimit", opts.historyLimit, DEFAULT_HISTORY_LIMIT, 0));
    this.#table = new Table(opts.clock ?? systemClock, (c) => this.#emit(c));
    this.capabilities = Object.freeze({
      perKeyTtl: true,
      watchReplay: true,
      // Timers fire on the clock's own schedule; a real event loop may add a few ms.
      expiryLatencyMs: 20,
      distributed: false,
      maxValueBytes: this.#maxValueBytes,
    });
  }

  async get(key: string, opts?: ReadOptions): Promise<Entry | undefined> {
    this.#life.check(opts?.signal); // synchronous: a signal can only have fired before
    checkKey(key);
    const e = this.#table.get(key);
    return e && { ...e, value: copyBytes(e.value) };
  }

  async put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    this.#table.get(key); // a lapsed lease expires (and says so) before it is overwritten
    return this.#table.write(key, value, ttlMs);
  }

  async create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    const e = this.#table.get(key);
    if (e) throw existsError(key, e.revision);
    return this.#table.write(key, value, ttlMs);
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
    return this.#table.write(key, value, ttlMs);
  }

  async delete(key: string, opts?: DeleteOptions): Promise<void> {
    this.#life.check(opts?.signal); // synchronous: a signal can only have fired before
    const expected = checkDelete(key, opts);
    if (expected !== undefined) this.#expect(key, expected);
    if (this.#table.get(key)) this.#table.remove(key, "delete");
  }

  async keys(prefix = "", opts?: ReadOptions): Promise<string[]> {
    this.#life.check(opts?.signal); // synchronous: a signal can only have fired before
    return this.#table
      .entries(checkPrefix(prefix))
      .map((e) => e.key)
      .sort();
  }

  watch(prefix = "", opts: WatchOptions = {}): Watch {
    this.#life.check();
    const p = checkWatch(prefix, opts);
    const feed = new ChangeFeed({
      limit: this.#watchQueueLimit,
      signal: opts.signal,
      dispose: () => {
        this.#watchers.delete(watcher);
      },
    });
    const watcher: Watcher = { prefix: p, from: opts.fromRevision ?? 0, feed };
    // Everything here is synchronous, so nothing can slip between the catch-up and going live.
    if (opts.initial) {
      for (const e of this.#table.entries(p)) feed.push({ ...e, op: "put", value: copyBytes(e.value) });
    } else if (opts.fromRevision !== undefined) {
      for (const c of this.#history.since(opts.fromRevision)) if (c.key.startsWith(p)) feed.push(copy(c));
    }
    if (feed.active) this.#watchers.add(watcher);
    this.#life.track(feed);
    feed.ready();
    return feed;
  }

  close(err?: Error): Promise<void> {
    return this.#life.close(err, () => this.#table.clearTimers());
  }

  closed(): Promise<void | Error> {
    return this.#life.done;
  }

  #checkWrite(key: string, value: Uint8Array, opts: WriteOptions | undefined): number {
    this.#life.check(opts?.signal); // synchronous: a signal can only have fired before
    return checkWrite(key, value, opts, this.#maxValueBytes);
  }

  #expect(key: string, expectedRevision: number): void {
    const current = this.#table.get(key)?.revision ?? 0;
    if (current !== expectedRevision) throw conflictError(key, expectedRevision, current);
  }

  #emit(change: Change): void {
    this.#history.push(change);
    for (const w of this.#watchers) {
      if (change.key.startsWith(w.prefix) && change.revision >= w.from) w.feed.push(copy(change));
    }
  }
}

function copy(c: Change): Change {
  return c.value ? { ...c, value: copyBytes(c.value) } : { ...c };
}
