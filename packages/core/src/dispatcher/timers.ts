import type { Clock, TimerHandle } from "@swarmlink/protocol";

/**
 * One re-armable timer per task, on the Clock: `set(id, atMs)` replaces the task's pending timer;
 * when it fires, `onDue(id)` runs and decides (from the record as it is then) what is due. Memory is
 * one handle per unfinished task with something to wait for.
 */
export class TaskTimers {
  #clock: Clock;
  #onDue: (id: string) => void;
  #timers = new Map<string, { atMs: number; handle: TimerHandle }>();
  #stopped = false;

  constructor(clock: Clock, onDue: (id: string) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Fires `onDue(id)` at `atMs` (ms since the epoch); undefined clears the task's timer. */
  set(id: string, atMs: number | undefined): void {
    const had = this.#timers.get(id);
    if (had && had.atMs === atMs) return;
    if (had) this.#clock.clearTimeout(had.handle);
    this.#timers.delete(id);
    if (atMs === undefined || this.#stopped) return;
    const handle = this.#clock.setTimeout(
      () => {
        if (this.#timers.get(id)?.handle !== handle) return;
        this.#timers.delete(id);
        this.#onDue(id);
      },
      Math.max(0, atMs - this.#clock.now()),
    );
    this.#timers.set(id, { atMs, handle });
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Clears every timer; `set` does nothing afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) this.#clock.clearTimeout(t.handle);
    this.#timers.clear();
  }
}
