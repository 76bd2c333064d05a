import { abortError, SwarmError } from "@swarmlink/protocol";
import type { Change, Watch } from "./types.js";

export interface FeedOptions {
  /** Most changes held unread; one more fails the feed with `E_OVERFLOW` (policy: error). */
  limit: number;
  signal?: AbortSignal | undefined;
  /** Releases the backend's resources; called once, whichever way the feed ends. */
  dispose: () => void | Promise<void>;
}

interface Taker {
  resolve(r: IteratorResult<Change>): void;
  reject(err: unknown): void;
}

/**
 * The queue behind every Watch: the backend pushes changes, the caller pulls them with `for await`.
 * Bounded, with the `error` overflow policy: a reader that falls `limit` changes behind gets
 * `E_OVERFLOW` after the changes it already has, so it can resume from the last revision it saw.
 * Private to the package.
 */
export class ChangeFeed implements Watch {
  readonly initialized: Promise<void>;
  readonly closed: Promise<void>;
  #limit: number;
  #items: Change[] = [];
  #head = 0;
  #taker: Taker | undefined;
  /** Set once no more changes will be pushed; `null` means a quiet end. */
  #end: SwarmError | null | undefined;
  #lastPushed = 0;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.#finish(abortError(this.#signal!), true);
  #dispose: (() => void | Promise<void>) | undefined;
  #ready!: () => void;
  #notReady!: (err: unknown) => void;
  #released!: () => void;

  constructor(opts: FeedOptions) {
    this.#limit = opts.limit;
    this.#dispose = opts.dispose;
    this.initialized = new Promise<void>((resolve, reject) => {
      this.#ready = resolve;
      this.#notReady = reject;
    });
    // Nobody is obliged to await `initialized`; a failure still surfaces through the iterator.
    this.initialized.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.#released = resolve;
    });
    this.#signal = opts.signal;
    if (this.#signal?.aborted) queueMicrotask(this.#onAbort);
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** True until the feed ends; a backend stops pushing once this is false. */
  get active(): boolean {
    return this.#end === undefined;
  }

  /** Queues a change; fails the feed with `E_OVERFLOW` when the reader is `limit` behind. */
  push(change: Change): void {
    if (this.#end !== undefined) return;
    if (this.#taker) {
      const t = this.#taker;
      this.#taker = undefined;
      this.#lastPushed = change.revision;
      t.resolve({ value: change, done: false });
      return;
    }
    if (this.#items.length - this.#head >= this.#limit) {
      const ctx = { limit: this.#limit, lastRevision: this.#lastPushed };
      this.fail(
        new SwarmError("E_OVERFLOW", "the watch fell too far behind; resume from lastRevision + 1", ctx),
      );
      return;
    }
    this.#lastPushed = change.revision;
    this.#items.push(change);
  }

  /** The watch is live (and its snapshot queued). */
  ready(): void {
    this.#ready();
  }

  /** Ends the feed with `err` once the changes already queued are read. */
  fail(err: SwarmError): void {
    this.#finish(err, false);
  }

  stop(): void {
    this.#finish(null, true);
  }

  [Symbol.asyncIterator](): AsyncIterator<Change> {
    return {
      next: () => this.#next(),
      return: async () => {
        this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  #next(): Promise<IteratorResult<Change>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#end === null) return Promise.resolve({ value: undefined, done: true });
    if (this.#end) return Promise.reject(this.#end);
    if (this.#taker) return Promise.reject(new SwarmError("E_INVALID", "a watch has one reader at a time"));
    return new Promise((resolve, reject) => {
      this.#taker = { resolve, reject };
    });
  }

  #finish(end: SwarmError | null, discard: boolean): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    if (discard) {
      this.#items = [];
      this.#head = 0;
    }
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#notReady(end ?? new SwarmError("E_CLOSED", "the watch stopped before it was live"));
    const t = this.#taker;
    this.#taker = undefined;
    if (t) {
      if (end) t.reject(end);
      else t.resolve({ value: undefined, done: true });
    }
    const dispose = this.#dispose;
    this.#dispose = undefined;
    Promise.resolve()
      .then(() => dispose?.())
      .catch(() => {}) // a backend that fails to release has nothing more to tell this reader
      .finally(() => this.#released());
  }
}
