import { SwarmError, validateId } from "@swarmlink/protocol";
import type { DescriptorInit } from "./agent.js";
import type { PositionInit } from "./convert.js";

/** Most capabilities one agent may declare. */
export const MAX_CAPABILITIES = 256;
/** Most attributes one agent may declare. */
export const MAX_ATTRIBUTES = 256;
/** Longest capability, attribute key or value, software version or display name, in characters. */
export const MAX_TERM_LENGTH = 256;

/**
 * Checks a descriptor an agent registers on `subjectId`'s subject: the id must be that agent's,
 * capabilities and attributes bounded and non-empty, coordinates finite (and lat/lon in range).
 *
 * @throws SwarmError `E_FORBIDDEN` when the descriptor names another agent than the subject;
 * `E_INVALID` with `context.field` for anything malformed.
 */
export function checkDescriptor(d: DescriptorInit, subjectId: string): void {
  if (d.id !== subjectId) {
    throw new SwarmError("E_FORBIDDEN", "an agent registers only itself", {
      field: "id",
      subjectId,
      descriptorId: String(d.id ?? "").slice(0, 128),
    });
  }
  validateId("id", d.id);
  const caps = d.capabilities ?? [];
  if (caps.length > MAX_CAPABILITIES) invalid("capabilities", `more than ${MAX_CAPABILITIES}`);
  for (const cap of caps) term("capabilities", cap);
  const attrs = Object.entries(d.attributes ?? {});
  if (attrs.length > MAX_ATTRIBUTES) invalid("attributes", `more than ${MAX_ATTRIBUTES}`);
  for (const [k, v] of attrs) {
    term("attributes", k);
    if (v.length > MAX_TERM_LENGTH) invalid("attributes", `value of ${k.slice(0, 64)} is too long`);
  }
  if ((d.softwareVersion ?? "").length > MAX_TERM_LENGTH) invalid("softwareVersion", "is too long");
  if ((d.displayName ?? "").length > MAX_TERM_LENGTH) invalid("displayName", "is too long");
  if (d.position) checkPosition(d.position);
}

/**
 * Checks a position: finite coordinates, lat in [-90, 90], lon in [-180, 180].
 * @throws SwarmError `E_INVALID` (field `position`).
 */
export function checkPosition(pos: PositionInit): void {
  const c = pos.cartesian;
  if (c && ![c.x ?? 0, c.y ?? 0, c.z ?? 0].every(Number.isFinite)) {
    invalid("position", "coordinates must be finite");
  }
  const g = pos.geo;
  if (g) {
    const lat = g.lat ?? 0;
    const lon = g.lon ?? 0;
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && Number.isFinite(g.alt ?? 0))) {
      invalid("position", "lat must be in [-90, 90], lon in [-180, 180], alt finite");
    }
  }
}

function term(field: string, value: string): void {
  if (value.length === 0 || value.length > MAX_TERM_LENGTH) {
    invalid(field, `entries must have 1 to ${MAX_TERM_LENGTH} characters`);
  }
}

function invalid(field: string, what: string): never {
  throw new SwarmError("E_INVALID", `${field}: ${what}`, { field });
}
