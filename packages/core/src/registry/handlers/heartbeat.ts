import { decodeEnvelope, parseSubject, SwarmError, unwrapAs } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import type { PresenceAuthority } from "../authority.js";
import { notOurs, type RegistryContext } from "../context.js";

/**
 * `subjects.agentHeartbeat(id)`, heard by every node (no queue group): a Heartbeat of that agent
 * with the epoch its registration was given. Renews lastSeen and inFlight in this node's index only
 * (no Store write). A heartbeat of an older epoch than the record's comes from a half-open old
 * connection: ignored and counted. On the authority, a heartbeat brings a suspect agent back online,
 * and one from an agent not held as live (unknown, offline, an epoch never granted) gets it a
 * "re-register" Presence.
 */
export function handleHeartbeat(ctx: RegistryContext, authority: PresenceAuthority, msg: Msg): void {
  let agentId: string;
  let epoch: number;
  let inFlight: number;
  try {
    const route = parseSubject(msg.subject);
    if (route.kind !== "agentHeartbeat") throw notOurs(msg.subject);
    const hb = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.Heartbeat");
    if (hb.agentId !== route.agentId) {
      throw new SwarmError("E_FORBIDDEN", "heartbeat names another agent", { agentId: route.agentId });
    }
    agentId = route.agentId;
    epoch = Number(hb.epoch);
    inFlight = hb.inFlight;
  } catch (err) {
    ctx.counters.badInputs++;
    ctx.opts.log.debug({ err, subject: msg.subject }, "bad heartbeat");
    return;
  }
  ctx.counters.heartbeats++;
  const outcome = ctx.index.heartbeat(agentId, epoch, inFlight, ctx.opts.clock.now());
  switch (outcome) {
    case "ok":
      return;
    case "stale":
      ctx.counters.staleHeartbeats++;
      ctx.opts.log.debug({ agentId, epoch }, "heartbeat of an older epoch ignored");
      return;
    case "suspect":
      authority.recover(agentId);
      return;
    case "unknown":
    case "ahead":
      ctx.counters.unknownHeartbeats++;
      authority.nudge(agentId, epoch);
      return;
    case "offline":
      authority.nudge(agentId, epoch);
      return;
  }
}
