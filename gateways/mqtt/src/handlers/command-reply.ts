import { replyFromJson } from "../codec/inbound.js";
import type { Inbound } from "./types.js";

/** `swarm/{id}/cmd/{name}/reply` (QoS 1): answers the command of that id; a reply nobody waits for is counted. */
export function onCommandReply({ ctx, session, value }: Inbound<"commandReply">): void {
  if (!session.commands.settle(replyFromJson(session.agentId, value))) ctx.stats.refuse("stray-reply");
}
