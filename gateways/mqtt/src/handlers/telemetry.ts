import type { Inbound } from "./types.js";

/** `swarm/{id}/telemetry/{stream}` (QoS 0): queued for the Bus, conflated per device and stream under overload. */
export function onTelemetry({
  ctx,
  session,
  route,
  payload,
  codec,
  enqueueTelemetry,
}: Inbound<"telemetry">): void {
  const t = codec.telemetry(session.agentId, route.stream, payload, ctx.o.clock.now());
  if (!enqueueTelemetry(t)) ctx.stats.refuse("conflated");
}
