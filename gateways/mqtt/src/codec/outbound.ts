/**
 * Swarm → device: canonical payloads to the JSON firmware reads (see the table in the gateway README).
 *
 * @module
 */
import type { PayloadMap, swarmlink } from "@swarmlink/protocol";
import { valueOfBytes } from "./json.js";

type Task = swarmlink.v1.Task.$Properties;
type Position = swarmlink.v1.Position.$Properties;
type Msg<K extends "Award" | "TaskOffer" | "TaskCancel" | "Command"> = PayloadMap[`swarmlink.v1.${K}`];

/** A task as the device sees it. */
export function taskToJson(t: Task | null | undefined): Record<string, unknown> | undefined {
  if (!t) return undefined;
  return {
    id: t.id,
    kind: t.kind,
    capabilities: t.capabilities,
    attributes: t.attributes,
    position: positionToJson(t.position),
    priority: t.priority,
    deadlineMs: Number(t.deadlineMs),
    payload: valueOfBytes(t.payload),
  };
}

function positionToJson(p: Position | null | undefined): Record<string, unknown> | undefined {
  if (p?.cartesian)
    return { x: p.cartesian.x, y: p.cartesian.y, z: p.cartesian.z, frame: p.cartesian.frame || undefined };
  if (p?.geo) return { lat: p.geo.lat, lon: p.geo.lon, alt: p.geo.alt };
  return undefined;
}

/** `swarm/{id}/tasks/award`: `{"taskId","attempt","fencingToken","coordinatorId","deadlineMs","task"}`. */
export function awardToJson(a: Msg<"Award">): Record<string, unknown> {
  return {
    taskId: a.taskId,
    attempt: a.attempt,
    fencingToken: Number(a.fencingToken),
    coordinatorId: a.coordinatorId,
    deadlineMs: Number(a.deadlineMs),
    task: taskToJson(a.task),
  };
}

/** `swarm/{id}/tasks/offer`: `{"taskId","round","bidDeadlineMs","task"}`; answer on `…/tasks/{taskId}/bid`. */
export function offerToJson(o: Msg<"TaskOffer">): Record<string, unknown> {
  return {
    taskId: o.task?.id ?? "",
    round: o.round,
    bidDeadlineMs: Number(o.bidDeadlineMs),
    task: taskToJson(o.task),
  };
}

/** `swarm/{id}/tasks/cancel`: `{"taskId","reason"}`. */
export function cancelToJson(c: Msg<"TaskCancel">): Record<string, unknown> {
  return { taskId: c.taskId, reason: c.reason };
}

/** `swarm/{id}/cmd/{name}`: `{"id","args","deadlineMs"}`; args are the command's JSON. */
export function commandToJson(c: Msg<"Command">): Record<string, unknown> {
  return { id: c.id, args: valueOfBytes(c.args), deadlineMs: Number(c.deadlineMs) };
}
