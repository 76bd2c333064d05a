import { type Clock, isSwarmError, SwarmError } from "@swarmlink/protocol";
import type { Entry, Store } from "@swarmlink/store";
import type { ParsedElectOptions } from "./options.js";
import { type ElectionRecord, encodeElection, readElection } from "./state.js";

/** One term held by a candidate. `revision` follows the lease entry; `token` never changes. */
export interface Term {
  readonly token: number;
  readonly sinceMs: number;
  revision: number;
  /** Local time before which the lease is trusted: when the last acknowledged write was sent + leaseMs - margin. */
  validUntilMs: number;
  ended: boolean;
}

/** How a renewal went: kept (maybe after following a lost reply), or lost to `entry` (undefined: gone). */
export type Renewal = { kept: true; again: boolean } | { kept: false; entry: Entry | undefined };

/**
 * The store operations on one candidate's lease entry: acquire (`create`), renew (`update` on the
 * revision), release (`delete` on the revision). Each records when it was sent, which is what the
 * local lease is measured from. Failures other than the expected outcomes are thrown as they come
 * (`E_UNAVAILABLE`, `E_CLOSED`, …), and no call is awaited longer than a lease (`E_TIMEOUT`): by
 * then its answer is moot, and a store that hangs must not stall the campaign or `close()`. Private
 * to the election module.
 */
export class Lease {
  /** When the last acquire or renew was sent, by the candidate's clock. */
  lastAttemptMs = 0;
  #store: Store;
  #key: string;
  #base: Omit<ElectionRecord, "token" | "sinceMs" | "renewedMs">;
  #o: ParsedElectOptions;

  constructor(store: Store, key: string, group: string, candidateId: string, o: ParsedElectOptions) {
    this.#store = store;
    this.#key = key;
    this.#base = { group, holder: candidateId, leaseMs: o.leaseMs };
    this.#o = o;
  }

  get #clock(): Clock {
    return this.#o.clock;
  }

  /** The record this candidate writes for a term. */
  record(token: number, sinceMs: number, renewedMs: number): ElectionRecord {
    return { ...this.#base, token, sinceMs, renewedMs };
  }

  /** Tries to win a term; undefined if someone holds the lease (`E_EXISTS`). */
  async acquire(): Promise<Term | undefined> {
    const sentAt = this.#sent();
    try {
      // token 0: "the revision of this write", which only the store knows yet (see ElectionRecord).
      const value = encodeElection(this.record(0, sentAt, sentAt));
      const rev = await this.#call((signal) => this.#store.create(this.#key, value, this.#ttl(signal)));
      return {
        token: rev,
        sinceMs: sentAt,
        revision: rev,
        validUntilMs: this.#validUntil(sentAt),
        ended: false,
      };
    } catch (err) {
      if (isSwarmError(err, "E_EXISTS")) return undefined;
      throw err;
    }
  }

  /**
   * Renews `term`'s lease. On `E_CONFLICT` it reads the entry: if it still carries our token, an
   * earlier renewal whose reply was lost did land, so it follows that revision and asks to renew
   * again at once (`again`); otherwise the term is lost.
   */
  async renew(term: Term): Promise<Renewal> {
    const sentAt = this.#sent();
    const value = encodeElection(this.record(term.token, term.sinceMs, sentAt));
    try {
      const rev = await this.#call((signal) =>
        this.#store.update(this.#key, value, term.revision, this.#ttl(signal)),
      );
      term.revision = Math.max(term.revision, rev);
      if (!term.ended) term.validUntilMs = Math.max(term.validUntilMs, this.#validUntil(sentAt));
      return { kept: true, again: false };
    } catch (err) {
      if (!isSwarmError(err, "E_CONFLICT")) throw err;
    }
    const entry = await this.#call((signal) => this.#store.get(this.#key, { signal }));
    if (entry && this.owns(term, readElection(entry.value, entry.revision))) {
      term.revision = Math.max(term.revision, entry.revision);
      return { kept: true, again: true };
    }
    return { kept: false, entry };
  }

  /** Deletes the lease if it is still at `term`'s revision; a lease someone else holds is left alone. */
  async release(term: Term): Promise<void> {
    try {
      const expectedRevision = term.revision;
      await this.#call((signal) => this.#store.delete(this.#key, { expectedRevision, signal }));
    } catch (err) {
      if (!isSwarmError(err, "E_CONFLICT")) throw err;
    }
  }

  /**
   * Deletes another holder's lease found dead (see `ElectOptions.liveness`), only at `revision`: a
   * renewal since then keeps it. Returns whether it was deleted.
   */
  async depose(revision: number): Promise<boolean> {
    try {
      await this.#call((signal) => this.#store.delete(this.#key, { expectedRevision: revision, signal }));
      return true;
    } catch (err) {
      if (isSwarmError(err, "E_CONFLICT")) return false;
      throw err;
    }
  }

  /** Whether `record` is `term`'s (tokens are never reused, so the token decides). */
  owns(term: Term, record: ElectionRecord | undefined): boolean {
    return record?.token === term.token && record.holder === this.#base.holder;
  }

  /**
   * Runs one store call with a signal that fires after `leaseMs` on the clock, and stops waiting
   * then even if the store ignores the signal.
   */
  async #call<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    let timer: unknown;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.#clock.setTimeout(() => {
        const err = new SwarmError("E_TIMEOUT", "store call outlived the lease", { key: this.#key });
        ac.abort(err);
        reject(err);
      }, this.#o.leaseMs);
    });
    try {
      return await Promise.race([fn(ac.signal), timedOut]);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #ttl(signal: AbortSignal): { ttlMs: number; signal: AbortSignal } {
    return { ttlMs: this.#o.leaseMs, signal };
  }

  #sent(): number {
    this.lastAttemptMs = this.#clock.now();
    return this.lastAttemptMs;
  }

  #validUntil(sentAtMs: number): number {
    return sentAtMs + this.#o.leaseMs - this.#o.safetyMarginMs;
  }
}
