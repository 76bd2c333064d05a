import { abortError, SwarmError } from "@swarmlink/protocol";
import type { ChangeFeed } from "./feed.js";

/**
 * The open → closed life every Store shares: refuses calls once closed, ends the store's watches
 * with `E_CLOSED`, runs the backend's release once however often `close` is called.
 */
export class Lifecycle {
  readonly #feeds = new Set<ChangeFeed>();
  #closing: Promise<void> | undefined;
  #reason: Error | undefined;
  #resolve!: (v: void | Error) => void;
  readonly done = new Promise<void | Error>((resolve) => {
    this.#resolve = resolve;
  });

  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /** Throws the abort error if `signal` has fired (checked first), then `E_CLOSED` once closed. */
  check(signal?: AbortSignal): void {
    if (signal?.aborted) throw abortError(signal);
    if (this.#closing) throw this.closedError();
  }

  closedError(): SwarmError {
    return new SwarmError("E_CLOSED", "the store is closed", {}, { cause: this.#reason });
  }

  /** Ends `feed` with the store. */
  track(feed: ChangeFeed): ChangeFeed {
    this.#feeds.add(feed);
    void feed.closed.then(() => this.#feeds.delete(feed));
    return feed;
  }

  /** Closes once: fails the watches, then awaits `release`; later calls share the first. */
  close(err: Error | undefined, release: () => Promise<void> | void): Promise<void> {
    this.#closing ??= (async () => {
      this.#reason = err;
      for (const f of [...this.#feeds]) f.fail(this.closedError());
      try {
        await release();
      } finally {
        this.#resolve(err);
      }
    })();
    return this.#closing;
  }
}
