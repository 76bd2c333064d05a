import { telemetryFromJson } from "../codec/inbound.js";
import type { Inbound } from "./types.js";

/** `swarm/{id}/telemetry/{stream}` (QoS 0): queued for the Bus, conflated per device and stream under overload. */
export function onTelemetry({ ctx, session, route, value, enqueueTelemetry }: Inbound<"telemetry">): void {
  const t = telemetryFromJson(session.agentId, route.stream, value, ctx.o.clock.now());
  if (!enqueueTelemetry(t)) ctx.stats.refuse("conflated");
}
