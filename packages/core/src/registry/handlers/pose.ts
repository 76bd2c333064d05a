import { decodeEnvelope, parseSubject, SwarmError, unwrapAs } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import { notOurs, type RegistryContext } from "../context.js";
import { checkPosition } from "../descriptor.js";

/**
 * `subjects.agentTelemetry(id, "pose")`, heard by every node: a Telemetry whose body is a Pose.
 * Moves the agent in this node's index (no Store write); the Store keeps the position it
 * registered with. Poses of agents the index does not hold are dropped.
 */
export function handlePose(ctx: RegistryContext, msg: Msg): void {
  try {
    const route = parseSubject(msg.subject);
    if (route.kind !== "agentTelemetry" || route.stream !== "pose") throw notOurs(msg.subject);
    const t = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.Telemetry");
    const position = t.pose?.position;
    if ((t.agentId !== "" && t.agentId !== route.agentId) || !position) {
      throw new SwarmError("E_INVALID", "pose telemetry without a position or of another agent", {
        agentId: route.agentId,
      });
    }
    checkPosition(position);
    if (ctx.index.move(route.agentId, position)) ctx.counters.poseUpdates++;
  } catch (err) {
    ctx.counters.badInputs++;
    ctx.opts.log.debug({ err, subject: msg.subject }, "bad pose telemetry");
  }
}
