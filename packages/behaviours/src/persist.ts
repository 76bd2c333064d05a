import { type Clock, SwarmError, type TimerHandle } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import { decodeJson, encodeJson } from "./json.js";

/** Reads the persisted snapshot at `key`; undefined when absent or unreadable (reported to `onError`). */
export async function loadSnapshot(
  store: Store,
  key: string,
  onError: (err: SwarmError) => void,
): Promise<unknown | undefined> {
  try {
    const e = await store.get(key);
    return e ? decodeJson(e.value) : undefined;
  } catch (err) {
    onError(
      new SwarmError("E_UNAVAILABLE", "could not read the behaviour snapshot", { key }, { cause: err }),
    );
    return undefined;
  }
}

/**
 * Writes the newest snapshot after `debounceMs` of quiet. Bounded: at most one write in flight and
 * one snapshot waiting (overflow policy: conflate — a newer snapshot replaces the waiting one).
 */
export class SnapshotSaver {
  readonly #store: Store;
  readonly #key: string;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #read: () => unknown;
  readonly #onError: (err: SwarmError) => void;
  #timer: TimerHandle | undefined;
  #dirty = false;
  #writing: Promise<void> | undefined;
  /** Snapshots written. */
  writes = 0;

  constructor(
    store: Store,
    key: string,
    clock: Clock,
    debounceMs: number,
    read: () => unknown,
    onError: (err: SwarmError) => void,
  ) {
    this.#store = store;
    this.#key = key;
    this.#clock = clock;
    this.#debounceMs = debounceMs;
    this.#read = read;
    this.#onError = onError;
  }

  /** A transition happened: write (debounced). */
  touch(): void {
    this.#dirty = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.#debounceMs);
  }

  /** Writes what is pending now and waits for it. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#writing = this.#write().finally(() => {
      this.#writing = undefined;
    });
    await this.#writing;
    if (this.#dirty && this.#timer === undefined) await this.#drain();
  }

  async #write(): Promise<void> {
    try {
      await this.#store.put(this.#key, encodeJson(this.#read()));
      this.writes++;
    } catch (err) {
      this.#onError(
        new SwarmError(
          "E_UNAVAILABLE",
          "could not write the behaviour snapshot",
          { key: this.#key },
          { cause: err },
        ),
      );
    }
  }
}
