import type { Store } from "@swarmlink/store";
import type { Leadership } from "../types.js";
import { Candidate } from "./candidate.js";
import { type ElectOptions, parseElectOptions } from "./options.js";

/**
 * Enters `candidateId` into the leader election of `group` and returns its handle at once; the
 * candidate campaigns in the background until it resigns or closes.
 *
 * The lease is the Store key `elections.{group}`, an `ElectionState` written with `ttlMs: leaseMs`.
 * A candidate wins with `create` (only one can) and renews with `update` on the entry's revision
 * every `renewMs`. The fencing token of a term is the Store revision of the winning `create`: a
 * store has one revision sequence for all keys, so every later term, even after the key expired,
 * gets a larger token. Waiting candidates watch the key and try again the moment it is deleted or
 * expires, when the holder's lease should have run out by their own count, and every `renewMs` in
 * any case. With `liveness` (a Bus) they also probe the holder and depose one that is gone (see
 * `ElectOptions.liveness`): a crashed leader is then replaced in a few probes, not a lease.
 *
 * Leadership is judged by the candidate's own clock on every read of `isLeader`, `token`, `state()`
 * and `assertLeader()`: the lease is trusted until `leaseMs - safetyMarginMs` after the last renewal
 * that the store acknowledged was *sent*. A process paused (SIGSTOP, a long GC, a blocked loop) past
 * that instant therefore reads `isLeader === false` on its first check after it resumes, before any
 * of its timers run; it gives the term up and campaigns again, and wins, if ever, with a new token.
 *
 * `onChange` listeners hear every change of holder, token or `isLeader` as this candidate sees it
 * (its own terms, and other candidates' through the watch); a listener that throws is ignored.
 * `state()` names the last lease record seen, so right after a lapse it may still name this
 * candidate, with `isLeader: false`, until the store confirms the lease is gone.
 *
 * @param store - Where the lease lives; shared by every candidate of the group. Not closed by `close()`.
 * @param group - The election's name, an id (e.g. `"dispatcher"`).
 * @param candidateId - This candidate's id, unique within the group (e.g. the node id).
 * @throws SwarmError `E_INVALID` for a group or candidate that is not an id; `E_CONFIG` for bad options.
 *
 * @example
 * ```ts
 * const leadership = elect(store, "dispatcher", nodeId, { leaseMs: 2000, renewMs: 500 });
 * leadership.onChange((s) => log.info(s, "leadership changed"));
 * const token = await leadership.waitForLeadership({ signal });
 * // before every award or write:
 * award.fencingToken = leadership.assertLeader(); // throws E_FENCED once the term is over
 * // on shutdown:
 * await leadership.close(); // hands the lease over at once
 * ```
 */
export function elect(store: Store, group: string, candidateId: string, opts: ElectOptions = {}): Leadership {
  const parsed = parseElectOptions(opts);
  const candidate = new Candidate(store, group, candidateId, parsed);
  if (parsed.signal?.aborted) void candidate.close();
  return candidate;
}
