import type { Inbound } from "./types.js";

/** `swarm/{id}/cmd/{name}/reply` (QoS 1): answers the command of that id; a reply nobody waits for is counted. */
export function onCommandReply({ ctx, session, payload, codec }: Inbound<"commandReply">): void {
  if (!session.settleCommand(codec.reply(session.agentId, payload))) ctx.stats.refuse("stray-reply");
}
