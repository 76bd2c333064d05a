import { type Clock, isSwarmError } from "@swarmlink/protocol";
import type { StatsCounter } from "./stats.js";

/** Whether an error from the Bus means it pushes back (NatsBus: the reconnect buffer is full). */
export function isPushBack(err: unknown): boolean {
  return isSwarmError(err, "E_OVERFLOW");
}

/**
 * Back-pressure from the Bus toward devices. `hold(fn)` runs a device publish's handler and, while
 * the Bus pushes back (E_OVERFLOW), runs it again every `busRetryMs`: the caller holds the PUBACK
 * until it resolves, and aedes does not read that client's socket meanwhile (it reads the next
 * batch only when every packet of the current one is done).
 */
export class BusPressure {
  #clock: Clock;
  #retryMs: number;
  #stats: StatsCounter;
  #onPushBack: () => void;

  /** `onPushBack` is told of each refusal (the lag governor cuts device rates). */
  constructor(clock: Clock, retryMs: number, stats: StatsCounter, onPushBack: () => void = () => {}) {
    this.#clock = clock;
    this.#retryMs = retryMs;
    this.#stats = stats;
    this.#onPushBack = onPushBack;
  }

  /**
   * Runs `fn` until it does not fail with E_OVERFLOW, or `alive()` turns false (then rejects with
   * the last E_OVERFLOW). Other errors reject at once.
   */
  async hold(fn: () => void | Promise<void>, alive: () => boolean): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        await fn();
        return;
      } catch (err) {
        if (!isPushBack(err) || !alive()) throw err;
        this.#stats.refuse("bus-pressure");
        this.#onPushBack();
        if (tries === 0) this.#stats.paused++;
        await new Promise<void>((r) => this.#clock.setTimeout(r, this.#retryMs));
      }
    }
  }
}
