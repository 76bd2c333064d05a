import { abortError, isSwarmError, kvKeys, SwarmError } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Leadership } from "../types.js";
import { decodeFenced, encodeFenced } from "./fenced-record.js";
import { readElection } from "./state.js";

/** Default tries of one fenced write when a concurrent writer changes the record in between. */
export const DEFAULT_FENCED_WRITE_ATTEMPTS = 3;

const EMPTY = new Uint8Array(0);

/** A record read through a {@link FencedStore}: its payload and the token of the term that wrote it. */
export interface FencedEntry {
  key: string;
  /** The payload, without the fencing header. */
  value: Uint8Array;
  token: number;
  revision: number;
}

/** Options of the {@link FencedStore} calls that wait on the store. */
export interface FencedReadOptions {
  /** Rejects the call when it fires; a write cut short may still have landed (read before retrying). */
  signal?: AbortSignal;
}

/** Options of {@link FencedStore.write}. */
export interface FencedWriteOptions extends FencedReadOptions {
  /** The record disappears this long after the write, in ms; none when absent. */
  ttlMs?: number;
  /**
   * The revision the caller holds the record at, from its own last write or read (`0`: it knows
   * there is none). The first try then skips step 2's read and relies on the compare-and-set, which
   * fails if anyone wrote the record since (a newer term included), and the next try reads it as
   * usual. `mutate` then sees the entry with an empty `value`. @default read the record first
   */
  knownRevision?: number;
}

/** Options of the {@link FencedStore} constructor. */
export interface FencedStoreOptions {
  /** Tries of one write when the record changes under it (`E_CONFLICT` after the last). @default 3 */
  maxAttempts?: number;
}

/**
 * Store writes that a deposed leader cannot make. Every record carries the writer's fencing token in
 * a 12-byte header ({@link encodeFenced}); every write
 *
 * 1. checks `leadership.assertLeader()` (the local lease, which sees a pause);
 * 2. reads the record and refuses (`E_FENCED`) to overwrite one written under a newer term;
 * 3. reads `elections.{group}` and refuses (`E_FENCED`) unless its token is still ours, i.e. no newer
 *    term has begun in the store;
 * 4. writes with compare-and-set on the revision read in 2 (`update`, or `create` for a new record).
 *
 * **The window that remains.** A Store has no transaction over two keys, so a leader paused between
 * 3 and 4 for longer than its lease, while a new leader is elected, still lands its write on resuming
 * if nobody wrote that record since 2. Step 2 closes it for every record the new leader has already
 * written (its token is higher) and the compare-and-set for every record anyone touched since. A new
 * leader that must be sure can rewrite the records it takes over before it relies on them; readers
 * that must be sure check the record's token against a {@link TokenFence}.
 *
 * Deleting a record erases its token, so a stale create can follow a delete; prefer writing a
 * tombstone payload for records a deposed leader might still write.
 *
 * @example
 * ```ts
 * const fenced = new FencedStore(store, leadership);
 * await fenced.write(kvKeys.task(id), (cur) => encodeTask({ ...decodeTask(cur?.value), state: "assigned" }));
 * const rec = await fenced.get(kvKeys.task(id)); // { value, token, revision }
 * ```
 */
export class FencedStore {
  readonly store: Store;
  #leadership: Pick<Leadership, "group" | "assertLeader">;
  #electionKey: string;
  #maxAttempts: number;
  /** The election-key read in flight: concurrent writes share it (see `#checkTerm`). */
  #termRead: Promise<number | undefined> | undefined;

  constructor(
    store: Store,
    leadership: Pick<Leadership, "group" | "assertLeader">,
    opts: FencedStoreOptions = {},
  ) {
    const attempts = opts.maxAttempts ?? DEFAULT_FENCED_WRITE_ATTEMPTS;
    if (!Number.isSafeInteger(attempts) || attempts < 1) {
      throw new SwarmError("E_CONFIG", "maxAttempts must be a whole number ≥ 1", { field: "maxAttempts" });
    }
    this.store = store;
    this.#leadership = leadership;
    this.#electionKey = kvKeys.election(leadership.group);
    this.#maxAttempts = attempts;
  }

  /** The record at `key`; `E_DECODE` if it was not written through a FencedStore. */
  async get(key: string, opts: FencedReadOptions = {}): Promise<FencedEntry | undefined> {
    const e = await this.store.get(key, opts);
    if (!e) return undefined;
    const { token, payload } = decodeFenced(e.value);
    return { key, value: payload, token, revision: e.revision };
  }

  /**
   * Writes `mutate(current)` at `key` under this leader's token, with the checks above; returns the
   * new revision. `mutate` may run more than once (once per attempt) and must not have side effects.
   *
   * @throws SwarmError `E_FENCED` (context `{ group, key, token, current }`) when this candidate does
   * not lead, a newer term exists, or the record was written under a newer term; `E_CONFLICT` when
   * the record kept changing for `maxAttempts` tries; `E_DECODE` for a record without the header.
   */
  async write(
    key: string,
    mutate: (current: FencedEntry | undefined) => Uint8Array,
    opts: FencedWriteOptions = {},
  ): Promise<number> {
    const { signal } = opts;
    const write = opts.ttlMs === undefined ? { signal } : { ttlMs: opts.ttlMs, signal };
    for (let attempt = 1; ; attempt++) {
      const token = this.#leadership.assertLeader();
      const known = attempt === 1 ? opts.knownRevision : undefined;
      const current =
        known === undefined
          ? await this.#current(key, token, signal)
          : known > 0
            ? { key, value: EMPTY, token, revision: known }
            : undefined;
      const value = encodeFenced(token, mutate(current));
      await this.#checkTerm(key, token, signal);
      try {
        return current
          ? await this.store.update(key, value, current.revision, write)
          : await this.store.create(key, value, write);
      } catch (err) {
        if (!isSwarmError(err, "E_CONFLICT", "E_EXISTS") || attempt >= this.#maxAttempts) throw err;
      }
    }
  }

  /** Writes `value` at `key` whatever it held, with the same fencing as {@link FencedStore.write}. */
  put(key: string, value: Uint8Array, opts?: FencedWriteOptions): Promise<number> {
    return this.write(key, () => value, opts);
  }

  /** Deletes the record at `key` unless it was written under a newer term (same checks as a write). */
  async delete(key: string, opts: FencedReadOptions = {}): Promise<void> {
    const token = this.#leadership.assertLeader();
    const current = await this.#current(key, token, opts.signal);
    if (!current) return;
    await this.#checkTerm(key, token, opts.signal);
    await this.store.delete(key, { expectedRevision: current.revision, signal: opts.signal });
  }

  async #current(
    key: string,
    token: number,
    signal: AbortSignal | undefined,
  ): Promise<FencedEntry | undefined> {
    const current = await this.get(key, { signal });
    if (current && current.token > token) throw this.#fenced(key, token, current.token, "the record");
    return current;
  }

  /** Step 3, then step 1 again: the reads took time, and the lease is judged by the clock. */
  /**
   * Step 3. Writes that arrive while a read of the election key is in flight share it instead of
   * queueing one read each: that read completes after they were asked for and before any of them
   * writes, which is what the step needs, and a busy dispatcher saves a round trip per write.
   */
  async #checkTerm(key: string, token: number, signal: AbortSignal | undefined): Promise<void> {
    let read = this.#termRead;
    if (!read) {
      read = this.store
        .get(this.#electionKey)
        .then((e) => (e ? readElection(e.value, e.revision)?.token : undefined));
      this.#termRead = read;
      const clear = () => {
        if (this.#termRead === read) this.#termRead = undefined;
      };
      read.then(clear, clear);
    }
    if (signal?.aborted) throw abortError(signal);
    const current = await read;
    if (current !== token) throw this.#fenced(key, token, current, "the election");
    this.#leadership.assertLeader();
  }

  #fenced(key: string, token: number, current: number | undefined, where: string): SwarmError {
    const group = this.#leadership.group;
    return new SwarmError("E_FENCED", `token ${token} of ${group} is not the newest in ${where}`, {
      group,
      key,
      token,
      current,
    });
  }
}
