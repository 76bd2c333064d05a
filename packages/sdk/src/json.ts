import { SwarmError } from "@swarmlink/protocol";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A value as JSON bytes: bytes as they are, undefined as empty; `E_INVALID` naming `field` if not serialisable. */
export function toJsonBytes(value: unknown, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value === undefined) return new Uint8Array(0);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new SwarmError("E_INVALID", `${field} must be JSON-serialisable`, { field }, { cause: err });
  }
  if (json === undefined) throw new SwarmError("E_INVALID", `${field} must be JSON-serialisable`, { field });
  return encoder.encode(json);
}

/** JSON bytes as a value: empty as undefined; bytes that are not JSON as the bytes themselves. */
export function fromJsonBytes(bytes: Uint8Array | null | undefined): unknown {
  if (!bytes || bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return bytes;
  }
}
