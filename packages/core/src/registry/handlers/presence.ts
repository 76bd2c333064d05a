import { decodeEnvelope, parseSubject, SwarmError, unwrapAs } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import { notOurs, type RegistryContext } from "../context.js";
import { presenceEventOf } from "../convert.js";
import { isReregisterRequest } from "../reasons.js";

/**
 * `subjects.agentPresence(id)`, heard by every node: presence events published by the registering
 * node and the authority. Applied to the index only when newer (epoch, then seq) than held, so the
 * index moves as soon as the event lands, before the Store watch brings the record. "re-register"
 * nudges are not changes of state and are skipped.
 */
export function handlePresence(ctx: RegistryContext, msg: Msg): void {
  try {
    const route = parseSubject(msg.subject);
    if (route.kind !== "agentPresence") throw notOurs(msg.subject);
    const p = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.Presence");
    if (isReregisterRequest(p)) return;
    const event = presenceEventOf(p);
    if (!event || event.agentId !== route.agentId) {
      throw new SwarmError("E_INVALID", "presence without a known status or of another agent", {
        agentId: route.agentId,
      });
    }
    ctx.index.applyPresence(event);
  } catch (err) {
    ctx.counters.badInputs++;
    ctx.opts.log.debug({ err, subject: msg.subject }, "bad presence event");
  }
}
