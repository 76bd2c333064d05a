import { SwarmError } from "@swarmlink/protocol";

/** A JSON object as firmware sends it. */
export type JsonObject = Record<string, unknown>;

/**
 * Parses a device payload as JSON.
 *
 * @throws SwarmError `E_DECODE` for bytes that are not JSON (context `reason`).
 */
export function parseJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"));
  } catch (err) {
    throw new SwarmError(
      "E_DECODE",
      "payload is not JSON",
      { reason: (err as Error).message },
      { cause: err },
    );
  }
}

/** JSON text of a value, as bytes for an MQTT payload. */
export function toJsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** @throws SwarmError `E_INVALID` naming `field` unless `v` is a plain object. */
export function object(field: string, v: unknown): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw wrongType(field, "an object", v);
  return v as JsonObject;
}

/** @throws SwarmError `E_INVALID` unless `v` is a finite number (or absent when `optional`). */
export function num(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw wrongType(field, "a finite number", v);
  return v;
}

/** @throws SwarmError `E_INVALID` unless `v` is a whole number ≥ 0. */
export function count(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw wrongType(field, "a whole number ≥ 0", v);
  return v;
}

/** @throws SwarmError `E_INVALID` unless `v` is a string. */
export function str(field: string, v: unknown): string {
  if (typeof v !== "string") throw wrongType(field, "a string", v);
  return v;
}

/** @throws SwarmError `E_INVALID` unless `v` is an array of strings. */
export function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
    throw wrongType(field, "an array of strings", v);
  return v as string[];
}

/** @throws SwarmError `E_INVALID` unless `v` is an object of string values. */
export function stringMap(field: string, v: unknown): Record<string, string> {
  const o = object(field, v);
  for (const [k, s] of Object.entries(o))
    if (typeof s !== "string") throw wrongType(`${field}.${k}`, "a string", s);
  return o as Record<string, string>;
}

/** JSON text of an optional value as bytes (empty for `undefined`). */
export function jsonBytesOf(v: unknown): Uint8Array {
  return v === undefined ? new Uint8Array(0) : toJsonBytes(v);
}

/** Bytes that hold JSON back to a value; text that is not JSON stays a string; empty is `undefined`. */
export function valueOfBytes(b: Uint8Array | null | undefined): unknown {
  if (!b || b.length === 0) return undefined;
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function wrongType(field: string, expected: string, v: unknown): SwarmError {
  const got = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
  return new SwarmError("E_INVALID", `${field} must be ${expected}`, { field, expected, got });
}
