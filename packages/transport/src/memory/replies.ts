import type { Clock, SwarmError } from "@swarmlink/protocol";
import { deliverSoon } from "../turns.js";
import type { Msg } from "../types.js";
import { type WaitingReply, waitForReply } from "../waiting-reply.js";

/**
 * The memory Bus's requests waiting for a reply, by inbox subject. A request costs one map entry
 * and one timer rather than a subscription of its own (with its route, its promise and its
 * unsubscribe); a reply published on the inbox settles it, once, never inside the responder's
 * call stack.
 */
export class PendingReplies {
  readonly #clock: Clock;
  readonly #prefix = `_INBOX.${Math.random().toString(36).slice(2)}.`;
  #seq = 0;
  #waiting = new Map<string, WaitingReply>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * A fresh inbox, and the promise of the first message published on it; it rejects with
   * E_TIMEOUT after `timeoutMs`, with the abort error when `signal` fires.
   */
  open(
    subject: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): { inbox: string; reply: Promise<Msg> } {
    const inbox = this.#prefix + ++this.#seq;
    const done = () => this.#waiting.delete(inbox);
    const { waiting, reply } = waitForReply(subject, timeoutMs, signal, this.#clock, done);
    this.#waiting.set(inbox, waiting);
    return { inbox, reply };
  }

  /** True when a request waits for its reply on `subject`. */
  waitsOn(subject: string): boolean {
    return this.#waiting.size > 0 && this.#waiting.has(subject);
  }

  /** Hands `msg` to the request waiting on `subject`, if one does. */
  answer(subject: string, msg: Msg): void {
    const w = this.#waiting.get(subject);
    if (!w) return;
    // Taken at once, so a second reply finds no one; settled later, as any delivery is.
    this.#waiting.delete(subject);
    deliverSoon(() => w.settle(undefined, msg));
  }

  /** Rejects every waiting request with `err` (the Bus is closing). */
  failAll(err: SwarmError): void {
    for (const w of [...this.#waiting.values()]) w.settle(err);
  }
}
