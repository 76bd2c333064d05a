import { isSwarmError, kvKeys, validateId } from "@swarmlink/protocol";
import type { Change, Store } from "@swarmlink/store";
import type { Leadership, LeadershipState } from "../types.js";
import { notCampaigningError, notLeaderError } from "./errors.js";
import { Lease, type Renewal, type Term } from "./lease.js";
import { type HeldTerm, HolderProbe, LivenessResponder } from "./liveness.js";
import { Notifier } from "./notifier.js";
import type { ParsedElectOptions } from "./options.js";
import { Alarm, SerialRunner } from "./runner.js";
import { type ElectionRecord, readElection } from "./state.js";
import { KeyWatcher } from "./watcher.js";

/**
 * The {@link Leadership} returned by `elect()`. Leadership is the local lease (`#term`), checked
 * against the clock on every read, so a process that was paused sees the lapse before any of its
 * timers runs. Store operations run one at a time (`#runner`); what the watch sees and what they
 * return both end a term when the entry is no longer ours.
 */
export class Candidate implements Leadership {
  readonly group: string;
  readonly candidateId: string;
  #o: ParsedElectOptions;
  #lease: Lease;
  #runner: SerialRunner;
  #watcher: KeyWatcher;
  #notifier = new Notifier();
  #term: Term | undefined;
  #toRelease: Term | undefined;
  /** A dead holder's lease to delete, at the revision seen (see `ElectOptions.liveness`). */
  #toDepose: number | undefined;
  #responder: LivenessResponder | undefined;
  #probe: HolderProbe | undefined;
  /** The last lease record seen (through the watch or our own writes), and its revision. */
  #seen: { revision: number; record: ElectionRecord | undefined } = { revision: 0, record: undefined };
  /** When (by our clock) another holder's record was last seen written: its lease runs from about then. */
  #seenAtMs = 0;
  #campaigning = true;
  /** Ends the term when its local lease runs out, if nothing read `isLeader` first. */
  #lapse: Alarm;
  #onAbort = () => void this.close();

  constructor(store: Store, group: string, candidateId: string, o: ParsedElectOptions) {
    const key = kvKeys.election(group);
    this.group = group;
    this.candidateId = validateId("candidateId", candidateId);
    this.#o = o;
    this.#lease = new Lease(store, key, group, candidateId, o);
    this.#lapse = new Alarm(o.clock, () => this.#checkLapse());
    const [operate, delay] = [() => this.#operate(), () => this.#nextDelayMs()];
    this.#runner = new SerialRunner(o.clock, operate, delay);
    this.#watcher = new KeyWatcher({
      ...{ store, key, clock: o.clock, retryMs: o.renewMs },
      onChange: (c) => this.#onChange(c),
      onClosed: (err) => this.#onStoreClosed(err),
    });
    this.#notifier.publish(this.state());
    if (o.liveness) {
      const { bus, probeMs } = o.liveness;
      this.#responder = new LivenessResponder(bus, group, candidateId, () => this.token, o.clock);
      this.#probe = new HolderProbe(bus, group, o.clock, probeMs, (t) => this.#onHolderGone(t));
    }
    o.signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#watcher.start();
    this.#runner.kick();
  }

  get isLeader(): boolean {
    return this.token !== undefined;
  }

  get token(): number | undefined {
    this.#checkLapse();
    return this.#term?.token;
  }

  state(): LeadershipState {
    const token = this.token;
    const t = this.#term;
    const r = token !== undefined && t ? this.#lease.record(token, t.sinceMs, 0) : this.#seen.record;
    const isLeader = token !== undefined;
    return { group: this.group, holder: r?.holder, token: r?.token, sinceMs: r?.sinceMs, isLeader };
  }

  assertLeader(): number {
    const token = this.token;
    if (token !== undefined) return token;
    const { holder, token: current } = this.state();
    throw notLeaderError(this.group, this.candidateId, holder, current);
  }

  onChange(listener: (s: LeadershipState) => void): () => void {
    return this.#notifier.on(listener);
  }

  waitForLeadership(opts: { signal?: AbortSignal } = {}): Promise<number> {
    const token = this.token;
    if (token !== undefined) return Promise.resolve(token);
    if (!this.#campaigning) return Promise.reject(notCampaigningError(this.group));
    return this.#notifier.wait(opts.signal);
  }

  async resign(): Promise<void> {
    this.#campaigning = false;
    this.#probe?.follow(undefined);
    this.#notifier.rejectAll(notCampaigningError(this.group));
    if (this.#term) this.#endTerm(this.#term, "resigned");
    await this.#runner.idle();
  }

  async close(): Promise<void> {
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
    await this.resign();
    this.#stop();
    await this.#watcher.stop();
    this.#notifier.clear();
  }

  async #operate(): Promise<void> {
    try {
      const release = this.#toRelease;
      const depose = this.#toDepose;
      this.#toRelease = undefined;
      this.#toDepose = undefined;
      if (release) await this.#lease.release(release);
      else if (depose !== undefined && !this.#term && this.#campaigning) {
        if (await this.#lease.depose(depose)) this.#runner.kick(); // free now: campaign at once
      } else if (this.#term) this.#renewed(this.#term, await this.#lease.renew(this.#term));
      else if (this.#campaigning && this.#canLead()) this.#acquired(await this.#lease.acquire());
    } catch (err) {
      // E_UNAVAILABLE and the like: the runner tries again; the lapse timer ends a term in time.
      if (isSwarmError(err, "E_CLOSED")) this.#onStoreClosed(err);
    }
  }

  /**
   * Renew (or, waiting, poll) `renewMs` after the last attempt was sent. A waiting candidate also
   * tries right when the holder's lease should have run out (measured from when its last renewal
   * was seen here, which is after it was made), unless it already tried since.
   */
  #nextDelayMs(): number | undefined {
    if (!this.#term && !this.#campaigning) return undefined;
    const now = this.#o.clock.now();
    const poll = this.#lease.lastAttemptMs + this.#o.renewMs - now;
    const r = this.#seen.record;
    if (this.#term || !r || r.holder === this.candidateId) return poll;
    const expiresAt = this.#seenAtMs + r.leaseMs + 1;
    return expiresAt > this.#lease.lastAttemptMs ? Math.min(poll, expiresAt - now) : poll;
  }

  #acquired(term: Term | undefined): void {
    if (!term) return; // E_EXISTS: somebody leads; the watch says who
    if (!this.#campaigning) {
      this.#endTerm(term, "resigned"); // resigned meanwhile: hand it back
      return;
    }
    this.#term = term;
    const seen = this.#seen;
    if (seen.revision < term.revision) {
      const record = this.#lease.record(term.token, term.sinceMs, term.sinceMs);
      this.#seen = { revision: term.revision, record };
    } else if (!this.#lease.owns(term, seen.record)) {
      this.#endTerm(term, "lost"); // already replaced, as the watch saw
      return;
    }
    this.#afterWrite(term);
  }

  /**
   * Whether this candidate may take a term now: with liveness probes, only while its Bus is
   * connected. A leader that cannot hear the swarm is no use, and one whose probes fail would be
   * deposed at once, then win again, over and over, against a candidate that can.
   */
  #canLead(): boolean {
    return this.#o.liveness?.bus.connected ?? true;
  }

  /** The probe found the holder gone: delete its lease if it is still the record we saw. */
  #onHolderGone(t: HeldTerm): void {
    const r = this.#seen.record;
    if (this.#term || !this.#campaigning || r?.holder !== t.holder || r.token !== t.token) return;
    this.#toDepose = this.#seen.revision;
    this.#runner.kick();
  }

  /** Probe the holder while waiting for someone else's lease; nothing otherwise. */
  #followHolder(): void {
    const r = this.#seen.record;
    const waiting = !this.#term && this.#campaigning && r !== undefined && r.holder !== this.candidateId;
    this.#probe?.follow(waiting ? { holder: r.holder, token: r.token } : undefined);
  }

  #renewed(term: Term, r: Renewal): void {
    if (term.ended) return; // a pending release deletes at the revision the renewal left
    if (r.kept && r.again) this.#runner.kick();
    else if (r.kept) this.#afterWrite(term);
    else {
      const e = r.entry;
      if (e) this.#onChange({ key: e.key, op: "put", value: e.value, revision: e.revision });
      else this.#seen = { revision: this.#seen.revision, record: undefined };
      this.#endTerm(term, "lost");
    }
  }

  #afterWrite(term: Term): void {
    if (this.#seen.revision < term.revision && this.#lease.owns(term, this.#seen.record)) {
      this.#seen = { ...this.#seen, revision: term.revision };
    }
    this.#lapse.set(term.validUntilMs);
    this.#followHolder();
    this.#notifier.publish(this.state());
  }

  #onChange(c: Change): void {
    if (c.revision <= this.#seen.revision) return;
    const record = c.op === "put" && c.value ? readElection(c.value, c.revision) : undefined;
    this.#seen = { revision: c.revision, record };
    if (record && record.holder !== this.candidateId) this.#seenAtMs = this.#o.clock.now();
    const term = this.#term;
    if (term && this.#lease.owns(term, record)) term.revision = Math.max(term.revision, c.revision);
    else if (term) this.#endTerm(term, "lost");
    this.#followHolder();
    this.#notifier.publish(this.state());
    if (c.op !== "put" && this.#campaigning) this.#runner.kick(); // the lease is free: try now
  }

  #endTerm(term: Term, why: "lost" | "lapsed" | "resigned"): void {
    if (term.ended) return;
    term.ended = true;
    if (this.#term === term) this.#term = undefined;
    this.#lapse.clear();
    if (why !== "lost") this.#toRelease = term;
    this.#followHolder();
    this.#notifier.publish(this.state());
    this.#runner.kick();
  }

  #checkLapse(): void {
    const t = this.#term;
    if (t && this.#o.clock.now() >= t.validUntilMs) this.#endTerm(t, "lapsed");
  }

  /** The store is closed: nothing can be renewed or released; stop everything. */
  #onStoreClosed(err: unknown): void {
    this.#campaigning = false;
    this.#toRelease = undefined;
    if (this.#term) this.#endTerm(this.#term, "lost");
    this.#stop();
    this.#notifier.rejectAll(notCampaigningError(this.group, err));
  }

  #stop(): void {
    this.#runner.stop();
    this.#lapse.clear();
    this.#probe?.close();
    this.#responder?.close();
  }
}
