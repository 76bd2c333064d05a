import { statusFromJson } from "../codec/inbound.js";
import type { Inbound } from "./types.js";

/**
 * `swarm/{id}/tasks/{taskId}/status` (QoS 1): settles a pending award ("accepted"/"rejected") and
 * is reported to the leader until acknowledged — in the background, so that a failover does not
 * hold this device's other publishes.
 */
export function onStatus({ ctx, session, route, value }: Inbound<"taskStatus">): void {
  const status = statusFromJson(session.agentId, route.taskId, value);
  void session.awards.onStatus(status).catch((err: unknown) => {
    ctx.o.log.warn({ agentId: session.agentId, taskId: route.taskId, err }, "status report failed");
  });
}
