import { type Clock, isSwarmError, type TimerHandle } from "@swarmlink/protocol";
import type { Change, Store, Watch } from "@swarmlink/store";

/** What a {@link KeyWatcher} needs. */
export interface KeyWatcherOptions {
  store: Store;
  /** The one key to follow, e.g. `elections.dispatcher`. */
  key: string;
  clock: Clock;
  /** Wait before reopening a watch that failed, in ms. */
  retryMs: number;
  /** Every change of `key`, in revision order (a change may repeat: dedupe by revision). */
  onChange: (change: Change) => void;
  /** The store was closed under the watcher; it will not reopen. */
  onClosed: (err: unknown) => void;
}

/**
 * Follows one key of a Store for as long as it runs. Store watches take a prefix ending in `.`, so
 * it watches the key's parent (`elections.`) and filters. The first watch starts from a snapshot
 * (`initial`); when one fails (`E_UNAVAILABLE`, `E_OVERFLOW`), the next, `retryMs` later, resumes
 * after the last revision seen if the store replays history, so a delete or expiry that happened
 * in between is not missed. Private to the election module.
 */
export class KeyWatcher {
  #o: KeyWatcherOptions;
  #prefix: string;
  #watch: Watch | undefined;
  #loop: Promise<void> | undefined;
  #retry: TimerHandle | undefined;
  #lastRevision = 0;
  #stopped = false;

  constructor(o: KeyWatcherOptions) {
    this.#o = o;
    this.#prefix = o.key.slice(0, o.key.lastIndexOf(".") + 1);
  }

  start(): void {
    if (this.#stopped || this.#loop) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  /** Ends the watch and any pending retry; resolves once the watch has released what it held. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== undefined) this.#o.clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#watch?.stop();
    await this.#loop;
    await this.#watch?.closed;
  }

  async #run(): Promise<void> {
    const { store, key } = this.#o;
    const resume = this.#lastRevision > 0 && store.capabilities.watchReplay;
    let w: Watch;
    try {
      w = store.watch(this.#prefix, resume ? { fromRevision: this.#lastRevision + 1 } : { initial: true });
    } catch (err) {
      this.#failed(err);
      return;
    }
    this.#watch = w;
    try {
      for await (const change of w) {
        if (this.#stopped) break;
        if (change.revision > this.#lastRevision) this.#lastRevision = change.revision;
        if (change.key === key) this.#o.onChange(change);
      }
    } catch (err) {
      this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    if (isSwarmError(err, "E_CLOSED")) {
      this.#stopped = true;
      this.#o.onClosed(err);
      return;
    }
    // E_UNAVAILABLE, E_OVERFLOW, anything else: try again later; the campaign's polling covers the gap.
    this.#retry = this.#o.clock.setTimeout(() => {
      this.#retry = undefined;
      this.start();
    }, this.#o.retryMs);
  }
}
