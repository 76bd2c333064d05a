import type { Clock, TimerHandle } from "@swarmlink/protocol";

/**
 * Runs `task` every `intervalMs` on the Clock, never two at once (the next run is scheduled when the
 * last one ends). A failing run is the task's own business; the ticker goes on.
 */
export class Ticker {
  #clock: Clock;
  #intervalMs: number;
  #task: () => Promise<unknown>;
  #timer: TimerHandle | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(clock: Clock, intervalMs: number, task: () => Promise<unknown>) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#task = task;
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined || this.#intervalMs <= 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#task()
        .catch(() => {})
        .finally(() => {
          this.#running = undefined;
          this.start();
        });
    }, this.#intervalMs);
  }

  /** Stops ticking; resolves once a run in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
