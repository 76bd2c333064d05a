/** What a Store can and cannot promise; conformance tests read this, never guess. */
export interface StoreCapabilities {
  /** Each key may carry its own TTL (a lease). */
  readonly perKeyTtl: boolean;
  /**
   * `watch({ fromRevision })` replays history the store still holds. History is bounded (a ring, a
   * trimmed stream, per-key history); changes older than what is held are not replayed.
   */
  readonly watchReplay: boolean;
  /** Most time between a key's TTL running out and watchers seeing its `expire`, in ms. */
  readonly expiryLatencyMs: number;
  /** Several processes can share this Store (false for memory). */
  readonly distributed: boolean;
  /** Largest value accepted, in bytes; a larger one is refused with `E_TOO_LARGE`. */
  readonly maxValueBytes: number;
}

export interface Entry {
  key: string;
  value: Uint8Array;
  /** Grows with every change in the store; one sequence for all keys. */
  revision: number;
}

/** `expire` is a key whose TTL ran out; it has a revision of its own, like `delete`. */
export type ChangeOp = "put" | "delete" | "expire";

export interface Change {
  key: string;
  op: ChangeOp;
  /** Present for `put`. */
  value?: Uint8Array;
  revision: number;
}

/** For calls that wait on a server: give up with `E_ABORTED` (or the signal's SwarmError reason). */
export interface ReadOptions {
  /**
   * Rejects the call when it fires (at once if it already has). A write cut short this way may still
   * have landed, as after a timeout: read before retrying a compare-and-set.
   */
  signal?: AbortSignal;
}

export interface WriteOptions extends ReadOptions {
  /**
   * The key disappears this long after the write unless written again, in ms (a whole number ≥ 1).
   * Every write sets the lease afresh: a write without `ttlMs` makes the key permanent.
   */
  ttlMs?: number;
}

export interface DeleteOptions extends ReadOptions {
  /** Delete only if the key is still at this revision; E_CONFLICT otherwise (also when absent). */
  expectedRevision?: number;
}

export interface WatchOptions {
  /** Replay changes from this revision (inclusive) before live ones. Not with `initial`. */
  fromRevision?: number;
  /** First yield the current entries (as `put`, in revision order), then every later change. */
  initial?: boolean;
  signal?: AbortSignal;
}

/**
 * Changes in revision order. A change may be repeated across the snapshot/live seam: apply one only
 * if its revision is newer than what you hold for that key.
 *
 * Iteration ends quietly after `stop()` or `break`; it throws `E_ABORTED` (or the signal's SwarmError
 * reason) when the signal fires, `E_CLOSED` when the store closes, `E_OVERFLOW` when the reader falls
 * too far behind (resume with `fromRevision` = last seen + 1), and `E_UNAVAILABLE` when the backend
 * is lost.
 */
export interface Watch extends AsyncIterable<Change> {
  /**
   * Resolves once the watch is live and the initial snapshot (if asked) is queued: every change
   * written after this resolves will be seen. Rejects if the watch fails before that.
   */
  readonly initialized: Promise<void>;
  stop(): void;
  /** Resolves once the watch has ended and released what it held. */
  readonly closed: Promise<void>;
}

/**
 * The Store seam: key/value with compare-and-set, TTL leases and a change feed. Keys are strings of
 * `[A-Za-z0-9_=/-]` segments separated by `.` (at most 256 characters); values are bytes.
 *
 * Every method rejects with `E_INVALID` for a malformed key, prefix, TTL or revision, `E_TOO_LARGE`
 * for a value over `capabilities.maxValueBytes`, `E_CLOSED` once the store is closed, `E_ABORTED`
 * when its signal fires, `E_UNAVAILABLE` when the backend cannot be reached, and `E_TIMEOUT` when a
 * server did not answer in time (after `E_ABORTED` or `E_TIMEOUT` a write may still have landed).
 * An expired or deleted key is absent everywhere. A write copies its value before it returns (the
 * caller may reuse or drop its array at once; the conformance suite checks it).
 */
export interface Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  get(key: string, opts?: ReadOptions): Promise<Entry | undefined>;
  /** Writes unconditionally; returns the new revision. */
  put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number>;
  /** Writes only if absent (or expired/deleted); E_EXISTS otherwise. */
  create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number>;
  /** Writes only if the key is at `expectedRevision`; E_CONFLICT otherwise (also when absent). */
  update(key: string, value: Uint8Array, expectedRevision: number, opts?: WriteOptions): Promise<number>;
  /** Removes the key; a missing key is a no-op with no change (unless `expectedRevision` is given). */
  delete(key: string, opts?: DeleteOptions): Promise<void>;
  /** Live keys under `prefix`: empty for all, or a prefix ending in `.` (`"agents."`). Sorted. */
  keys(prefix?: string, opts?: ReadOptions): Promise<string[]>;
  /**
   * A change feed for keys under `prefix`. Throws at once (not through the iterator) for a bad prefix
   * or options (`E_INVALID`) and on a closed store (`E_CLOSED`).
   */
  watch(prefix?: string, opts?: WatchOptions): Watch;
  /** Ends every watch (they throw `E_CLOSED`), stops timers and releases connections it owns. */
  close(err?: Error): Promise<void>;
  /** Resolves when the store is closed: with the error given to `close(err)`, if any. */
  closed(): Promise<void | Error>;
}
