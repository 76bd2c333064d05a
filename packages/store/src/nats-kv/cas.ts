import { SwarmError } from "@swarmlink/protocol";
import { conflictError, existsError } from "../errors.js";
import { type Bucket, Refused } from "./bucket.js";
import { isLive } from "./codec.js";

/** Tries of a create or delete that keeps meeting concurrent writers. */
const ATTEMPTS = 5;

/**
 * Create-if-absent: a conditional publish at revision 0 and, when the key has a history, again at its
 * last revision if that is a removal; a lapsed lease first gets its expire marker, so watchers see
 * expire before the new put. `E_EXISTS` when the key is live.
 */
export async function createKey(
  bucket: Bucket,
  key: string,
  value: Uint8Array,
  ttlMs: number,
  now: () => number,
): Promise<number> {
  let expect: number | undefined = 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (expect !== undefined) {
      const rev = await bucket.put(key, value, ttlMs, expect);
      if (!(rev instanceof Refused)) return rev;
    }
    const r = await bucket.read(key);
    if (r && isLive(r, now())) throw existsError(key, r.revision);
    // A lapsed lease gets its expire marker first, so watchers see expire before the new put.
    if (r?.op === "put") {
      const marker = await bucket.remove(key, "expire", r.revision);
      expect = marker instanceof Refused ? undefined : marker;
    } else expect = r?.revision ?? 0;
  }
  throw new SwarmError("E_EXISTS", "the key changed under every attempt to create it", { key });
}

/**
 * Delete: a conditional `DEL` at the live revision (or `expected`), retried while other writers race
 * it. A missing key is a no-op; a lapsed one only gets its expire marker.
 */
export async function deleteKey(
  bucket: Bucket,
  key: string,
  expected: number | undefined,
  now: () => number,
): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const r = await bucket.read(key);
    const live = r !== undefined && isLive(r, now());
    if (expected !== undefined && (!live || r.revision !== expected)) {
      throw conflictError(key, expected, live ? r.revision : 0);
    }
    if (!live) {
      if (r?.op === "put") await bucket.remove(key, "expire", r.revision);
      return;
    }
    const rev = await bucket.remove(key, "delete", r.revision);
    if (!(rev instanceof Refused)) return;
    if (expected !== undefined) throw conflictError(key, expected, rev.current);
  }
  await bucket.remove(key, "delete"); // still contended: delete whatever is there now
}
