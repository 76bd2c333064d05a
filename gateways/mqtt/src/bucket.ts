import type { Clock } from "@swarmlink/protocol";

/**
 * A token bucket: tokens refill at `ratePerSec` up to `burst`. `take()` succeeds while tokens
 * remain; `reserve()` always takes one, going into debt, and says how long the caller must wait
 * for it, so a batch of publishes is released one token interval apart, in order.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(100, 10, systemClock);
 * const waitMs = bucket.reserve(); // 0 for the first 10, then 10 ms, 20 ms, …
 * ```
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: () => number;
  readonly #burst: number;
  readonly #clock: Clock;

  /** `ratePerSec` a number, or a function read at every refill (an adaptive rate). */
  constructor(ratePerSec: number | (() => number), burst: number, clock: Clock) {
    this.#rate = typeof ratePerSec === "number" ? () => ratePerSec : ratePerSec;
    this.#burst = burst;
    this.#tokens = burst;
    this.#clock = clock;
    this.#last = clock.now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Takes one token, due now or later: the milliseconds until it is due (0 if it is). */
  reserve(): number {
    this.#refill();
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate()) * 1000);
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate()) * 1000);
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate());
    this.#last = now;
  }
}
