import { abortError, type Clock, SwarmError } from "@swarmlink/protocol";
import { deliverSoon } from "../turns.js";
import type { Msg } from "../types.js";

/** What a request waits with: settled once, by its reply, its deadline, its signal or the Bus closing. */
interface Waiting {
  settle(err: SwarmError | undefined, msg?: Msg): void;
}

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
  #waiting = new Map<string, Waiting>();

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
    const reply = new Promise<Msg>((resolve, reject) => {
      let done = false;
      const settle = (err: SwarmError | undefined, msg?: Msg) => {
        if (done) return;
        done = true;
        this.#waiting.delete(inbox);
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(msg!);
      };
      const onAbort = () => settle(abortError(signal!));
      const timer = this.#clock.setTimeout(
        () => settle(new SwarmError("E_TIMEOUT", "request timed out", { subject, timeoutMs })),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(inbox, { settle });
    });
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
