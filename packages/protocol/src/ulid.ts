import { type Clock, systemClock } from "./clock.js";
import { SwarmError } from "./errors.js";

/** Crockford's base32: no I, L, O or U, so ids survive being read aloud or copied by hand. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME_MS = 2 ** 48 - 1;
const RANDOM_BYTES = 10;
const ULID_LENGTH = 26;
/** Character codes of {@link ALPHABET}. */
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** Factories made by {@link monotonicUlid}; see {@link isOwnUlidFactory}. */
const ownFactories = new WeakSet<UlidFactory>();

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
   * @default bytes of `globalThis.crypto.getRandomValues`, drawn 4 KiB at a time
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
  const random = options.random ?? pooledRandom;
  const entropy = new Uint8Array(RANDOM_BYTES);
  // The id's 26 character codes: the time part is rewritten only when the time moves.
  const codes = new Array<number>(ULID_LENGTH).fill(CODES[0]!);
  let lastMs = -1;
  let codedMs = -1;

  const next: UlidFactory = (timeMs = clock.now()) => {
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
    if (lastMs !== codedMs) {
      codeTime(lastMs, codes);
      codedMs = lastMs;
    }
    codeEntropy(entropy, codes);
    // One flat string from the codes: cheaper than joining 26 one-character strings, and a regex or
    // a hash of it later need not flatten it first.
    return String.fromCharCode.apply(null, codes);
  };
  ownFactories.add(next);
  return next;
}

/**
 * True when `factory` is one this module made: its ids are ULIDs by construction, so whoever
 * takes one need not check it again.
 * @internal
 */
export function isOwnUlidFactory(factory: UlidFactory): boolean {
  return ownFactories.has(factory);
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

/**
 * Random bytes from the platform's CSPRNG, asked for 4 KiB at a time: a call costs about a
 * microsecond whatever its size, and a busy process makes an id in a new millisecond, which needs
 * fresh entropy, every few ids (as the `uuid` package pools its random bytes).
 */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;

function pooledRandom(bytes: Uint8Array): void {
  if (bytes.length > POOL_BYTES) {
    globalThis.crypto.getRandomValues(bytes);
    return;
  }
  if (poolAt + bytes.length > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  for (let i = 0; i < bytes.length; i++) bytes[i] = pool[poolAt++]!;
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

/** Writes the 48-bit time as the first 10 characters, most significant first. */
function codeTime(ms: number, codes: number[]): void {
  for (let i = 9; i >= 0; i--) {
    codes[i] = CODES[ms % 32]!;
    ms = Math.floor(ms / 32);
  }
}

/** Writes the 80 random bits as the last 16 characters, five bits each, most significant first. */
function codeEntropy(bytes: Uint8Array, codes: number[]): void {
  // Two rounds of 5 bytes = 40 bits = 8 characters, as base32 does.
  for (let i = 0, o = 10; i < RANDOM_BYTES; i += 5, o += 8) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1]!;
    const b2 = bytes[i + 2]!;
    const b3 = bytes[i + 3]!;
    const b4 = bytes[i + 4]!;
    codes[o] = CODES[b0 >> 3]!;
    codes[o + 1] = CODES[((b0 & 7) << 2) | (b1 >> 6)]!;
    codes[o + 2] = CODES[(b1 >> 1) & 31]!;
    codes[o + 3] = CODES[((b1 & 1) << 4) | (b2 >> 4)]!;
    codes[o + 4] = CODES[((b2 & 15) << 1) | (b3 >> 7)]!;
    codes[o + 5] = CODES[(b3 >> 2) & 31]!;
    codes[o + 6] = CODES[((b3 & 3) << 3) | (b4 >> 5)]!;
    codes[o + 7] = CODES[b4 & 31]!;
  }
}
