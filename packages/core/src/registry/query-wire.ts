import { SwarmError, type swarmlink } from "@swarmlink/protocol";
import type { AgentQuery, PresenceState } from "../types.js";
import { statusCode, statusName } from "./convert.js";

/** An AgentQuery as the wire carries it (`swarmlink.v1.AgentQuery`). */
export type WireAgentQuery = swarmlink.v1.AgentQuery.$Properties;

/**
 * The wire form of a query, for `subjects.registryQuery()` requests (the SDK and CLI use it).
 *
 * @example
 * ```ts
 * const bytes = encodePayload("swarmlink.v1.AgentQuery", toWireQuery({ capabilities: ["lift"], limit: 10 }));
 * ```
 */
export function toWireQuery(q: AgentQuery): WireAgentQuery {
  const w: WireAgentQuery = {};
  if (q.capabilities?.length) w.capabilities = [...q.capabilities];
  if (q.attributes) w.attributes = { ...q.attributes };
  if (q.status !== undefined) {
    w.statuses = (Array.isArray(q.status) ? q.status : [q.status]).map((s) => statusCode(s));
  }
  if (q.near) w.within = { center: { x: q.near.x, y: q.near.y, z: q.near.z ?? 0 }, radius: q.near.radius };
  if (q.box) w.box = { ...q.box };
  if (q.nearest)
    w.nearest = { point: { x: q.nearest.x, y: q.nearest.y, z: q.nearest.z ?? 0 }, k: q.nearest.k };
  if (q.limit !== undefined) w.limit = q.limit;
  return w;
}

/**
 * Reads a wire query: empty lists and maps mean "no filter", `limit` 0 means no limit.
 *
 * @throws SwarmError `E_INVALID` (field `statuses`) for a status this build does not know.
 */
export function fromWireQuery(w: WireAgentQuery): AgentQuery {
  const q: AgentQuery = {};
  if (w.capabilities?.length) q.capabilities = [...w.capabilities];
  if (w.attributes && Object.keys(w.attributes).length > 0) q.attributes = { ...w.attributes };
  if (w.statuses?.length) {
    q.status = w.statuses.map((s): PresenceState => {
      const name = statusName(s);
      if (!name)
        throw new SwarmError("E_INVALID", "unknown presence status", { field: "statuses", status: s });
      return name;
    });
  }
  if (w.within) {
    const c = w.within.center;
    q.near = { x: c?.x ?? 0, y: c?.y ?? 0, z: c?.z ?? 0, radius: w.within.radius ?? 0 };
  }
  if (w.box) {
    const b = w.box;
    q.box = { minX: b.minX ?? 0, minY: b.minY ?? 0, maxX: b.maxX ?? 0, maxY: b.maxY ?? 0 };
  }
  if (w.nearest) {
    const p = w.nearest.point;
    q.nearest = { x: p?.x ?? 0, y: p?.y ?? 0, z: p?.z ?? 0, k: w.nearest.k ?? 0 };
  }
  if (w.limit) q.limit = w.limit;
  return q;
}
