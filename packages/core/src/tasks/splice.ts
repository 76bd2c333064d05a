/**
 * Protobuf wire-format splicing: messages built from parts already encoded, instead of encoding the
 * whole again. A message is the concatenation of its fields, each a tag (field number and wire
 * type) and a value; a length-delimited value (a nested message, bytes, one item of a repeated
 * message field) is its length, then its bytes.
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** A length-delimited field `field` holding the concatenated `parts` (one nested message). */
export function lengthDelimited(field: number, parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const head = [...varint((field << 3) | LENGTH_DELIMITED), ...varint(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A repeated message field `field`: one length-delimited field per item. */
export function repeated(field: number, items: Uint8Array[]): Uint8Array {
  return concat(items.map((item) => lengthDelimited(field, [item])));
}

/** A varint field `field` of value `n` (a whole number < 2^32). */
export function varintField(field: number, n: number): Uint8Array {
  return new Uint8Array([...varint((field << 3) | VARINT), ...varint(n)]);
}

/** The bytes of `parts`, one after another. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes a length-delimited field of `length` bytes takes, tag and length included (field < 16). */
export function lengthDelimitedSize(length: number): number {
  return 1 + varint(length).length + length;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
