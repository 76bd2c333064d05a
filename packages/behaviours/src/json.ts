const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON.stringify replacer for protobuf-made values: bigints as numbers, bytes as their length. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  return value;
}

/** A value made JSON-safe (a deep copy through JSON). */
export function toPlain(value: unknown): unknown {
  const s = JSON.stringify(value, jsonSafe);
  return s === undefined ? null : JSON.parse(s);
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value, jsonSafe));
}

export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}
