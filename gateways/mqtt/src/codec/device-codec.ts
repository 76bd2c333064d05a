/**
 * How a device's payloads are read and written: JSON (the default) or protobuf (topics ending in
 * `/pb`). Both give the same canonical payloads; the agent and task ids always come from the topic.
 *
 * @module
 */
import type { PayloadInit, PayloadMap, TaskState } from "@swarmlink/protocol";
import {
  bidFromJson,
  type DescriptorJson,
  descriptorFromJson,
  presenceFromJson,
  replyFromJson,
  statusFromJson,
  type TelemetryInit,
  telemetryFromJson,
} from "./inbound.js";
import { parseJson, toJsonBytes } from "./json.js";
import { awardToJson, cancelToJson, commandToJson, offerToJson } from "./outbound.js";

type Msg<K extends "Award" | "TaskOffer" | "TaskCancel" | "Command"> = PayloadMap[`swarmlink.v1.${K}`];
/** A device's command reply, canonical. */
export type ReplyInit = PayloadInit<"swarmlink.v1.CommandReply"> & { id: string };
/** A device's bid, canonical. */
export type BidInit = PayloadInit<"swarmlink.v1.Bid">;
/** A device's task status, canonical. */
export type StatusInit = PayloadInit<"swarmlink.v1.TaskResult"> & { taskId: string; state: TaskState };

/**
 * One payload format. Decoders throw SwarmError `E_DECODE` for bytes of the wrong format and
 * `E_INVALID` naming the field for a payload of the wrong shape; nothing else.
 */
export interface DeviceCodec {
  readonly name: "json" | "protobuf";
  descriptor(agentId: string, payload: Uint8Array): DescriptorJson;
  telemetry(agentId: string, stream: string, payload: Uint8Array, nowMs: number): TelemetryInit;
  reply(agentId: string, payload: Uint8Array): ReplyInit;
  bid(agentId: string, taskId: string, payload: Uint8Array): BidInit;
  status(agentId: string, taskId: string, payload: Uint8Array): StatusInit;
  presence(payload: Uint8Array): "online" | "offline";
  award(a: Msg<"Award">): Uint8Array;
  offer(o: Msg<"TaskOffer">): Uint8Array;
  cancel(c: Msg<"TaskCancel">): Uint8Array;
  command(c: Msg<"Command">): Uint8Array;
}

/** The JSON payloads of the README's table. */
export const jsonCodec: DeviceCodec = {
  name: "json",
  descriptor: (agentId, p) => descriptorFromJson(agentId, parseJson(p)),
  telemetry: (agentId, stream, p, nowMs) => telemetryFromJson(agentId, stream, parseJson(p), nowMs),
  reply: (agentId, p) => replyFromJson(agentId, parseJson(p)),
  bid: (agentId, taskId, p) => bidFromJson(agentId, taskId, parseJson(p)),
  status: (agentId, taskId, p) => statusFromJson(agentId, taskId, parseJson(p)),
  presence: (p) => presenceFromJson(parseJson(p)),
  award: (a) => toJsonBytes(awardToJson(a)),
  offer: (o) => toJsonBytes(offerToJson(o)),
  cancel: (c) => toJsonBytes(cancelToJson(c)),
  command: (c) => toJsonBytes(commandToJson(c)),
};
