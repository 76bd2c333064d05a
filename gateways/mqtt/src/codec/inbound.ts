/**
 * Device → swarm: firmware JSON to the canonical payloads (see the table in the gateway README).
 * Every function throws SwarmError `E_INVALID` naming the field for a wrong type, never anything else.
 *
 * @module
 */
import {
  AGENT_KIND_NAMES,
  AgentKind,
  agentKindOf,
  CommandStatus,
  SwarmError,
  type swarmlink,
  TaskState,
} from "@swarmlink/protocol";
import { count, jsonBytesOf, num, object, str, stringMap, strings } from "./json.js";

export type DescriptorJson = swarmlink.v1.AgentDescriptor.$Properties & { id: string };
export type TelemetryInit = swarmlink.v1.Telemetry.$Properties;
export type PositionInit = swarmlink.v1.Position.$Properties;

/** Device states in `…/tasks/{taskId}/status`, to the canonical TaskState. */
export const STATUS_STATES: Record<string, TaskState> = {
  accepted: TaskState.TASK_STATE_ACCEPTED,
  rejected: TaskState.TASK_STATE_REJECTED,
  progress: TaskState.TASK_STATE_PROGRESS,
  succeeded: TaskState.TASK_STATE_SUCCEEDED,
  failed: TaskState.TASK_STATE_FAILED,
};

/** `{"x","y","z"?,"frame"?}` or `{"lat","lon","alt"?}` to a Position. */
export function positionFromJson(field: string, v: unknown): PositionInit {
  const o = object(field, v);
  if ("lat" in o || "lon" in o) {
    return {
      geo: {
        lat: num(`${field}.lat`, o.lat),
        lon: num(`${field}.lon`, o.lon),
        alt: opt(o.alt, num, `${field}.alt`),
      },
    };
  }
  return {
    cartesian: {
      x: num(`${field}.x`, o.x),
      y: num(`${field}.y`, o.y),
      z: opt(o.z, num, `${field}.z`),
      frame: opt(o.frame, str, `${field}.frame`),
    },
  };
}

/** `swarm/{id}/register`: `{"kind","capabilities","attributes","position","credits","displayName","softwareVersion"}`, all optional. */
export function descriptorFromJson(agentId: string, v: unknown): DescriptorJson {
  const o = object("descriptor", v);
  let kind = AgentKind.AGENT_KIND_ROBOT;
  if (o.kind !== undefined) {
    const name = str("kind", o.kind);
    const k = agentKindOf(name);
    if (k === undefined)
      throw new SwarmError("E_INVALID", `kind must be one of ${Object.keys(AGENT_KIND_NAMES).join(", ")}`, {
        field: "kind",
      });
    kind = k;
  }
  return {
    id: agentId,
    kind,
    capabilities: opt(o.capabilities, strings, "capabilities") ?? [],
    attributes: opt(o.attributes, stringMap, "attributes") ?? {},
    position: o.position === undefined ? undefined : positionFromJson("position", o.position),
    credits: opt(o.credits, count, "credits") ?? 1,
    displayName: opt(o.displayName, str, "displayName"),
    softwareVersion: opt(o.softwareVersion, str, "softwareVersion"),
  };
}

/**
 * `swarm/{id}/telemetry/{stream}`: stream "pose" `{"x","y",…,"headingDeg","speedMps"}` (or
 * `{"position":{…}}`), "battery" `{"percent","charging","voltage"}` become typed; anything else,
 * any JSON value, travels as JSON bytes.
 */
export function telemetryFromJson(
  agentId: string,
  stream: string,
  v: unknown,
  sampleTimeMs: number,
): TelemetryInit {
  const base = { agentId, stream, sampleTimeMs };
  if (stream === "pose") {
    const o = object("pose", v);
    const position = positionFromJson(o.position === undefined ? "pose" : "pose.position", o.position ?? o);
    return {
      ...base,
      pose: {
        position,
        headingDeg: opt(o.headingDeg, num, "headingDeg"),
        speedMps: opt(o.speedMps, num, "speedMps"),
      },
    };
  }
  if (stream === "battery") {
    const o = object("battery", v);
    const charging = o.charging === undefined ? undefined : o.charging === true;
    return {
      ...base,
      battery: { percent: num("percent", o.percent), charging, voltage: opt(o.voltage, num, "voltage") },
    };
  }
  return { ...base, json: jsonBytesOf(v) };
}

/** `swarm/{id}/cmd/{name}/reply`: `{"id","ok","result"|"error"}`; error a string or `{"code","message"}`. */
export function replyFromJson(agentId: string, v: unknown) {
  const o = object("reply", v);
  const id = str("id", o.id);
  if (typeof o.ok !== "boolean") throw new SwarmError("E_INVALID", "ok must be a boolean", { field: "ok" });
  if (o.ok) return { id, agentId, status: CommandStatus.COMMAND_STATUS_OK, result: jsonBytesOf(o.result) };
  const e =
    typeof o.error === "object" && o.error !== null
      ? (o.error as Record<string, unknown>)
      : { message: o.error };
  const code = typeof e.code === "string" ? e.code : "E_AGENT";
  const status =
    code === "UNKNOWN_COMMAND"
      ? CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND
      : CommandStatus.COMMAND_STATUS_ERROR;
  const message = typeof e.message === "string" ? e.message : code;
  return { id, agentId, status, error: { code, message, context: {} } };
}

/** `swarm/{id}/tasks/{taskId}/bid`: `{"cost","round"?}`. */
export function bidFromJson(agentId: string, taskId: string, v: unknown) {
  const o = object("bid", v);
  return { taskId, agentId, cost: num("cost", o.cost), round: opt(o.round, count, "round") ?? 0 };
}

/** `swarm/{id}/tasks/{taskId}/status`: `{"state","attempt"?,"progress"?,"result"?,"error"?}`. */
export function statusFromJson(agentId: string, taskId: string, v: unknown) {
  const o = object("status", v);
  const name = str("state", o.state);
  const state = Object.hasOwn(STATUS_STATES, name) ? STATUS_STATES[name] : undefined;
  if (state === undefined) {
    throw new SwarmError("E_INVALID", `state must be one of ${Object.keys(STATUS_STATES).join(", ")}`, {
      field: "state",
    });
  }
  const err =
    o.error === undefined
      ? undefined
      : {
          code: "E_AGENT",
          message: typeof o.error === "string" ? o.error : JSON.stringify(o.error),
          context: {},
        };
  return {
    taskId,
    agentId,
    state,
    attempt: opt(o.attempt, count, "attempt") ?? 0,
    progress: opt(o.progress, num, "progress"),
    result: jsonBytesOf(o.result),
    error: err,
  };
}

/** `swarm/{id}/presence`: `{"status":"offline"|"online"}` (the last will). */
export function presenceFromJson(v: unknown): "online" | "offline" {
  const s = str("status", object("presence", v).status);
  if (s !== "online" && s !== "offline")
    throw new SwarmError("E_INVALID", "status must be online or offline", { field: "status" });
  return s;
}

function opt<T>(v: unknown, check: (field: string, v: unknown) => T, field: string): T | undefined {
  return v === undefined || v === null ? undefined : check(field, v);
}
