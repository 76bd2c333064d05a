import { SwarmError } from "@swarmlink/protocol";
import type { DeleteOptions, WatchOptions, WriteOptions } from "./types.js";

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 256;

/** Default largest value, in bytes (1 MiB). */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Default most changes a watch holds unread before it fails with `E_OVERFLOW`. */
export const DEFAULT_WATCH_QUEUE_LIMIT = 10_000;

// One segment: the NATS subject token characters that are also safe in Redis keys and URLs.
const SEGMENT = "[A-Za-z0-9_=/-]+";
const KEY_RE = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);

/** True when `key` is a well-formed Store key. */
export function isValidKey(key: unknown): key is string {
  return typeof key === "string" && key.length <= MAX_KEY_LENGTH && KEY_RE.test(key);
}

/** Throws `E_INVALID` unless `key` is a well-formed Store key. */
export function checkKey(key: unknown): asserts key is string {
  if (!isValidKey(key)) {
    throw new SwarmError("E_INVALID", "a key is `[A-Za-z0-9_=/-]` segments joined by `.`, ≤ 256 chars", {
      key,
    });
  }
}

/** Throws `E_INVALID` unless `prefix` is `""` or a valid key followed by `.`; returns it. */
export function checkPrefix(prefix: unknown = ""): string {
  if (prefix === "") return "";
  if (typeof prefix === "string" && prefix.endsWith(".") && isValidKey(prefix.slice(0, -1))) return prefix;
  throw new SwarmError("E_INVALID", 'a prefix is "" or a valid key followed by "."', { prefix });
}

/** Throws `E_INVALID` unless `value` is bytes, `E_TOO_LARGE` if it is over `maxValueBytes`. */
export function checkValue(value: unknown, maxValueBytes: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new SwarmError("E_INVALID", "a value is a Uint8Array", { type: typeof value });
  }
  if (value.byteLength > maxValueBytes) {
    throw new SwarmError("E_TOO_LARGE", "value is larger than maxValueBytes", {
      bytes: value.byteLength,
      maxValueBytes,
    });
  }
}

/** The TTL in whole ms, or 0 for none; `E_INVALID` unless absent or a whole number ≥ 1. */
export function checkTtl(opts: WriteOptions | undefined): number {
  const ttlMs = opts?.ttlMs;
  if (ttlMs === undefined) return 0;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new SwarmError("E_INVALID", "ttlMs is a whole number of ms ≥ 1", { ttlMs });
  }
  return ttlMs;
}

/** Throws `E_INVALID` unless `revision` is a whole number ≥ 1. */
export function checkRevision(revision: unknown, field = "expectedRevision"): asserts revision is number {
  if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 1) {
    throw new SwarmError("E_INVALID", `${field} is a whole number ≥ 1`, { [field]: revision });
  }
}

/** Validates a write's arguments; returns the TTL in ms (0: none). */
export function checkWrite(
  key: unknown,
  value: unknown,
  opts: WriteOptions | undefined,
  maxValueBytes: number,
): number {
  checkKey(key);
  checkValue(value, maxValueBytes);
  return checkTtl(opts);
}

/** Validates a delete's arguments; returns the expected revision, if any. */
export function checkDelete(key: unknown, opts: DeleteOptions | undefined): number | undefined {
  checkKey(key);
  const expected = opts?.expectedRevision;
  if (expected !== undefined) checkRevision(expected);
  return expected;
}

/** Validates watch arguments; returns the prefix. */
export function checkWatch(prefix: unknown, opts: WatchOptions | undefined): string {
  const p = checkPrefix(prefix);
  if (opts?.fromRevision !== undefined) {
    checkRevision(opts.fromRevision, "fromRevision");
    if (opts.initial) {
      throw new SwarmError("E_INVALID", "a watch takes fromRevision or initial, not both", {});
    }
  }
  return p;
}

/** True when `key` is under `prefix` (`""` holds everything). */
export function underPrefix(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}

/** A copy the caller cannot alias. */
export function copyBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}
