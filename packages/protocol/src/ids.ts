import { SwarmError } from "./errors.js";
import { MAX_ID_BYTES } from "./limits.js";

/**
 * Characters no id may contain: subject and topic separators (`.` for NATS, `/` for MQTT),
 * wildcards of both (`*`, `>`, `+`, `#`), whitespace, control characters (C0, DEL, C1) and
 * invisible format characters (zero-width space, bidi overrides), which make ids that look alike.
 * Lone UTF-16 surrogates are refused separately: they cannot be encoded as UTF-8 intact.
 */
const FORBIDDEN = /[.*>/+#\s\p{Cc}\p{Cf}]/u;
const encoder = new TextEncoder();

/** Why `id` is not a valid id, or undefined when it is. */
function idProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return "must be a string";
  if (id.length === 0) return "must not be empty";
  // A UTF-16 unit takes one to three bytes of UTF-8: encode only when the length cannot tell.
  if (
    id.length > MAX_ID_BYTES ||
    (id.length * 3 > MAX_ID_BYTES && encoder.encode(id).length > MAX_ID_BYTES)
  ) {
    return `must be at most ${MAX_ID_BYTES} bytes of UTF-8`;
  }
  const bad = FORBIDDEN.exec(id);
  if (bad) return `must not contain ${JSON.stringify(bad[0])}`;
  if (!id.isWellFormed()) return "must be well-formed Unicode";
  return undefined;
}

/**
 * True when `id` can be one token of a NATS subject, one level of an MQTT topic and part of a
 * Store key: non-empty, at most {@link MAX_ID_BYTES} bytes of UTF-8, and free of `.`, `*`, `>`,
 * `/`, `+`, `#`, whitespace, control and format characters.
 */
export function isValidId(id: unknown): id is string {
  return idProblem(id) === undefined;
}

/**
 * Throws unless `id` is a valid id (see {@link isValidId}); returns it otherwise.
 *
 * @param field - Name of the field or argument, e.g. `"agentId"`; it appears in the error.
 * @throws SwarmError `E_INVALID` with `context.field` and `context.reason`.
 *
 * @example
 * ```ts
 * validateId("agentId", "amr-07"); // "amr-07"
 * validateId("agentId", "amr.07"); // throws SwarmError E_INVALID: agentId must not contain "."
 * ```
 */
export function validateId(field: string, id: unknown): string {
  const reason = idProblem(id);
  if (reason !== undefined) {
    throw new SwarmError("E_INVALID", `${field} ${reason}`, { field, reason });
  }
  return id as string;
}

/**
 * Validates one id taken out of a subject, topic or key, naming the whole string in the error.
 * @internal
 */
export function checkedId(whole: string, what: string, field: string, token: string | undefined): string {
  try {
    return validateId(field, token ?? "");
  } catch (err) {
    throw new SwarmError("E_INVALID", `malformed ${what}: ${(err as Error).message}`, {
      field,
      [what]: whole.slice(0, 256),
    });
  }
}

/**
 * The error for a string that is none of Swarmlink's subjects, topics or keys.
 * @internal
 */
export function notOurs(what: string, value: unknown): SwarmError {
  return new SwarmError("E_INVALID", `not a Swarmlink ${what}`, {
    field: what,
    [what]: String(value).slice(0, 256),
  });
}
