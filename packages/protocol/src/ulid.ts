import { type Clock, systemClock } from "./clock.js";
import { SwarmError } from "./errors.js";

/** Crockford's base32: no I, L, O or U, so ids survive being read aloud or copied by hand. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME_MS = 2 ** 48 - 1;
const RANDOM_BYTES = 10;

/**
 * Makes ULIDs. Called with a time, uses it; called without, asks its clock.
 * Within one factory the ids are strictly increasing, even within one millisecond and even when
 * the clock steps back.
 */
export type UlidFactory = (timeMs?: number) => string;

/** Options of {@link monotonicUlid}. */
export interface UlidOptions {
  /**
   * Source of the time part when the factory is called without one.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Fills its argument with random bytes.
   * @default globalThis.crypto.getRandomValues
   */
  random?: (bytes: Uint8Array) => void;
}

/**
 * Returns a factory of monotonic ULIDs: 26 characters of Crockford base32, 48 bits of
 * milliseconds then 80 random bits. Ids made in the same millisecond (or after the clock went
 * back) take the previous random part plus one, so they still sort in the order they were made.
 *
 * @example
 * ```ts
 * const next = monotonicUlid({ clock });
 * const a = next(), b = next(); // a < b, both 26 characters
 * ```
 */
export function monotonicUlid(options: UlidOptions = {}): UlidFactory {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? ((bytes: Uint8Array) => globalThis.crypto.getRandomValues(bytes));
  const entropy = new Uint8Array(RANDOM_BYTES);
  let lastMs = -1;

  return (timeMs = clock.now()) => {
    if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME_MS) {
      throw new SwarmError("E_INVALID", "ULID time must be an integer from 0 to 2^48-1 ms", { timeMs });
    }
    if (timeMs > lastMs) {
      lastMs = timeMs;
      random(entropy);
    } else if (!increment(entropy)) {
      // 2^80 ids in one millisecond: move the time part on instead of failing.
      lastMs = Math.min(lastMs + 1, MAX_TIME_MS);
      random(entropy);
    }
    return encodeTime(lastMs) + encodeEntropy(entropy);
  };
}

/**
 * Makes a ULID from the system clock; monotonic within this process.
 *
 * @example
 * ```ts
 * const id = ulid(); // "01JD4Q7ZK3M5T8B2C6E9F0GHJK"
 * ```
 */
export const ulid: UlidFactory = monotonicUlid();

/** True when `value` is a canonical (upper-case) ULID. */
export function isUlid(value: unknown): value is string {
  return typeof value === "string" && ULID_RE.test(value);
}

/**
 * The time encoded in a ULID, in milliseconds since the Unix epoch.
 * @throws SwarmError `E_INVALID` when `id` is not a ULID.
 */
export function ulidTimeMs(id: string): number {
  if (!isUlid(id)) throw new SwarmError("E_INVALID", "not a ULID", { field: "id", id: String(id) });
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + ALPHABET.indexOf(id[i]!);
  return ms;
}

/** Adds one to a big-endian number in place; false when it wrapped around to zero. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] !== 0xff) {
      bytes[i]! += 1;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** 80 bits, five at a time, most significant first. */
function encodeEntropy(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
  }
  return out;
}
