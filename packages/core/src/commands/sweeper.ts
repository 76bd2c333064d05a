import type { Clock, TimerHandle } from "@swarmlink/protocol";
import type { RouterParts } from "./parts.js";
import type { QueueEntry } from "./queue-index.js";
import { EXPIRY_REASONS } from "./wire.js";

/** Pause before a failed sweep of one agent is tried again, in ms. */
const RETRY_MS = 1000;

/**
 * Settles queued commands EXPIRED at their deadline when their agent never came back (or never
 * answered): one timer, set for the earliest deadline the leader's mirror of the queue indexes
 * holds; each sweep expires what is due, removes it from the index, and sets the timer again.
 */
export class Sweeper {
  readonly #parts: RouterParts;
  readonly #queues: () => Iterable<[string, QueueEntry[]]>;
  readonly #signal: AbortSignal;
  #timer: TimerHandle | undefined;
  #at = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  #again = false;

  /** `queues` lists every agent's indexed commands; `signal` ends the sweeper. */
  constructor(parts: RouterParts, queues: () => Iterable<[string, QueueEntry[]]>, signal: AbortSignal) {
    this.#parts = parts;
    this.#queues = queues;
    this.#signal = signal;
  }

  get #clock(): Clock {
    return this.#parts.wire.clock;
  }

  /** Makes sure a sweep runs at `atMs` (or earlier). */
  schedule(atMs: number): void {
    if (!(atMs < this.#at) || this.#signal.aborted) return;
    this.#clock.clearTimeout(this.#timer);
    this.#at = atMs;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, atMs - this.#clock.now()));
  }

  /** Stops the timer and waits for a sweep in progress (the signal must have been aborted). */
  async stop(): Promise<void> {
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }

  #fire(): void {
    this.#at = Number.POSITIVE_INFINITY;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const { log } = this.#parts.opts;
    const swept = this.#sweep().catch((err: unknown) => log.warn({ err }, "sweep failed"));
    this.#running = swept.finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#signal.aborted) {
        this.#again = false;
        this.#fire();
      }
    });
  }

  async #sweep(): Promise<void> {
    const { receipts, index, stats, opts } = this.#parts;
    const now = this.#clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [agentId, entries] of [...this.#queues()]) {
      if (this.#signal.aborted) return;
      const due = entries.filter((e) => e.deadlineMs <= now);
      for (const e of entries) if (e.deadlineMs > now) next = Math.min(next, e.deadlineMs);
      if (due.length === 0) continue;
      try {
        for (const e of due) {
          const r = await receipts.expire(e.id, e.deadlineMs, EXPIRY_REASONS.deadline);
          if (r?.moved) stats.expired++;
        }
        await index.remove(
          agentId,
          due.map((e) => e.id),
        );
      } catch (err) {
        opts.log.warn({ agentId, err }, "sweep failed; trying again");
        next = Math.min(next, now + RETRY_MS);
      }
    }
    this.schedule(next);
  }
}
