import type { Clock, TimerHandle } from "@swarmlink/protocol";

/**
 * Runs a candidate's store operations one at a time, on the Clock: `kick()` runs the next one now
 * (or right after the one in flight), and after each the runner sleeps until `nextDelayMs()` says
 * (undefined: nothing to do until kicked). Private to the election module.
 */
export class SerialRunner {
  #clock: Clock;
  #operate: () => Promise<void>;
  #nextDelayMs: () => number | undefined;
  #busy: Promise<void> | undefined;
  #again = false;
  #tick: TimerHandle | undefined;
  #stopped = false;

  constructor(clock: Clock, operate: () => Promise<void>, nextDelayMs: () => number | undefined) {
    this.#clock = clock;
    this.#operate = operate;
    this.#nextDelayMs = nextDelayMs;
  }

  /** Runs the next operation now, or right after the one in flight. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#clearTick();
    this.#busy = this.#operate().finally(() => {
      this.#busy = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      } else this.#schedule();
    });
  }

  /** Resolves once no operation is in flight or asked for. */
  async idle(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  /** Runs nothing more; an operation in flight finishes (await `idle()`). */
  stop(): void {
    this.#stopped = true;
    this.#clearTick();
  }

  #schedule(): void {
    const delay = this.#stopped ? undefined : this.#nextDelayMs();
    if (delay === undefined) return;
    this.#tick = this.#clock.setTimeout(
      () => {
        this.#tick = undefined;
        this.kick();
      },
      Math.max(0, delay),
    );
  }

  #clearTick(): void {
    if (this.#tick !== undefined) this.#clock.clearTimeout(this.#tick);
    this.#tick = undefined;
  }
}

/** One re-armable one-shot timer on the Clock: setting it again replaces the pending one. */
export class Alarm {
  #clock: Clock;
  #fn: () => void;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, fn: () => void) {
    this.#clock = clock;
    this.#fn = fn;
  }

  /** Fires at `atMs` by the clock (at once if that has passed), unless set again or cleared first. */
  set(atMs: number): void {
    this.clear();
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#fn();
      },
      Math.max(0, atMs - this.#clock.now()),
    );
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
