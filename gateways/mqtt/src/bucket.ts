import type { Clock } from "@swarmlink/protocol";

/**
 * A token bucket: `take()` succeeds while tokens remain; tokens refill at `ratePerSec` up to
 * `burst`. `waitMs()` tells how long until the next token.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;

  constructor(ratePerSec: number, burst: number, clock: Clock) {
    this.#rate = ratePerSec;
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

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}
