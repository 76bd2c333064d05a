import type { Inbound } from "./types.js";

/**
 * `swarm/{id}/tasks/{taskId}/status` (QoS 1): settles a pending award ("accepted"/"rejected") and
 * is reported to the leader until acknowledged — in the background, so that a failover does not
 * hold this device's other publishes. The PUBACK waits while the session's outbox of unacknowledged
 * reports is full.
 */
export function onStatus({ session, route, payload, codec }: Inbound<"taskStatus">): Promise<void> {
  return session.awards.onStatus(codec.status(session.agentId, route.taskId, payload));
}
