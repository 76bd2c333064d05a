import { subjects } from "@swarmlink/protocol";
import { bidFromJson } from "../codec/inbound.js";
import { envelope } from "../wire.js";
import type { Inbound } from "./types.js";

/** `swarm/{id}/tasks/{taskId}/bid` (QoS 1): `{"cost","round"?}` published as a Bid on `subjects.taskBid`. */
export function onBid({ ctx, session, route, value }: Inbound<"taskBid">): void {
  const bid = bidFromJson(session.agentId, route.taskId, value);
  ctx.o.bus.publish(
    subjects.taskBid(route.taskId),
    envelope("swarmlink.v1.Bid", bid, session.agentId, ctx.o.clock),
  );
}
