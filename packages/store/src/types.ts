/** What a Store can and cannot promise; conformance tests read this, never guess. */
export interface StoreCapabilities {
  /** Each key may carry its own TTL (a lease). */
  readonly perKeyTtl: boolean;
  /** `watch({ fromRevision })` replays history the store still holds. */
  readonly watchReplay: boolean;
  /** Most time between a key's TTL running out and watchers seeing its `expire`, in ms. */
  readonly expiryLatencyMs: number;
  /** Several processes can share this Store (false for memory). */
  readonly distributed: boolean;
}

export interface Entry {
  key: string;
  value: Uint8Array;
  /** Grows with every change in the store; one sequence for all keys. */
  revision: number;
}

export type ChangeOp = "put" | "delete" | "expire";

export interface Change {
  key: string;
  op: ChangeOp;
  /** Present for `put`. */
  value?: Uint8Array;
  revision: number;
}

export interface WriteOptions {
  /** The key disappears this long after the write unless written again, in ms. */
  ttlMs?: number;
}

export interface DeleteOptions {
  /** Delete only if the key is still at this revision; E_CONFLICT otherwise. */
  expectedRevision?: number;
}

export interface WatchOptions {
  /** Replay changes from this revision (inclusive) before live ones. */
  fromRevision?: number;
  /** First yield the current entries (as `put`), then every later change. */
  initial?: boolean;
  signal?: AbortSignal;
}

/**
 * Changes in revision order. A change may be repeated across the snapshot/live seam: apply one only
 * if its revision is newer than what you hold for that key.
 */
export interface Watch extends AsyncIterable<Change> {
  /** Resolves once the initial snapshot (if asked) is queued. */
  readonly initialized: Promise<void>;
  stop(): void;
  readonly closed: Promise<void>;
}

/**
 * The Store seam: key/value with compare-and-set, TTL leases and a change feed. Keys are strings of
 * `[A-Za-z0-9_=./-]` segments separated by `.`; values are bytes.
 */
export interface Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  get(key: string): Promise<Entry | undefined>;
  /** Writes unconditionally; returns the new revision. */
  put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number>;
  /** Writes only if absent (or expired/deleted); E_EXISTS otherwise. */
  create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number>;
  /** Writes only if the key is at `expectedRevision`; E_CONFLICT otherwise. */
  update(key: string, value: Uint8Array, expectedRevision: number, opts?: WriteOptions): Promise<number>;
  delete(key: string, opts?: DeleteOptions): Promise<void>;
  /** Live keys under `prefix`: empty for all, or a prefix ending in `.` (`"agents."`). */
  keys(prefix?: string): Promise<string[]>;
  watch(prefix?: string, opts?: WatchOptions): Watch;
  close(err?: Error): Promise<void>;
  closed(): Promise<void | Error>;
}
