import { AgentKind, PresenceStatus, type swarmlink } from "@swarmlink/protocol";
import type { Point, PresenceEvent, PresenceState } from "../types.js";
import { type GeoOrigin, projectGeo } from "./geo.js";

/** A Position as encoded or decoded (a plain object or a generated message). */
export type PositionInit = swarmlink.v1.Position.$Properties;
/** A Presence as encoded or decoded. */
export type PresenceInit = swarmlink.v1.Presence.$Properties;

const STATUS_NAMES = new Map<number, PresenceState>([
  [PresenceStatus.PRESENCE_STATUS_ONLINE, "online"],
  [PresenceStatus.PRESENCE_STATUS_SUSPECT, "suspect"],
  [PresenceStatus.PRESENCE_STATUS_OFFLINE, "offline"],
]);

const STATUS_CODES: Record<PresenceState, PresenceStatus> = {
  online: PresenceStatus.PRESENCE_STATUS_ONLINE,
  suspect: PresenceStatus.PRESENCE_STATUS_SUSPECT,
  offline: PresenceStatus.PRESENCE_STATUS_OFFLINE,
};

/** The wire status as a PresenceState; undefined for UNSPECIFIED or a value this build does not know. */
export function statusName(status: number | null | undefined): PresenceState | undefined {
  return STATUS_NAMES.get(status ?? 0);
}

/** A PresenceState as the wire's PresenceStatus. */
export function statusCode(state: PresenceState): PresenceStatus {
  return STATUS_CODES[state];
}

const KIND_NAMES = new Map<number, string>([
  [AgentKind.AGENT_KIND_ROBOT, "robot"],
  [AgentKind.AGENT_KIND_BOT, "bot"],
  [AgentKind.AGENT_KIND_SERVICE, "service"],
  [AgentKind.AGENT_KIND_GATEWAY, "gateway"],
  [AgentKind.AGENT_KIND_OPERATOR, "operator"],
]);

/** `AgentRecord.kind`: "robot", "bot", "service", "gateway", "operator" or "unspecified". */
export function kindName(kind: number | null | undefined): string {
  return KIND_NAMES.get(kind ?? 0) ?? "unspecified";
}

/**
 * Where a Position is in the site frame, in metres: cartesian points as they are (the frame name is
 * not interpreted: one site, one frame), geo points projected around `origin`, or undefined when
 * there is no position, no origin for a geo one, or a coordinate is not finite.
 */
export function pointOf(
  pos: PositionInit | null | undefined,
  origin: GeoOrigin | undefined,
): Point | undefined {
  if (!pos) return undefined;
  if (pos.cartesian) {
    const { x, y, z } = pos.cartesian;
    const p = { x: x ?? 0, y: y ?? 0, z: z ?? 0 };
    return Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.z) ? p : undefined;
  }
  if (pos.geo && origin) {
    const { lat, lon, alt } = pos.geo;
    const g = { lat: lat ?? 0, lon: lon ?? 0, alt: alt ?? 0 };
    if (!Number.isFinite(g.lat) || !Number.isFinite(g.lon) || !Number.isFinite(g.alt)) return undefined;
    return projectGeo(g, origin);
  }
  return undefined;
}

/** A wire Presence as the core's PresenceEvent; undefined when its status is not one we know. */
export function presenceEventOf(p: PresenceInit): PresenceEvent | undefined {
  const status = statusName(p.status);
  if (!status || !p.agentId) return undefined;
  return {
    agentId: p.agentId,
    status,
    epoch: Number(p.epoch ?? 0),
    seq: p.seq ?? 0,
    reason: p.reason ?? "",
    atMs: Number(p.sinceMs ?? 0),
  };
}
