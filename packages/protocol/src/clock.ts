/**
 * All timers go through a Clock so that leases, deadlines and redelivery can be tested in simulated
 * time. The system clock is the default everywhere a Clock is accepted.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque handle; only the clock that made it can clear it. */
export type TimerHandle = unknown;

/** The real clock. Timers are unref'd so a pending lease renewal never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * A clock that moves only when told to. Timers fire in due order during `advance()`.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const store = new MemoryStore({ clock });
 * await store.put("lease", v, { ttlMs: 1000 });
 * clock.advance(1001); // the lease has expired, with no sleep
 * ```
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = target;
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }
}
