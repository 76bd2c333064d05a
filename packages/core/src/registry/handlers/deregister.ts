import { decodeEnvelope, PresenceStatus, parseSubject, SwarmError, unwrapAs } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import { notOurs, publishPresence, type RegistryContext, refuse, reply } from "../context.js";
import type { PresenceInit } from "../convert.js";
import { PRESENCE_REASONS } from "../reasons.js";
import { writeAgent } from "../records.js";

/**
 * `subjects.agentDeregister(id)`, request, served in queue group "swarm-registry": payload a
 * Presence naming the agent, the epoch it leaves and optionally a reason (a gateway passes "mqtt
 * will" or "socket closed"). Marks the record OFFLINE (that reason or "deregistered", seq + 1) and replies with that Presence; deregistering an offline agent replies
 * with its presence as it is. An older epoch than the record's is refused with E_FENCED, a newer
 * one (never granted) with E_INVALID, an unknown agent with E_NOT_FOUND.
 */
export async function handleDeregister(ctx: RegistryContext, msg: Msg): Promise<void> {
  let correlationId = "";
  let agentId: string;
  let epoch: number;
  let reason: string;
  try {
    const env = decodeEnvelope(msg.data);
    correlationId = env.id;
    const route = parseSubject(msg.subject);
    if (route.kind !== "agentDeregister") throw notOurs(msg.subject);
    agentId = route.agentId;
    const p = unwrapAs(env, "swarmlink.v1.Presence");
    if (p.agentId !== agentId) {
      throw new SwarmError("E_FORBIDDEN", "an agent deregisters only itself", { field: "agentId", agentId });
    }
    epoch = Number(p.epoch);
    reason = p.reason.length > 0 ? p.reason.slice(0, 256) : PRESENCE_REASONS.deregistered;
  } catch (err) {
    refuse(ctx, msg, err, correlationId);
    return;
  }
  try {
    const now = ctx.opts.clock.now();
    let unchanged: PresenceInit | undefined;
    const written = await writeAgent(ctx.opts.store, agentId, ctx.opts.casAttempts, (current) => {
      const info = current?.info;
      const p = info?.presence;
      if (!info || !p) throw new SwarmError("E_NOT_FOUND", "no such agent", { agentId });
      const held = Number(p.epoch);
      if (epoch < held) {
        throw new SwarmError("E_FENCED", "epoch is older than the agent's session", { agentId, epoch, held });
      }
      if (epoch > held)
        throw new SwarmError("E_INVALID", "epoch was never granted", { agentId, epoch, held });
      if (p.status === PresenceStatus.PRESENCE_STATUS_OFFLINE) {
        unchanged = p;
        return undefined;
      }
      const presence = {
        agentId,
        status: PresenceStatus.PRESENCE_STATUS_OFFLINE,
        epoch,
        seq: (p.seq ?? 0) + 1,
        reason,
        sinceMs: now,
      };
      const lastSeenMs = Math.max(Number(info.lastSeenMs), ctx.index.get(agentId)?.lastSeenMs ?? 0);
      return {
        descriptor: info.descriptor,
        presence,
        registeredMs: info.registeredMs,
        lastSeenMs,
        inFlight: 0,
      };
    });
    if (!written) {
      reply(ctx, msg, "swarmlink.v1.Presence", unchanged!, correlationId);
      return;
    }
    ctx.index.applyRecord(agentId, written.info, written.revision);
    ctx.counters.deregistrations++;
    ctx.opts.log.info({ agentId, epoch }, "agent deregistered");
    reply(ctx, msg, "swarmlink.v1.Presence", written.info.presence!, correlationId);
    publishPresence(ctx, { ...written.info.presence!, agentId });
  } catch (err) {
    refuse(ctx, msg, err, correlationId);
  }
}
