/**
 * Protobuf wire-format writing by hand, for the few messages on every hop's path (the Envelope, the
 * dispatcher's task record): sizes computed first, then one buffer written field by field. Tags are
 * one byte (field numbers below 16). Shared by the protocol's and the core's writers.
 * @internal
 */

/** Beyond this length a string's UTF-8 is sized and written natively (a JS loop wins below it). */
const NATIVE_FROM = 64;

/** Bytes of a string field of `len` bytes of UTF-8: nothing when empty (proto3 leaves it out). */
export function stringFieldSize(len: number): number {
  return bytesFieldSize(len);
}

/** Bytes of a bytes field of `len` bytes: nothing when empty (proto3 leaves it out). */
export function bytesFieldSize(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

/** A bytes field `tag`; nothing when empty. */
export function writeBytes(buf: Buffer, p: number, tag: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return p;
  buf[p++] = tag;
  p = writeVarint(buf, p, bytes.length);
  buf.set(bytes, p);
  return p + bytes.length;
}

/** Bytes already encoded (a field kept encoded): for a few dozen a loop costs less than `set`. */
export function writeRaw(buf: Buffer, p: number, bytes: Uint8Array): number {
  if (bytes.length > 64) {
    buf.set(bytes, p);
    return p + bytes.length;
  }
  for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i]!;
  return p;
}

/** A string field `tag` whose UTF-8 is `len` bytes; nothing when empty (proto3 leaves it out). */
export function writeString(buf: Buffer, p: number, tag: number, s: string, len: number): number {
  if (len === 0) return p;
  buf[p++] = tag;
  return writeUtf8(buf, writeVarint(buf, p, len), s);
}

/** A string's UTF-8 (as {@link utf8Length} counts it), with no tag or length. */
export function writeUtf8(buf: Buffer, p: number, s: string): number {
  if (s.length >= NATIVE_FROM) return p + buf.write(s, p, "utf8");
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
      buf[p++] = 0xf0 | (c >> 18);
      buf[p++] = 0x80 | ((c >> 12) & 0x3f);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    } else if ((c & 0xf800) === 0xd800) {
      // A lone surrogate (the checks let none through): U+FFFD, as Buffer writes it, so the bytes
      // stay UTF-8 whatever comes in.
      buf[p++] = 0xef;
      buf[p++] = 0xbf;
      buf[p++] = 0xbd;
    } else {
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

/** UTF-8 length of a string, a lone surrogate counting three bytes (U+FFFD, as Buffer writes it). */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n >= NATIVE_FROM) return Buffer.byteLength(s, "utf8");
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2; // four bytes for the two units
      i++;
    } else len += 2;
  }
  return len;
}

/** Bytes of the varint of a non-negative safe integer. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes a non-negative safe integer as a varint (division, not shifts: it may exceed 2^31). */
export function writeVarint(buf: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    buf[p++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[p++] = n;
  return p;
}

/** Bytes of a varint field of a non-negative safe integer: nothing when 0 (proto3 leaves it out). */
export function varintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

/** A varint field `tag` of a non-negative safe integer; nothing when 0. */
export function writeVarintField(buf: Buffer, p: number, tag: number, n: number): number {
  if (n === 0) return p;
  buf[p++] = tag;
  return writeVarint(buf, p, n);
}

/** True for what the writers take as a varint: a non-negative safe integer. */
export function isWireWhole(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}
