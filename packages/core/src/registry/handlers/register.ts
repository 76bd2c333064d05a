import { decodeEnvelope, PresenceStatus, parseSubject, unwrapAs } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import type { DescriptorInit } from "../agent.js";
import { notOurs, publishPresence, type RegistryContext, refuse, reply } from "../context.js";
import { checkDescriptor } from "../descriptor.js";
import { PRESENCE_REASONS } from "../reasons.js";
import { writeAgent } from "../records.js";

/**
 * `subjects.agentRegister(id)`, request, served in queue group "swarm-registry": payload an
 * AgentDescriptor of that very agent. Opens a new session: epoch = the record's epoch + 1 (1 for a
 * new agent), seq 0, status ONLINE, written by compare-and-set; the reply and the published event
 * are that Presence.
 */
export async function handleRegister(ctx: RegistryContext, msg: Msg): Promise<void> {
  let correlationId = "";
  let agentId: string;
  let descriptor: DescriptorInit;
  try {
    const env = decodeEnvelope(msg.data);
    correlationId = env.id;
    const route = parseSubject(msg.subject);
    if (route.kind !== "agentRegister") throw notOurs(msg.subject);
    agentId = route.agentId;
    descriptor = unwrapAs(env, "swarmlink.v1.AgentDescriptor");
    checkDescriptor(descriptor, agentId);
  } catch (err) {
    refuse(ctx, msg, err, correlationId);
    return;
  }
  try {
    const now = ctx.opts.clock.now();
    const written = await writeAgent(ctx.opts.store, agentId, ctx.opts.casAttempts, (current) => {
      // The index's epoch is a floor too, should the stored record be unreadable.
      const stored = Number(current?.info?.presence?.epoch ?? 0);
      const epoch = Math.max(stored, ctx.index.get(agentId)?.epoch ?? 0) + 1;
      return {
        descriptor,
        presence: {
          agentId,
          status: PresenceStatus.PRESENCE_STATUS_ONLINE,
          epoch,
          seq: 0,
          reason: PRESENCE_REASONS.registered,
          sinceMs: now,
        },
        registeredMs: now,
        lastSeenMs: now,
        inFlight: 0,
      };
    });
    const info = written!.info;
    ctx.index.applyRecord(agentId, info, written!.revision);
    ctx.counters.registrations++;
    ctx.opts.log.info({ agentId, epoch: info.presence?.epoch }, "agent registered");
    reply(ctx, msg, "swarmlink.v1.Presence", info.presence!, correlationId);
    publishPresence(ctx, { ...info.presence!, agentId });
  } catch (err) {
    refuse(ctx, msg, err, correlationId);
  }
}
