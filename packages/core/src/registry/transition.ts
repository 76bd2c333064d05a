import type { PresenceState } from "../types.js";
import { publishPresence, type RegistryContext } from "./context.js";
import { statusCode, statusName } from "./convert.js";
import { writeAgent } from "./records.js";

/**
 * Moves one agent from `from` (its epoch and status) to `to`, as the presence authority: a
 * compare-and-set write of its record with seq + 1, applied to the local index and published as a
 * Presence event. Nothing is written when the record has moved on (another epoch or status), when
 * `stillDue()` no longer holds (a heartbeat came in meanwhile) or this node has lost authority; the
 * last two are checked right before the write.
 *
 * @returns whether the transition was written.
 * @throws whatever the Store throws (the sweeper retries on its next round).
 */
export async function transition(
  ctx: RegistryContext,
  agentId: string,
  from: { epoch: number; status: PresenceState },
  to: PresenceState,
  reason: string,
  stillDue: () => boolean,
): Promise<boolean> {
  const written = await writeAgent(ctx.opts.store, agentId, ctx.opts.casAttempts, (current) => {
    const info = current?.info;
    const p = info?.presence;
    if (!info || !p || Number(p.epoch) !== from.epoch || statusName(p.status) !== from.status)
      return undefined;
    if (!stillDue() || !ctx.opts.isAuthority()) return undefined;
    const held = ctx.index.get(agentId);
    const now = ctx.opts.clock.now();
    return {
      descriptor: info.descriptor,
      presence: {
        agentId,
        status: statusCode(to),
        epoch: from.epoch,
        seq: (p.seq ?? 0) + 1,
        reason,
        sinceMs: now,
      },
      registeredMs: info.registeredMs,
      lastSeenMs: Math.max(Number(info.lastSeenMs), held?.lastSeenMs ?? 0),
      inFlight: held?.inFlight ?? 0,
    };
  });
  if (!written) return false;
  ctx.index.applyRecord(agentId, written.info, written.revision);
  ctx.counters.transitions++;
  ctx.opts.log.info({ agentId, epoch: from.epoch, from: from.status, to, reason }, "presence changed");
  publishPresence(ctx, { ...written.info.presence!, agentId });
  return true;
}
