import type { Clock, TimerHandle } from "@swarmlink/protocol";
import { copyBytes } from "../keys.js";
import type { Change, Entry } from "../types.js";

interface Slot {
  value: Uint8Array;
  revision: number;
  deadlineMs: number | undefined;
  timer: TimerHandle | undefined;
}

/**
 * The memory store's keys, its one revision sequence and its lease timers. Every change goes to
 * `emit`, in revision order. An expired key is removed (with its `expire` change) by its timer or by
 * the first access after its deadline, whichever comes first, so reads never see it.
 */
export class Table {
  #clock: Clock;
  #emit: (change: Change) => void;
  #slots = new Map<string, Slot>();
  #revision = 0;

  constructor(clock: Clock, emit: (change: Change) => void) {
    this.#clock = clock;
    this.#emit = emit;
  }

  /** The live entry at `key` (the stored bytes: copy before handing them out). */
  get(key: string): Entry | undefined {
    const slot = this.#slots.get(key);
    if (slot?.deadlineMs !== undefined && slot.deadlineMs <= this.#clock.now()) {
      this.remove(key, "expire");
      return undefined;
    }
    return slot && { key, value: slot.value, revision: slot.revision };
  }

  /** Live entries under `prefix`, in revision order. */
  entries(prefix: string): Entry[] {
    const out: Entry[] = [];
    for (const key of [...this.#slots.keys()]) {
      const e = key.startsWith(prefix) ? this.get(key) : undefined;
      if (e) out.push(e);
    }
    return out.sort((a, b) => a.revision - b.revision);
  }

  /** Writes `value` (copied) with a lease of `ttlMs` (0: none); returns the new revision. */
  write(key: string, value: Uint8Array, ttlMs: number): number {
    this.#disarm(this.#slots.get(key));
    const revision = ++this.#revision;
    const slot: Slot = { value: copyBytes(value), revision, deadlineMs: undefined, timer: undefined };
    if (ttlMs > 0) {
      slot.deadlineMs = this.#clock.now() + ttlMs;
      this.#arm(key, slot, ttlMs);
    }
    this.#slots.set(key, slot);
    this.#emit({ key, op: "put", value: slot.value, revision });
    return revision;
  }

  remove(key: string, op: "delete" | "expire"): void {
    this.#disarm(this.#slots.get(key));
    this.#slots.delete(key);
    this.#emit({ key, op, revision: ++this.#revision });
  }

  /** Clears every lease timer (the store is closing). */
  clearTimers(): void {
    for (const slot of this.#slots.values()) this.#disarm(slot);
  }

  /** Expires `slot` at its deadline; a timer that fires early (real clocks may) tries again. */
  #arm(key: string, slot: Slot, ms: number): void {
    slot.timer = this.#clock.setTimeout(() => {
      slot.timer = undefined;
      if (this.#slots.get(key) !== slot) return;
      const left = (slot.deadlineMs ?? 0) - this.#clock.now();
      if (left > 0) this.#arm(key, slot, left);
      else this.get(key);
    }, ms);
  }

  #disarm(slot: Slot | undefined): void {
    if (slot?.timer !== undefined) this.#clock.clearTimeout(slot.timer);
    if (slot) slot.timer = undefined;
  }
}
