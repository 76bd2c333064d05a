import { createHash } from "node:crypto";
import { type Clock, monotonicUlid, SwarmError, systemClock, type UlidFactory } from "@swarmlink/protocol";

/** Crockford's base32, as ULIDs use it. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Hashed before the key, so that a task id never equals a hash of the bare key made elsewhere. */
const DOMAIN = "swarmlink.v1.task-id\u0000";
/** Longest idempotency key accepted, in bytes of UTF-8. */
export const MAX_TASK_IDEMPOTENCY_KEY_BYTES = 1024;

const encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The task id that an idempotency key names, the same in every process and forever: `"t"` followed
 * by the first 128 bits of `SHA-256("swarmlink.v1.task-id\0" + key)` (key as UTF-8) in 26
 * characters of Crockford base32, most significant first (two zero bits pad the front). The `t`
 * keeps it apart from ULIDs (which start with a digit), and it is a valid id. Other implementations
 * (gateways, other SDKs) must derive it the same way.
 *
 * @throws SwarmError `E_INVALID` (field `idempotencyKey`) for an empty key, one over
 * {@link MAX_TASK_IDEMPOTENCY_KEY_BYTES} bytes, or one that is not well-formed Unicode.
 *
 * @example
 * ```ts
 * taskIdForKey("order-4711"); // "t0BSRTXKCGQTYVARW414S4A0NNA", in any process, forever
 * ```
 */
export function taskIdForKey(key: string): string {
  if (typeof key !== "string" || key.length === 0 || LONE_SURROGATE.test(key)) {
    throw new SwarmError("E_INVALID", "idempotencyKey must be a non-empty well-formed string", {
      field: "idempotencyKey",
    });
  }
  const bytes = encoder.encode(key);
  if (bytes.length > MAX_TASK_IDEMPOTENCY_KEY_BYTES) {
    throw new SwarmError(
      "E_INVALID",
      `idempotencyKey must be at most ${MAX_TASK_IDEMPOTENCY_KEY_BYTES} bytes`,
      {
        field: "idempotencyKey",
        bytes: bytes.length,
      },
    );
  }
  const digest = createHash("sha256").update(DOMAIN).update(bytes).digest();
  let n = 0n;
  for (const b of digest.subarray(0, 16)) n = (n << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return `t${out}`;
}

/** Makes fresh task ids: monotonic ULIDs on `clock`. */
export function taskIdFactory(clock: Clock = systemClock): UlidFactory {
  return monotonicUlid({ clock });
}
