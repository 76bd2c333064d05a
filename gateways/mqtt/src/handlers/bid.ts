import { subjects } from "@swarmlink/protocol";
import { envelope } from "../wire.js";
import type { Inbound } from "./types.js";

/** `swarm/{id}/tasks/{taskId}/bid` (QoS 1): `{"cost","round"?}` published as a Bid on `subjects.taskBid`. */
export function onBid({ ctx, session, route, payload, codec }: Inbound<"taskBid">): void {
  const bid = codec.bid(session.agentId, route.taskId, payload);
  ctx.o.bus.publish(
    subjects.taskBid(route.taskId),
    envelope("swarmlink.v1.Bid", bid, session.agentId, ctx.o.clock),
  );
}
