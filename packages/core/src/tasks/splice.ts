/**
 * Protobuf wire-format splicing: messages built from parts already encoded, instead of encoding the
 * whole again. A message is the concatenation of its fields, each a tag (field number and wire
 * type) and a value; a length-delimited value (a nested message, bytes, one item of a repeated
 * message field) is its length, then its bytes. Each function makes one allocation and copies each
 * part once: these run several times per task.
 */

import { varintSize, writeVarint } from "@swarmlink/protocol";

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/**
 * A length-delimited field `field` holding the concatenated `parts` (one nested message), followed
 * by `rest` (the message's other fields, already encoded).
 */
export function lengthDelimited(field: number, parts: Uint8Array[], rest?: Uint8Array): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const tag = (field << 3) | LENGTH_DELIMITED;
  const out = allocate(varintSize(tag) + varintSize(length) + length + (rest?.length ?? 0));
  let at = writeVarint(out, writeVarint(out, 0, tag), length);
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  if (rest) out.set(rest, at);
  return out;
}

/** A repeated message field `field`: one length-delimited field per item. */
export function repeated(field: number, items: Uint8Array[]): Uint8Array {
  const tag = (field << 3) | LENGTH_DELIMITED;
  let size = 0;
  for (const item of items) size += varintSize(tag) + varintSize(item.length) + item.length;
  const out = allocate(size);
  let at = 0;
  for (const item of items) {
    at = writeVarint(out, writeVarint(out, at, tag), item.length);
    out.set(item, at);
    at += item.length;
  }
  return out;
}

/** A varint field `field` of value `n` (a whole number < 2^32). */
export function varintField(field: number, n: number): Uint8Array {
  const tag = (field << 3) | VARINT;
  const out = allocate(varintSize(tag) + varintSize(n));
  writeVarint(out, writeVarint(out, 0, tag), n);
  return out;
}

/** Bytes a length-delimited field of `length` bytes takes, tag and length included (field < 16). */
export function lengthDelimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Every byte is written before the array is handed out, so the pool's unzeroed memory is fine. */
function allocate(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}
