import { SwarmError } from "@swarmlink/protocol";

/** First bytes of every record a {@link FencedStore} writes: `"SLF"` and format version 1. */
export const FENCED_MAGIC: readonly number[] = Object.freeze([0x53, 0x4c, 0x46, 0x01]);
/** Length of the header before the payload, in bytes: the magic, then the token (uint64, big-endian). */
export const FENCED_HEADER_BYTES = 12;

/** A record's payload and the fencing token of the term that wrote it. */
export interface FencedValue {
  token: number;
  payload: Uint8Array;
}

/**
 * Prefixes `payload` with the 12-byte fencing header: `53 4C 46 01`, then `token` as a big-endian
 * uint64. Payload bytes are copied, never interpreted. The result may be a view into Node's shared
 * buffer pool: copy it to keep it (a Store copies what it writes).
 *
 * @throws SwarmError `E_INVALID` for a token that is not a whole number ≥ 1.
 */
export function encodeFenced(token: number, payload: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(token) || token < 1) {
    throw new SwarmError("E_INVALID", "a fencing token is a whole number ≥ 1", { field: "token", token });
  }
  // Every byte is written below, so Node's pooled, unzeroed memory will do: a zeroed array of its
  // own cost more than the copy (Stores copy what they are given, so nothing keeps the pool's slab).
  const out = Buffer.allocUnsafe(FENCED_HEADER_BYTES + payload.length);
  out.set(FENCED_MAGIC, 0);
  // Big-endian uint64 from two 32-bit halves: a safe integer needs no BigInt (one per record write).
  out.writeUInt32BE(Math.floor(token / 0x1_0000_0000), 4);
  out.writeUInt32BE(token % 0x1_0000_0000, 8);
  out.set(payload, FENCED_HEADER_BYTES);
  return out;
}

/**
 * Splits a record written by {@link encodeFenced} into token and payload (a view, not a copy).
 *
 * @throws SwarmError `E_DECODE` for bytes without the header (a record no fenced writer wrote) or a
 * token beyond `Number.MAX_SAFE_INTEGER`.
 */
export function decodeFenced(bytes: Uint8Array): FencedValue {
  if (bytes.length < FENCED_HEADER_BYTES || FENCED_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new SwarmError("E_DECODE", "not a fenced record (no SLF1 header)", { bytes: bytes.length });
  }
  const big = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(4);
  if (big < 1n || big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SwarmError("E_DECODE", "fencing token out of range", { token: big.toString() });
  }
  return { token: Number(big), payload: bytes.subarray(FENCED_HEADER_BYTES) };
}
