import { SwarmError } from "@swarmlink/protocol";
import type { AgentQuery, PresenceState } from "../types.js";

const STATES = new Set<string>(["online", "suspect", "offline"]);

/**
 * Checks an AgentQuery before it runs: finite coordinates, a radius ≥ 0, a box with min ≤ max,
 * k and limit whole numbers ≥ 1, known statuses, strings where strings belong.
 *
 * @throws SwarmError `E_INVALID` with `context.field` naming the first bad filter.
 */
export function checkQuery(q: AgentQuery): void {
  if (typeof q !== "object" || q === null) throw invalid("query", "must be an object");
  if (q.capabilities !== undefined) {
    if (!Array.isArray(q.capabilities) || !q.capabilities.every((c) => typeof c === "string")) {
      throw invalid("capabilities", "must be an array of strings");
    }
  }
  if (q.attributes !== undefined) {
    if (typeof q.attributes !== "object" || q.attributes === null) {
      throw invalid("attributes", "must be an object of strings");
    }
    for (const v of Object.values(q.attributes)) {
      if (typeof v !== "string") throw invalid("attributes", "must be an object of strings");
    }
  }
  if (q.status !== undefined) {
    const list: unknown[] = Array.isArray(q.status) ? q.status : [q.status];
    if (!list.every((s) => typeof s === "string" && STATES.has(s))) {
      throw invalid("status", "must be online, suspect or offline (or a list of them)");
    }
  }
  if (q.near !== undefined) {
    finite("near", q.near?.x, q.near?.y);
    if (!(Number.isFinite(q.near.radius) && q.near.radius >= 0)) {
      throw invalid("near", "radius must be a finite number ≥ 0");
    }
  }
  if (q.box !== undefined) {
    finite("box", q.box?.minX, q.box?.minY, q.box?.maxX, q.box?.maxY);
    if (q.box.minX > q.box.maxX || q.box.minY > q.box.maxY) throw invalid("box", "min must not exceed max");
  }
  if (q.nearest !== undefined) {
    finite("nearest", q.nearest?.x, q.nearest?.y);
    if (!(Number.isSafeInteger(q.nearest.k) && q.nearest.k >= 1)) {
      throw invalid("nearest", "k must be a whole number ≥ 1");
    }
  }
  if (q.limit !== undefined && !(Number.isSafeInteger(q.limit) && q.limit >= 1)) {
    throw invalid("limit", "must be a whole number ≥ 1");
  }
}

/** The statuses a query accepts, or undefined for any. */
export function statusesOf(q: AgentQuery): PresenceState[] | undefined {
  if (q.status === undefined) return undefined;
  return Array.isArray(q.status) ? q.status : [q.status];
}

function finite(field: string, ...values: unknown[]): void {
  if (!values.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw invalid(field, "coordinates must be finite numbers");
  }
}

function invalid(field: string, what: string): SwarmError {
  return new SwarmError("E_INVALID", `query ${field} ${what}`, { field });
}
