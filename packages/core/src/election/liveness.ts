import {
  type Clock,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  subjects,
  type TimerHandle,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";

/** Probes in a row that must find the holder gone before it is deposed. */
export const GONE_STRIKES = 2;

/**
 * Answers liveness probes of one candidate on `subjects.electionCandidate(group, candidateId)` for
 * as long as it is open: an ElectionState naming the token of the term it holds (0 when none). The
 * subscription lives as long as the candidate's Bus connection, which is what makes it evidence: a
 * process that died has none, and the Bus says so at once (E_NO_RESPONDERS).
 */
export class LivenessResponder {
  #sub: Subscription;

  constructor(bus: Bus, group: string, candidateId: string, token: () => number | undefined, clock: Clock) {
    this.#sub = bus.subscribe(subjects.electionCandidate(group, candidateId), {
      callback: (_err, m) => {
        const state = { group, holder: candidateId, token: token() ?? 0 };
        m.respond(
          encodeEnvelope(wrap("swarmlink.v1.ElectionState", state, { source: candidateId }, { clock })),
        );
      },
    });
  }

  close(): void {
    this.#sub.unsubscribe();
  }
}

/** The term a waiting candidate believes is held: by whom, under which token. */
export interface HeldTerm {
  holder: string;
  token: number;
}

/**
 * A waiting candidate's watch on the holder of the lease: every `probeMs` it asks the holder's
 * {@link LivenessResponder} whether it is alive. `onGone` is called once `GONE_STRIKES` answers in a
 * row say the term is gone — nobody listens for the holder (E_NO_RESPONDERS: its process or its Bus
 * connection died), or the holder answers that it does not hold that token (it restarted or its
 * lease lapsed). Anything else (a timeout: paused, overloaded or cut off; a Bus error) proves
 * nothing and resets the count; the lease's expiry then decides, as it would without probes.
 */
export class HolderProbe {
  #bus: Bus;
  #group: string;
  #clock: Clock;
  #probeMs: number;
  #onGone: (t: HeldTerm) => void;
  #target: HeldTerm | undefined;
  #strikes = 0;
  #timer: TimerHandle | undefined;
  #inFlight = false;
  #closed = false;

  constructor(bus: Bus, group: string, clock: Clock, probeMs: number, onGone: (t: HeldTerm) => void) {
    this.#bus = bus;
    this.#group = group;
    this.#clock = clock;
    this.#probeMs = probeMs;
    this.#onGone = onGone;
  }

  /** Probes `target` from now on (nothing when undefined); a new target starts a new count. */
  follow(target: HeldTerm | undefined): void {
    const same = target && this.#target?.holder === target.holder && this.#target.token === target.token;
    if (same) return;
    this.#target = target;
    this.#strikes = 0;
    if (!target) this.#clear();
    else if (this.#timer === undefined && !this.#inFlight) this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#target = undefined;
    this.#clear();
  }

  #schedule(): void {
    if (this.#closed || !this.#target) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#probe();
    }, this.#probeMs);
  }

  async #probe(): Promise<void> {
    const target = this.#target;
    if (!target || this.#closed) return;
    this.#inFlight = true;
    const gone = await this.#ask(target).finally(() => {
      this.#inFlight = false;
    });
    if (this.#target === target) {
      this.#strikes = gone ? this.#strikes + 1 : 0;
      if (this.#strikes >= GONE_STRIKES) this.#onGone(target);
    }
    this.#schedule();
  }

  /** Whether the answer proves the term gone. */
  async #ask(target: HeldTerm): Promise<boolean> {
    try {
      const reply = await this.#bus.request(
        subjects.electionCandidate(this.#group, target.holder),
        undefined,
        {
          timeout: this.#probeMs,
        },
      );
      const state = unwrapAs(decodeEnvelope(reply.data), "swarmlink.v1.ElectionState");
      return state.token !== target.token;
    } catch (err) {
      return isSwarmError(err, "E_NO_RESPONDERS");
    }
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
