import { abortError, type SwarmError } from "@swarmlink/protocol";
import type { LeadershipState } from "../types.js";

interface Waiter {
  resolve(token: number): void;
  reject(err: unknown): void;
}

/**
 * The observers of one candidate: `onChange` listeners, told once per change of holder, token or
 * leadership, and `waitForLeadership` callers. Private to the election module.
 */
export class Notifier {
  #listeners = new Set<(s: LeadershipState) => void>();
  #waiters = new Set<Waiter>();
  #last: LeadershipState | undefined;

  on(listener: (s: LeadershipState) => void): () => void {
    const own = (s: LeadershipState) => listener(s);
    this.#listeners.add(own);
    return () => {
      this.#listeners.delete(own);
    };
  }

  /** Tells listeners about `s` if it differs from the last state told; wakes waiters when it leads. */
  publish(s: LeadershipState): void {
    const last = this.#last;
    if (
      last &&
      last.holder === s.holder &&
      last.token === s.token &&
      last.isLeader === s.isLeader &&
      last.sinceMs === s.sinceMs
    ) {
      return;
    }
    this.#last = s;
    for (const listener of [...this.#listeners]) {
      try {
        listener({ ...s });
      } catch {
        // A listener's failure is its own: it must not stop the others or the election's timers.
      }
    }
    if (s.isLeader && s.token !== undefined) {
      const token = s.token;
      for (const w of [...this.#waiters]) w.resolve(token);
    }
  }

  /** Resolves with the token the next time a leading state is published. */
  wait(signal: AbortSignal | undefined): Promise<number> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => w.reject(abortError(signal!));
      const w: Waiter = {
        resolve: (token) => {
          this.#waiters.delete(w);
          signal?.removeEventListener("abort", onAbort);
          resolve(token);
        },
        reject: (err) => {
          this.#waiters.delete(w);
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      this.#waiters.add(w);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Rejects every waiter with `err` (the candidate stopped campaigning). */
  rejectAll(err: SwarmError): void {
    for (const w of [...this.#waiters]) w.reject(err);
  }

  /** Drops every listener (the candidate is closed). */
  clear(): void {
    this.#listeners.clear();
  }
}
