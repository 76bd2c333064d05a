import { decodePayload, encodePayload, isSwarmError } from "@swarmlink/protocol";

const TYPE = "swarmlink.v1.ElectionState";

/**
 * The lease record stored at `elections.{group}` (an `ElectionState`), with the fencing token
 * resolved.
 *
 * The token of a term is the Store revision of the `create` that won it, which the winner cannot know
 * before the write: the creating write stores `token = 0`, meaning "the revision of this very entry",
 * and every renewal stores the number. {@link readElection} resolves both forms.
 */
export interface ElectionRecord {
  group: string;
  holder: string;
  /** The fencing token of the term; always ≥ 1 once resolved. */
  token: number;
  /** When the holder won the term, by the holder's clock, ms since the epoch. */
  sinceMs: number;
  leaseMs: number;
  /** When the holder sent its last renewal, by the holder's clock, ms since the epoch. */
  renewedMs: number;
}

/** Bytes of an ElectionState; `token` 0 marks the creating write (see {@link ElectionRecord}). */
export function encodeElection(r: ElectionRecord): Uint8Array {
  return encodePayload(TYPE, {
    group: r.group,
    holder: r.holder,
    token: r.token,
    sinceMs: r.sinceMs,
    leaseMs: r.leaseMs,
    renewedMs: r.renewedMs,
  });
}

/**
 * Decodes the value of an `elections.{group}` entry written at `revision`, resolving the token.
 * Returns undefined for bytes that are not an ElectionState with a holder (a foreign or corrupt
 * write), which callers treat as "held by someone unknown".
 */
export function readElection(value: Uint8Array, revision: number): ElectionRecord | undefined {
  try {
    const s = decodePayload(TYPE, value);
    if (!s.holder) return undefined;
    return {
      group: s.group,
      holder: s.holder,
      token: s.token > 0 ? s.token : revision,
      sinceMs: s.sinceMs,
      leaseMs: s.leaseMs,
      renewedMs: s.renewedMs,
    };
  } catch (err) {
    if (isSwarmError(err, "E_DECODE", "E_TOO_LARGE")) return undefined;
    throw err;
  }
}
