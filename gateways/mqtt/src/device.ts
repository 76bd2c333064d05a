import {
  deregisterAgent,
  isReregisterRequest,
  registerAgent,
  sendHeartbeat,
  TokenFence,
} from "@swarmlink/core";
import { type Clock, mqttTopics, subjectPatterns, subjects, type TimerHandle } from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { AwardDesk } from "./awards.js";
import { type DeviceCodec, jsonCodec } from "./codec/device-codec.js";
import type { DescriptorJson } from "./codec/inbound.js";
import { CommandDesk } from "./commands.js";
import type { GatewayContext } from "./context.js";
import { tryUnwrap } from "./wire.js";

/** The reason a session closes when the gateway does: its status reports stop too. */
export const GATEWAY_CLOSED = "gateway-closed";

/**
 * One connected device, acting for it on the Bus as an SDK agent would (wire contract items 1–9):
 * registers on its `register` publish, heartbeats while the connection lives (the gateway's own
 * timer, not the device's), registers again on a "re-register" presence, forwards awards, offers,
 * cancels and commands to it, and deregisters when it goes (last will or socket loss).
 */
export class DeviceSession {
  readonly agentId: string;
  readonly fence = new TokenFence();
  readonly awards: AwardDesk;
  readonly commands: CommandDesk;
  /** How this device's payloads are written: the format of its last `register` publish. */
  codec: DeviceCodec = jsonCodec;
  #ctx: GatewayContext;
  #bus: Bus;
  #clock: Clock;
  #subs: Subscription[] = [];
  #descriptor: DescriptorJson | undefined;
  #epoch: number | undefined;
  #seq = 0;
  #hb: TimerHandle | undefined;
  #closed = false;

  constructor(ctx: GatewayContext, agentId: string) {
    this.#ctx = ctx;
    this.agentId = agentId;
    this.#bus = ctx.o.bus;
    this.#clock = ctx.o.clock;
    this.awards = new AwardDesk(ctx, this);
    this.commands = new CommandDesk(ctx, this);
    const sub = (subject: string, on: (data: Uint8Array, respond: (d: Uint8Array) => boolean) => void) =>
      this.#subs.push(this.#bus.subscribe(subject, { callback: (_e, m) => on(m.data, (d) => m.respond(d)) }));
    sub(subjects.agentTaskAward(agentId), (d, respond) => this.awards.onAward(d, respond));
    sub(subjects.agentTaskOffer(agentId), (d) => {
      const offer = tryUnwrap(d, "swarmlink.v1.TaskOffer");
      if (offer) this.send(mqttTopics.taskOffer(agentId), this.codec.offer(offer));
    });
    sub(subjects.agentTaskCancel(agentId), (d) => {
      const c = tryUnwrap(d, "swarmlink.v1.TaskCancel");
      if (c) this.send(mqttTopics.taskCancel(agentId), this.codec.cancel(c));
    });
    sub(subjectPatterns.agentCommands(agentId), (d, respond) => this.commands.onCommand(d, respond));
    sub(subjects.agentPresence(agentId), (d) => {
      const p = tryUnwrap(d, "swarmlink.v1.Presence");
      if (p && isReregisterRequest(p) && this.#descriptor)
        void this.register(this.#descriptor).catch(() => {});
    });
  }

  /** Publishes `payload` (written by `codec`) to the device on `topic` (with `/pb` for protobuf; QoS 1). */
  send(topic: string, payload: Uint8Array): void {
    const t = this.codec.name === "protobuf" ? mqttTopics.protobuf(topic) : topic;
    this.#ctx.sendToDevice(this.agentId, t, payload);
  }

  get registered(): boolean {
    return this.#epoch !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers (again) with the device's descriptor and starts heartbeating. @throws SwarmError from the registry. */
  async register(descriptor: DescriptorJson): Promise<number> {
    this.#descriptor = descriptor;
    await this.#bus.flush();
    const t0 = this.#clock.now();
    const p = await registerAgent(this.#bus, descriptor, {
      timeout: this.#ctx.o.busRequestTimeoutMs,
      clock: this.#clock,
    });
    this.#ctx.lag?.observe(this.#clock.now() - t0);
    if (this.#closed) return p.epoch;
    if (this.#epoch === undefined) this.#ctx.stats.registered++;
    this.#epoch = p.epoch;
    this.#seq = 0;
    this.#beat();
    return p.epoch;
  }

  /** Leaves the swarm (deregister with `reason`) and stops acting for the device. Idempotent. */
  async close(reason: string): Promise<void> {
    // status reports the device was PUBACKed for outlive it, unless the gateway itself closes
    this.awards.close(reason === GATEWAY_CLOSED ? 0 : this.#ctx.o.reportGraceMs);
    if (this.#closed) return;
    this.#closed = true;
    if (this.#hb) this.#clock.clearTimeout(this.#hb);
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    this.commands.close();
    const epoch = this.#epoch;
    if (epoch === undefined) return;
    this.#ctx.stats.registered--;
    this.#epoch = undefined;
    await deregisterAgent(this.#bus, this.agentId, epoch, {
      reason,
      timeout: this.#ctx.o.busRequestTimeoutMs,
      clock: this.#clock,
    }).catch((err: unknown) => this.#ctx.o.log.warn({ agentId: this.agentId, err }, "deregister failed"));
  }

  #beat = (): void => {
    if (this.#hb) this.#clock.clearTimeout(this.#hb);
    if (this.#closed || this.#epoch === undefined) return;
    try {
      sendHeartbeat(
        this.#bus,
        { agentId: this.agentId, epoch: this.#epoch, seq: ++this.#seq, inFlight: this.awards.running },
        { clock: this.#clock },
      );
    } catch {
      // the Bus is closing: the next beat (or close) settles it
    }
    this.#hb = this.#clock.setTimeout(this.#beat, this.#ctx.o.heartbeatIntervalMs);
  };
}
