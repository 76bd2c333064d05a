import { isUlid, SwarmError, validateId } from "@swarmlink/protocol";

/** Longest idempotency key, in UTF-8 bytes. */
export const MAX_IDEMPOTENCY_KEY_BYTES = 256;

const KEYED_ID = /^ik-[0-9a-f]{32}$/;
const SIMPLE_ID = /^[A-Za-z0-9_-]{1,58}$/;
const LONE_SURROGATE = /\p{Surrogate}/u;
const encoder = new TextEncoder();

/**
 * The id of the command sent to `agentId` with idempotency key `key`: `ik-` and 32 hex digits of
 * SHA-256 over both. Every client and router derives the same id, so a repeated send finds the
 * first one's receipt instead of sending twice. (Web Crypto, so it also runs in browsers.)
 *
 * @throws SwarmError `E_INVALID` for a bad agent id, or a key that is empty or over 256 bytes.
 *
 * @example
 * ```ts
 * const id = await commandIdFor("amr-07", "order-4711/dock"); // "ik-5f0c…"
 * for await (const r of client.watch(id)) console.log(r.state);
 * ```
 */
export async function commandIdFor(agentId: string, key: string): Promise<string> {
  validateId("agentId", agentId);
  const bytes = checkKey(key);
  const id = encoder.encode(agentId);
  const input = new Uint8Array(id.length + 1 + bytes.length);
  input.set(id, 0);
  input.set(bytes, id.length + 1); // a 0 byte between: no (agent, key) pair reads as another
  return `ik-${hex(await digest(input)).slice(0, 32)}`;
}

/** True for the ids a command may have: a ULID, or one derived by {@link commandIdFor}. */
export function isCommandId(id: unknown): id is string {
  return isUlid(id) || (typeof id === "string" && KEYED_ID.test(id));
}

/**
 * The durable consumer that drains one agent's queue: `cmdq-{agentId}` for ids made of consumer-name
 * characters, else `cmdq_` and a hash (consumer names allow only `[A-Za-z0-9_-]`).
 */
export async function consumerNameFor(agentId: string): Promise<string> {
  if (SIMPLE_ID.test(agentId)) return `cmdq-${agentId}`;
  return `cmdq_${hex(await digest(encoder.encode(agentId))).slice(0, 40)}`;
}

function checkKey(key: unknown): Uint8Array {
  // A lone surrogate would encode as U+FFFD, so two different keys could share an id.
  if (typeof key !== "string" || key.length === 0 || LONE_SURROGATE.test(key)) {
    throw new SwarmError("E_INVALID", "idempotencyKey must be a non-empty, well-formed string", {
      field: "idempotencyKey",
    });
  }
  const bytes = encoder.encode(key);
  if (bytes.length > MAX_IDEMPOTENCY_KEY_BYTES) {
    throw new SwarmError("E_INVALID", `idempotencyKey must be at most ${MAX_IDEMPOTENCY_KEY_BYTES} bytes`, {
      field: "idempotencyKey",
      bytes: bytes.length,
    });
  }
  return bytes;
}

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
