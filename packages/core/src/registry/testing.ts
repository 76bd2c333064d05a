import {
  type Clock,
  decodeEnvelope,
  encodeEnvelope,
  subjects,
  systemClock,
  type TimerHandle,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import type { PresenceEvent } from "../types.js";
import type { DescriptorInit } from "./agent.js";
import { deregisterAgent, registerAgent, sendHeartbeat } from "./client.js";
import { presenceEventOf } from "./convert.js";
import { isReregisterRequest } from "./reasons.js";

/** Options of {@link SimulatedAgent}. */
export interface SimulatedAgentOptions {
  /** Drives heartbeats and envelope times. @default systemClock */
  clock?: Clock;
  /** Time between two heartbeats, in ms. @default 1000 */
  heartbeatIntervalMs?: number;
  /** Register again on a "re-register" Presence, as the SDK does. @default true */
  reregister?: boolean;
  /** Deadline of register/deregister requests, in ms. @default 5000 */
  timeout?: number;
}

/**
 * An agent as the registry sees one, for tests and simulations: registers, heartbeats on the
 * Clock, moves (pose telemetry), deregisters, and re-registers when asked. `halt()` stops its
 * heartbeats without a word, as a crash or a half-open connection would.
 *
 * @example
 * ```ts
 * const agent = new SimulatedAgent(bus, { id: "amr-07", capabilities: ["lift"] }, { clock });
 * await agent.register();
 * agent.start(); // heartbeats every second of `clock`
 * agent.close();
 * ```
 */
export class SimulatedAgent {
  readonly id: string;
  descriptor: DescriptorInit & { id: string };
  /** Epoch of the current session; 0 before registering. */
  epoch = 0;
  /** Sequence of the last heartbeat sent. */
  seq = 0;
  inFlight = 0;
  /** Presence events about this agent, as received on its presence subject. */
  readonly presences: PresenceEvent[] = [];
  /** Registrations done on a "re-register" request. */
  reregistrations = 0;
  /** The last error of a registration made on a "re-register" request. */
  lastError: unknown;
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #reregister: boolean;
  readonly #timeout: number | undefined;
  #sub: Subscription | undefined;
  #timer: TimerHandle | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(bus: Bus, descriptor: DescriptorInit & { id: string }, opts: SimulatedAgentOptions = {}) {
    this.id = descriptor.id;
    this.descriptor = descriptor;
    this.#bus = bus;
    this.#clock = opts.clock ?? systemClock;
    this.#intervalMs = opts.heartbeatIntervalMs ?? 1000;
    this.#reregister = opts.reregister ?? true;
    this.#timeout = opts.timeout;
  }

  /** Registers (a new session) and returns the epoch granted. */
  async register(): Promise<number> {
    this.#listen();
    const p = await registerAgent(this.#bus, this.descriptor, { clock: this.#clock, timeout: this.#timeout });
    this.epoch = p.epoch;
    this.seq = 0;
    return p.epoch;
  }

  /** Starts heartbeating: one now, then one every interval. */
  start(): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      this.#timer = this.#clock.setTimeout(tick, this.#intervalMs);
      this.beat();
    };
    tick();
  }

  /** Stops heartbeating silently (a crash, a half-open connection). */
  halt(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends one heartbeat now, of the current epoch unless told otherwise. */
  beat(epoch = this.epoch): void {
    sendHeartbeat(
      this.#bus,
      { agentId: this.id, epoch, seq: ++this.seq, inFlight: this.inFlight },
      { clock: this.#clock },
    );
  }

  /** Publishes a pose at (x, y) in the site frame. */
  move(x: number, y: number): void {
    const env = wrap(
      "swarmlink.v1.Telemetry",
      { agentId: this.id, stream: "pose", pose: { position: { cartesian: { x, y } } } },
      { source: this.id },
      { clock: this.#clock },
    );
    this.#bus.publish(subjects.agentTelemetry(this.id, "pose"), encodeEnvelope(env));
  }

  async deregister(reason?: string): Promise<PresenceEvent> {
    return deregisterAgent(this.#bus, this.id, this.epoch, {
      clock: this.#clock,
      timeout: this.#timeout,
      reason,
    });
  }

  /** Resolves once a registration started by a "re-register" request has finished. */
  settled(): Promise<unknown> {
    return this.#pending;
  }

  /** Stops heartbeats and the presence subscription. */
  close(): void {
    this.halt();
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }

  #listen(): void {
    if (this.#sub) return;
    this.#sub = this.#bus.subscribe(subjects.agentPresence(this.id), {
      callback: (_err, msg) => {
        try {
          const p = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.Presence");
          const e = presenceEventOf(p);
          if (e) this.presences.push(e);
          if (this.#reregister && isReregisterRequest(p)) {
            this.reregistrations++;
            this.#pending = this.register().catch((err: unknown) => {
              this.lastError = err;
            });
          }
        } catch (err) {
          this.lastError = err;
        }
      },
    });
  }
}
