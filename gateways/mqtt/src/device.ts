import { deregisterAgent, isReregisterRequest, registerAgent, sendHeartbeat } from "@swarmlink/core";
import { mqttTopics, subjectPatterns, type TimerHandle } from "@swarmlink/protocol";
import type { Subscription } from "@swarmlink/transport";
import { AwardDesk } from "./awards.js";
import { type DeviceCodec, jsonCodec, type ReplyInit } from "./codec/device-codec.js";
import type { DescriptorJson } from "./codec/inbound.js";
import { CommandDesk } from "./commands.js";
import type { GatewayContext } from "./context.js";
import { tryUnwrap } from "./wire.js";

/** The reason a session closes when the gateway does: its status reports stop too. */
export const GATEWAY_CLOSED = "gateway-closed";

/**
 * One device, acting for it on the Bus as an SDK agent would (wire contract items 1–9): registers
 * on its `register` publish, heartbeats while the connection lives (the gateway's own timer, not
 * the device's), registers again on a "re-register" presence, forwards awards, offers, cancels and
 * commands to it, and deregisters when it goes (last will or socket loss).
 *
 * A session costs little until it is used, since a fleet is mostly idle devices: its only Bus
 * subscription, the device's commands, exists while it is registered (awards, offers, cancels and
 * presence reach it through the gateway's fleet-wide routes, ./routes.ts), and it makes its award
 * desk (with the fencing tokens) and its command desk on the first award or status and the first
 * command or reply.
 */
export class DeviceSession {
  readonly agentId: string;
  /** How this device's payloads are written: the format of its last `register` publish. */
  codec: DeviceCodec = jsonCodec;
  #ctx: GatewayContext;
  /** The device's commands, while it is registered: the Bus then knows someone serves them. */
  #commandSub: Subscription | undefined;
  #awards: AwardDesk | undefined;
  #commands: CommandDesk | undefined;
  #descriptor: DescriptorJson | undefined;
  #epoch: number | undefined;
  #seq = 0;
  /** Registrations in flight: a failed one drops the command subscription only if no other may succeed. */
  #registering = 0;
  #hb: TimerHandle | undefined;
  #closed = false;

  constructor(ctx: GatewayContext, agentId: string) {
    this.#ctx = ctx;
    this.agentId = agentId;
  }

  /** The device's awards and status reports. */
  get awards(): AwardDesk {
    if (!this.#awards) {
      this.#awards = new AwardDesk(this.#ctx, this);
      if (this.#closed) this.#awards.close(0);
    }
    return this.#awards;
  }

  /** The device's commands in flight. */
  get commands(): CommandDesk {
    if (!this.#commands) {
      this.#commands = new CommandDesk(this.#ctx, this);
      if (this.#closed) this.#commands.close();
    }
    return this.#commands;
  }

  /** A reply from the device: answers the command of its id. False if no command waited for it. */
  settleCommand(reply: ReplyInit): boolean {
    return this.#commands?.settle(reply) ?? false;
  }

  /** Status reports the device was PUBACKed for and the leader has not acknowledged yet. */
  get pendingReports(): number {
    return this.#awards?.pendingReports ?? 0;
  }

  /** Publishes `payload` (written by `codec`) to the device on `topic` (with `/pb` for protobuf; QoS 1). */
  send(topic: string, payload: Uint8Array): void {
    const t = this.codec.name === "protobuf" ? mqttTopics.protobuf(topic) : topic;
    this.#ctx.sendToDevice(this.agentId, t, payload);
  }

  get registered(): boolean {
    return this.#epoch !== undefined;
  }

  /** Registered or registering: the swarm may address it (an award can beat the register's answer). */
  get inSwarm(): boolean {
    return this.#commandSub !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers (again) with the device's descriptor and starts heartbeating. Its commands are
   * subscribed first, so that none the swarm sends once the device is online finds no one.
   * @throws SwarmError from the registry.
   */
  async register(descriptor: DescriptorJson): Promise<number> {
    const { bus, clock, busRequestTimeoutMs } = this.#ctx.o;
    this.#descriptor = descriptor;
    if (!this.#closed)
      this.#commandSub ??= bus.subscribe(subjectPatterns.agentCommands(this.agentId), {
        callback: (_err, m) => this.commands.onCommand(m.data, (d) => m.respond(d)),
      });
    const t0 = clock.now();
    let epoch: number;
    this.#registering++;
    try {
      await bus.flush();
      ({ epoch } = await registerAgent(bus, descriptor, { timeout: busRequestTimeoutMs, clock }));
    } catch (err) {
      // never in the swarm: no interest in its subjects either
      if (this.#epoch === undefined && this.#registering === 1) this.#unsubscribe();
      throw err;
    } finally {
      this.#registering--;
    }
    this.#ctx.lag?.observe(clock.now() - t0);
    if (this.#closed) return epoch;
    if (this.#epoch === undefined) this.#ctx.stats.registered++;
    this.#epoch = epoch;
    this.#seq = 0;
    this.#beat();
    return epoch;
  }

  /** A presence of this agent the swarm published: the registry's "re-register" request is obeyed. */
  onPresence(data: Uint8Array): void {
    if (this.#closed || !this.#descriptor) return;
    const p = tryUnwrap(data, "swarmlink.v1.Presence");
    if (p && isReregisterRequest(p)) void this.register(this.#descriptor).catch(() => {});
  }

  /** Leaves the swarm (deregister with `reason`) and stops acting for the device. Idempotent. */
  async close(reason: string): Promise<void> {
    // status reports the device was PUBACKed for outlive it, unless the gateway itself closes
    this.#awards?.close(reason === GATEWAY_CLOSED ? 0 : this.#ctx.o.reportGraceMs);
    if (this.#closed) return;
    this.#closed = true;
    if (this.#hb) this.#ctx.o.clock.clearTimeout(this.#hb);
    this.#unsubscribe();
    this.#commands?.close();
    const epoch = this.#epoch;
    if (epoch === undefined) return;
    this.#ctx.stats.registered--;
    this.#epoch = undefined;
    const { bus, clock, busRequestTimeoutMs, log } = this.#ctx.o;
    await deregisterAgent(bus, this.agentId, epoch, { reason, timeout: busRequestTimeoutMs, clock }).catch(
      (err: unknown) => log.warn({ agentId: this.agentId, err }, "deregister failed"),
    );
  }

  #unsubscribe(): void {
    this.#commandSub?.unsubscribe();
    this.#commandSub = undefined;
  }

  #beat = (): void => {
    const { bus, clock, heartbeatIntervalMs } = this.#ctx.o;
    if (this.#hb) clock.clearTimeout(this.#hb);
    if (this.#closed || this.#epoch === undefined) return;
    try {
      const inFlight = this.#awards?.running ?? 0;
      sendHeartbeat(
        bus,
        { agentId: this.agentId, epoch: this.#epoch, seq: ++this.#seq, inFlight },
        { clock },
      );
    } catch {
      // the Bus is closing: the next beat (or close) settles it
    }
    this.#hb = clock.setTimeout(this.#beat, heartbeatIntervalMs);
  };
}
