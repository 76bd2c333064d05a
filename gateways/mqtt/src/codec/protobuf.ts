/**
 * The protobuf payloads of `/pb` topics: the canonical messages themselves (schemas/swarmlink/v1).
 * Device → swarm: `AgentDescriptor` (register), `Telemetry`, `CommandReply`, `Bid`, `TaskResult`
 * (status), `Presence` (will); swarm → device: `Award`, `TaskOffer`, `TaskCancel`, `Command`. Ids
 * in the payload are overwritten with the topic's: a device speaks only for itself.
 *
 * @module
 */
import {
  AgentKind,
  decodePayload,
  encodePayload,
  type PayloadType,
  PresenceStatus,
  SwarmError,
} from "@swarmlink/protocol";
import type { DeviceCodec } from "./device-codec.js";
import { STATUS_STATES } from "./inbound.js";
import { num } from "./json.js";

const STATES = new Set(Object.values(STATUS_STATES));

/** Decodes; anything but a SwarmError from the generated code becomes E_DECODE. */
function decode<K extends PayloadType>(type: K, p: Uint8Array) {
  try {
    return decodePayload(type, p);
  } catch (err) {
    if (err instanceof SwarmError) throw err;
    throw new SwarmError("E_DECODE", `${type}: ${String(err)}`, { type }, { cause: err });
  }
}

export const protobufCodec: DeviceCodec = {
  name: "protobuf",
  descriptor(agentId, p) {
    const d = decode("swarmlink.v1.AgentDescriptor", p);
    return {
      id: agentId,
      kind: d.kind === AgentKind.AGENT_KIND_UNSPECIFIED ? AgentKind.AGENT_KIND_ROBOT : d.kind,
      capabilities: d.capabilities,
      attributes: d.attributes,
      position: d.position ?? undefined,
      credits: d.credits || 1, // proto3 cannot tell 0 from absent: absent means 1, as in JSON
      displayName: d.displayName || undefined,
      softwareVersion: d.softwareVersion || undefined,
    };
  },
  telemetry(agentId, stream, p, nowMs) {
    const t = decode("swarmlink.v1.Telemetry", p);
    return {
      agentId,
      stream,
      pose: t.pose ?? undefined,
      battery: t.battery ?? undefined,
      status: t.status ?? undefined,
      values: t.values ?? undefined,
      json: t.body === "json" ? t.json : undefined,
      sampleTimeMs: Number(t.sampleTimeMs) || nowMs,
    };
  },
  reply(agentId, p) {
    const r = decode("swarmlink.v1.CommandReply", p);
    if (!r.id) throw new SwarmError("E_INVALID", "id must be a command id", { field: "id" });
    return { id: r.id, agentId, status: r.status, result: r.result, error: r.error ?? undefined };
  },
  bid(agentId, taskId, p) {
    const b = decode("swarmlink.v1.Bid", p);
    return { taskId, agentId, cost: num("cost", b.cost), round: b.round };
  },
  status(agentId, taskId, p) {
    const r = decode("swarmlink.v1.TaskResult", p);
    if (!STATES.has(r.state))
      throw new SwarmError("E_INVALID", "state must be ACCEPTED, REJECTED, PROGRESS, SUCCEEDED or FAILED", {
        field: "state",
      });
    return {
      taskId,
      agentId,
      state: r.state,
      attempt: r.attempt,
      progress: r.progress || undefined,
      result: r.result,
      error: r.error ?? undefined,
    };
  },
  presence(p) {
    const s = decode("swarmlink.v1.Presence", p).status;
    return s === PresenceStatus.PRESENCE_STATUS_OFFLINE ? "offline" : "online";
  },
  award: (a) => encodePayload("swarmlink.v1.Award", a),
  offer: (o) => encodePayload("swarmlink.v1.TaskOffer", o),
  cancel: (c) => encodePayload("swarmlink.v1.TaskCancel", c),
  command: (c) => encodePayload("swarmlink.v1.Command", c),
};
