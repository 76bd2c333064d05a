import { decodeEnvelope, encodeEnvelope, parseSubject, unwrapAs, wrap } from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import type { AgentInfoInit } from "../agent.js";
import { notOurs, type RegistryContext, refuse } from "../context.js";
import { fromWireQuery } from "../query-wire.js";

/**
 * `subjects.registryQuery()`, request, served in queue group "swarm-registry": payload an
 * AgentQuery, answered from this node's index with an AgentList (nearest first for `nearest`, else
 * in id order). A reply holds at most `maxReplyAgents` agents, and fewer if they would not fit the
 * Bus's payload limit: narrow the query (or set `limit`) to see the rest. A malformed query gets an
 * Error (E_INVALID naming the field).
 */
export function handleQuery(ctx: RegistryContext, msg: Msg): void {
  let correlationId = "";
  let infos: AgentInfoInit[];
  try {
    const env = decodeEnvelope(msg.data);
    correlationId = env.id;
    if (parseSubject(msg.subject).kind !== "registryQuery") throw notOurs(msg.subject);
    const query = fromWireQuery(unwrapAs(env, "swarmlink.v1.AgentQuery"));
    const agents = ctx.index.query(query);
    infos = agents.slice(0, ctx.opts.maxReplyAgents).flatMap((a) => ctx.index.info(a.id) ?? []);
  } catch (err) {
    refuse(ctx, msg, err, correlationId);
    return;
  }
  ctx.counters.queries++;
  const maxBytes = ctx.opts.bus.capabilities.maxPayloadBytes;
  let bytes: Uint8Array | undefined;
  for (let n = infos.length; bytes === undefined; n = Math.floor(n / 2)) {
    try {
      const env = wrap(
        "swarmlink.v1.AgentList",
        { agents: infos.slice(0, n) },
        { source: ctx.opts.nodeId, correlationId },
        { clock: ctx.opts.clock },
      );
      bytes = encodeEnvelope(env, { maxBytes });
    } catch (err) {
      if (n === 0) {
        refuse(ctx, msg, err, correlationId);
        return;
      }
    }
  }
  try {
    msg.respond(bytes);
  } catch (err) {
    ctx.counters.failures++;
    ctx.opts.log.warn({ err }, "registry query reply failed");
  }
}
