import type { DescriptorInit } from "@swarmlink/core";
import { deregisterAgent, isReregisterRequest, registerAgent, sendHeartbeat } from "@swarmlink/core";
import {
  type Clock,
  decodeEnvelope,
  isSwarmError,
  subjects,
  type TimerHandle,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import type { CountMalformed } from "./frames.js";
import type { ParsedTuning } from "./options.js";

/**
 * One agent's membership: registers (a new epoch), heartbeats on the clock, registers again when the
 * registry asks ("re-register" presence) or the link came back, and deregisters on close. A failed
 * registration is retried every `retryMs` until it succeeds or the session closes.
 */
export class Session {
  epoch = 0;
  seq = 0;
  /** Registrations after the first: on a re-register request or a reconnect. */
  reregistrations = 0;
  /** Tasks in flight, sent with each heartbeat. */
  inFlight = 0;
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #descriptor: DescriptorInit & { id: string };
  readonly #o: ParsedTuning;
  readonly #malformed: CountMalformed;
  #sub: Subscription | undefined;
  #timer: TimerHandle | undefined;
  #registering: Promise<void> | undefined;
  #closed = false;
  /** Descriptor changes made, and the count of them the last successful registration carried. */
  #changes = 0;
  #registeredChanges = 0;

  constructor(
    bus: Bus,
    clock: Clock,
    descriptor: DescriptorInit & { id: string },
    o: ParsedTuning,
    malformed: CountMalformed,
  ) {
    this.#malformed = malformed;
    this.#bus = bus;
    this.#clock = clock;
    this.#descriptor = descriptor;
    this.#o = o;
  }

  get id(): string {
    return this.#descriptor.id;
  }

  /** Registers once (the caller sees its error) and starts heartbeating. */
  async start(): Promise<void> {
    this.#sub = this.#bus.subscribe(subjects.agentPresence(this.id), {
      callback: (_e, m) => {
        try {
          const p = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Presence");
          if (isReregisterRequest(p) && Number(p.epoch ?? 0) >= this.epoch) this.reregister();
        } catch {
          this.#malformed("presence"); // not a presence: counted, ignored
        }
      },
    });
    await this.#register();
    this.#tick();
  }

  /** Registers again (a new epoch) unless a registration is already under way; retried until it succeeds. */
  reregister(): void {
    if (this.#closed || this.#registering) return;
    this.reregistrations++;
    this.#registering = (async () => {
      while (!this.#closed) {
        try {
          await this.#register();
          return;
        } catch {
          await new Promise<void>((r) => this.#clock.setTimeout(r, this.#o.retryMs));
        }
      }
    })().finally(() => {
      this.#registering = undefined;
    });
  }

  /**
   * Applies `changes` to the descriptor and registers again (a new epoch) with them; resolves once
   * a registration carrying them succeeded, or the session closed. Registration retries as `reregister`.
   */
  async update(changes: Partial<DescriptorInit>): Promise<void> {
    Object.assign(this.#descriptor, changes);
    const change = ++this.#changes;
    while (!this.#closed && this.#registeredChanges < change) {
      if (!this.#registering) this.reregister();
      await this.#registering;
    }
  }

  /** Stops heartbeating and leaves the swarm (best effort: an unreachable registry marks it offline later). */
  async close(reason = "deregistered"): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#sub?.unsubscribe();
    await this.#registering?.catch(() => {});
    if (this.epoch === 0) return;
    try {
      await deregisterAgent(this.#bus, this.id, this.epoch, {
        reason,
        clock: this.#clock,
        timeout: this.#o.requestTimeoutMs,
      });
    } catch (err) {
      if (!isSwarmError(err, "E_TIMEOUT", "E_NO_RESPONDERS", "E_CLOSED", "E_FENCED", "E_UNAVAILABLE"))
        throw err;
    }
  }

  async #register(): Promise<void> {
    const changes = this.#changes;
    const p = await registerAgent(this.#bus, this.#descriptor, {
      clock: this.#clock,
      timeout: this.#o.requestTimeoutMs,
    });
    this.epoch = p.epoch;
    this.seq = 0;
    this.#registeredChanges = Math.max(this.#registeredChanges, changes);
  }

  #tick = (): void => {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(this.#tick, this.#o.heartbeatIntervalMs);
    if (this.#registering || this.epoch === 0) return;
    try {
      sendHeartbeat(
        this.#bus,
        { agentId: this.id, epoch: this.epoch, seq: ++this.seq, inFlight: this.inFlight },
        { clock: this.#clock },
      );
    } catch {
      // E_OVERFLOW / E_CLOSED while the link is down: the next beat tries again
    }
  };
}
