import type { Clock } from "@swarmlink/protocol";

/** The lowest share of `ratePerSec` the governor cuts a device's rate to. */
export const MIN_RATE_FACTOR = 1 / 16;
/** Time for the rate to grow back from its lowest share to the full rate, once the core keeps up. */
export const RATE_RECOVERY_MS = 2000;

/**
 * Adapts every device's publish rate to the swarm core's lag (AIMD): the latency of the gateway's
 * Bus requests (register, status reports) is smoothed (EWMA, weight 0.2); above `targetLagMs`, or
 * when the Bus pushes back (E_OVERFLOW), the rate share is halved, at most once per
 * `targetLagMs`, down to `MIN_RATE_FACTOR`; it then grows back linearly over `RATE_RECOVERY_MS`.
 * `targetLagMs` 0 turns adaptation off (the share stays 1).
 *
 * @example
 * ```ts
 * const lag = new LagGovernor(systemClock, 250);
 * const bucket = new TokenBucket(() => 1000 * lag.factor(), 200, systemClock);
 * lag.observe(900); // the core answered in 900 ms: the bucket now refills at 500/s
 * ```
 */
export class LagGovernor {
  #clock: Clock;
  #targetMs: number;
  #factor = 1;
  #lagMs = 0;
  #lastCut = Number.NEGATIVE_INFINITY;
  #last: number;

  constructor(clock: Clock, targetLagMs: number) {
    this.#clock = clock;
    this.#targetMs = targetLagMs;
    this.#last = clock.now();
  }

  /** A Bus request of the gateway took `latencyMs`. */
  observe(latencyMs: number): void {
    this.#lagMs = this.#lagMs === 0 ? latencyMs : 0.8 * this.#lagMs + 0.2 * latencyMs;
    if (this.#lagMs > this.#targetMs) this.#cut();
  }

  /** The Bus refused a publish (E_OVERFLOW). */
  pushBack(): void {
    this.#cut();
  }

  /** The smoothed core lag, ms. */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** The share of the configured rate devices get now, in [MIN_RATE_FACTOR, 1]. */
  factor(): number {
    const now = this.#clock.now();
    this.#factor = Math.min(
      1,
      this.#factor + ((now - this.#last) / RATE_RECOVERY_MS) * (1 - MIN_RATE_FACTOR),
    );
    this.#last = now;
    return this.#factor;
  }

  #cut(): void {
    if (this.#targetMs === 0) return;
    const now = this.#clock.now();
    if (now - this.#lastCut < this.#targetMs) return;
    this.#lastCut = now;
    this.#factor = Math.max(MIN_RATE_FACTOR, this.factor() / 2);
  }
}
