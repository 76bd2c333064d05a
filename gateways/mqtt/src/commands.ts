import { CommandStatus, mqttTopics, type PayloadInit, type TimerHandle } from "@swarmlink/protocol";
import type { GatewayContext } from "./context.js";
import type { DeviceSession } from "./device.js";
import { envelope, tryUnwrap } from "./wire.js";

type Reply = PayloadInit<"swarmlink.v1.CommandReply">;
/** Most command replies remembered for de-duplication (delivery is at-least-once). */
const MAX_REMEMBERED_REPLIES = 256;

/**
 * Commands for one device (wire contract item 9): a Bus request on `agents.{id}.cmd.{name}` is
 * published to `swarm/{id}/cmd/{name}` as `{"id","args","deadlineMs"}`; the device's
 * `…/cmd/{name}/reply` with the same id answers it; none within the deadline (the command's own,
 * or `commandTimeoutMs` if sooner) → TIMEOUT. A command id seen before gets the same reply again,
 * or waits for the one in flight.
 */
export class CommandDesk {
  #ctx: GatewayContext;
  #agentId: string;
  #dev: DeviceSession;
  #pending = new Map<string, { responders: ((d: Uint8Array) => boolean)[]; timer: TimerHandle }>();
  #done = new Map<string, Uint8Array>();

  constructor(ctx: GatewayContext, dev: DeviceSession) {
    this.#ctx = ctx;
    this.#dev = dev;
    this.#agentId = dev.agentId;
  }

  onCommand(data: Uint8Array, respond: (d: Uint8Array) => boolean): void {
    const cmd = tryUnwrap(data, "swarmlink.v1.Command");
    if (!cmd) return;
    const done = this.#done.get(cmd.id);
    if (done) {
      respond(done);
      return;
    }
    const inFlight = this.#pending.get(cmd.id);
    if (inFlight) {
      inFlight.responders.push(respond);
      return;
    }
    const { clock, commandTimeoutMs } = this.#ctx.o;
    const deadline = Number(cmd.deadlineMs);
    const waitMs =
      deadline > 0 ? Math.max(1, Math.min(commandTimeoutMs, deadline - clock.now())) : commandTimeoutMs;
    const timer = clock.setTimeout(() => {
      this.settle({ id: cmd.id, agentId: this.#agentId, status: CommandStatus.COMMAND_STATUS_TIMEOUT });
    }, waitMs);
    this.#pending.set(cmd.id, { responders: [respond], timer });
    this.#dev.send(mqttTopics.command(this.#agentId, cmd.name), this.#dev.codec.command(cmd));
  }

  /** A reply from the device (or the timeout): answers every waiting request. False if none waited. */
  settle(reply: Reply & { id: string }): boolean {
    const p = this.#pending.get(reply.id);
    if (!p) return false;
    this.#pending.delete(reply.id);
    this.#ctx.o.clock.clearTimeout(p.timer);
    const data = envelope("swarmlink.v1.CommandReply", reply, this.#agentId, this.#ctx.o.clock);
    this.#done.set(reply.id, data);
    if (this.#done.size > MAX_REMEMBERED_REPLIES) this.#done.delete(this.#done.keys().next().value as string);
    for (const r of p.responders) r(data);
    return true;
  }

  close(): void {
    for (const p of this.#pending.values()) this.#ctx.o.clock.clearTimeout(p.timer);
    this.#pending.clear();
  }
}
