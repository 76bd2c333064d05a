import { SwarmError } from "@swarmlink/protocol";
import { deliverSoon } from "./turns.js";
import type { Msg, Subscription } from "./types.js";

/** Default bound on messages waiting in a subscription, for its iterator or its callback. */
export const DEFAULT_MAX_PENDING = 65_536;

export interface PushSubscriptionOptions {
  maxPending?: number;
  max?: number;
  callback?: (err: Error | undefined, msg: Msg) => void;
  signal?: AbortSignal;
  /**
   * Call the callback inside `push()`: for transports that already deliver from their own event
   * (a socket read), never from the publisher's call stack. @default false
   */
  direct?: boolean;
}

/**
 * The subscription both Bus implementations hand out: the transport pushes messages in, the user
 * iterates or gets callbacks, always asynchronously (never inside the publisher's call stack).
 * Bounded: a consumer more than `maxPending` behind loses the oldest messages, counted in `dropped`,
 * instead of growing memory.
 */
export class PushSubscription implements Subscription {
  readonly subject: string;
  readonly closed: Promise<void>;
  #items: Msg[] = [];
  #head = 0;
  #wake: (() => void) | undefined;
  #flushScheduled = false;
  #maxPending: number;
  #max: number;
  #callback: ((err: Error | undefined, msg: Msg) => void) | undefined;
  #direct: boolean;
  #received = 0;
  #dropped = 0;
  /** No more messages will be accepted; what is queued is still handed out. */
  #sealed = false;
  #ended = false;
  #iterating = false;
  #release: () => void;
  #resolveClosed!: () => void;

  /** `release` detaches the subscription from its transport; it is called exactly once. */
  constructor(subject: string, opts: PushSubscriptionOptions, release: () => void) {
    this.subject = subject;
    this.#maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    this.#max = opts.max ?? 0;
    this.#callback = opts.callback;
    this.#direct = opts.direct === true && opts.callback !== undefined;
    this.#release = release;
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    const { signal } = opts;
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.unsubscribe());
      else signal.addEventListener("abort", () => this.unsubscribe(), { once: true });
    }
  }

  get received(): number {
    return this.#received;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Whether the transport should keep delivering. */
  get active(): boolean {
    return !this.#sealed;
  }

  /** Called by the transport for each message; returns false once the subscription takes no more. */
  push(msg: Msg): boolean {
    if (this.#sealed) return false;
    this.#received++;
    if (this.#direct) {
      this.#call(msg);
      if (this.#max > 0 && this.#received >= this.#max) this.unsubscribe();
      return true;
    }
    if (this.#maxPending > 0 && this.#items.length - this.#head >= this.#maxPending) {
      this.#items[this.#head++] = undefined as unknown as Msg;
      this.#dropped++;
    }
    this.#items.push(msg);
    if (this.#callback) this.#scheduleFlush();
    else if (this.#wake) deliverSoon(this.#wake);
    if (this.#max > 0 && this.#received >= this.#max) this.#seal();
    return true;
  }

  /** Stops at once; anything queued is discarded. */
  unsubscribe(): void {
    this.#seal();
    this.#items = [];
    this.#head = 0;
    this.#endIfEmpty();
  }

  /** Takes no more messages, hands out what is queued, then ends. */
  drain(): Promise<void> {
    this.#seal();
    this.#endIfEmpty();
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<Msg> {
    if (this.#callback) throw new SwarmError("E_CONFIG", "a subscription with a callback cannot be iterated");
    if (this.#iterating) throw new SwarmError("E_CONFIG", "a subscription can be iterated only once");
    this.#iterating = true;
    const wait = async (): Promise<IteratorResult<Msg>> => {
      for (;;) {
        const msg = this.#shift();
        if (msg) return { value: msg, done: false };
        if (this.#sealed) {
          this.#endIfEmpty();
          return { value: undefined, done: true };
        }
        await new Promise<void>((r) => {
          this.#wake = r;
        });
        this.#wake = undefined;
      }
    };
    return {
      // The common case — a message is already queued — settles without an async frame.
      next: (): Promise<IteratorResult<Msg>> => {
        const msg = this.#shift();
        return msg ? Promise.resolve({ value: msg, done: false }) : wait();
      },
      return: async (): Promise<IteratorResult<Msg>> => {
        this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  #shift(): Msg | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const msg = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as Msg;
    // Compact once the consumed prefix dominates, so a long-lived subscription keeps a small array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return msg;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    deliverSoon(() => {
      this.#flushScheduled = false;
      for (let msg = this.#shift(); msg; msg = this.#shift()) this.#call(msg);
      this.#endIfEmpty();
    });
  }

  #call(msg: Msg): void {
    try {
      this.#callback!(undefined, msg);
    } catch (err) {
      // A throwing handler must not stop delivery; the error surfaces as an uncaught one.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #seal(): void {
    if (this.#sealed) return;
    this.#sealed = true;
    this.#release();
    this.#wake?.();
  }

  #endIfEmpty(): void {
    if (this.#ended || !this.#sealed || this.#head < this.#items.length) return;
    this.#ended = true;
    this.#resolveClosed();
  }
}
